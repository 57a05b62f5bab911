#include "core/suite/suitereport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QXmlStreamReader>
#include <QXmlStreamWriter>
#include <algorithm>
#include <unistd.h>

namespace vivarium {

namespace {

QString writeFile(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

QJsonObject toJson(const SuiteResult &r)
{
    return { { QStringLiteral("name"), r.name }, { QStringLiteral("file"), r.file },
        { QStringLiteral("folder"), r.folder }, { QStringLiteral("verdict"), r.verdict },
        { QStringLiteral("exit_code"), r.exitCode }, { QStringLiteral("seconds"), r.seconds },
        { QStringLiteral("message"), r.message } };
}

SuiteResult fromJson(const QJsonObject &o)
{
    return { o.value(QStringLiteral("name")).toString(), o.value(QStringLiteral("file")).toString(),
        o.value(QStringLiteral("folder")).toString(), o.value(QStringLiteral("verdict")).toString(),
        o.value(QStringLiteral("exit_code")).toInt(), o.value(QStringLiteral("seconds")).toDouble(),
        o.value(QStringLiteral("message")).toString() };
}

QByteArray junitXml(const QString &title, const QList<SuiteResult> &results)
{
    int failures = 0, errors = 0, skipped = 0;
    double seconds = 0;
    for (const SuiteResult &r : results) {
        failures += r.verdict == QLatin1String("failed") || r.verdict == QLatin1String("stopped");
        errors += r.verdict == QLatin1String("error");
        skipped += r.verdict == QLatin1String("not run");
        seconds += r.seconds;
    }
    QByteArray xml;
    QXmlStreamWriter w(&xml);
    w.setAutoFormatting(true);
    w.writeStartDocument();
    w.writeStartElement(QStringLiteral("testsuites"));
    w.writeStartElement(QStringLiteral("testsuite"));
    w.writeAttribute(QStringLiteral("name"), title);
    w.writeAttribute(QStringLiteral("tests"), QString::number(results.size()));
    w.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    w.writeAttribute(QStringLiteral("errors"), QString::number(errors));
    w.writeAttribute(QStringLiteral("skipped"), QString::number(skipped));
    w.writeAttribute(QStringLiteral("time"), QString::number(seconds, 'f', 1));
    for (const SuiteResult &r : results) {
        w.writeStartElement(QStringLiteral("testcase"));
        w.writeAttribute(QStringLiteral("classname"), title);
        w.writeAttribute(QStringLiteral("name"), r.name);
        w.writeAttribute(QStringLiteral("file"), r.file);
        w.writeAttribute(QStringLiteral("time"), QString::number(r.seconds, 'f', 1));
        const QString element = r.verdict == QLatin1String("error") ? QStringLiteral("error")
            : r.verdict == QLatin1String("not run")                 ? QStringLiteral("skipped")
            : r.verdict != QLatin1String("passed")                  ? QStringLiteral("failure")
                                                                    : QString();
        if (!element.isEmpty()) {
            w.writeStartElement(element);
            w.writeAttribute(QStringLiteral("message"), r.message);
            w.writeCharacters(QStringLiteral("report: %1/log.html").arg(r.folder));
            w.writeEndElement();
        }
        w.writeEndElement();
    }
    w.writeEndElement();
    w.writeEndElement();
    w.writeEndDocument();
    return xml;
}

QByteArray indexHtml(const QString &title, const QList<SuiteResult> &results)
{
    int passed = 0;
    double seconds = 0;
    for (const SuiteResult &r : results) {
        passed += r.verdict == QLatin1String("passed");
        seconds += r.seconds;
    }
    QString html = QStringLiteral(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%1</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}"
        ".passed{color:#1a7f37}.failed,.stopped,.error{color:#c62828;font-weight:bold}"
        "</style></head><body>\n<h1>%1</h1>\n<p>%2 of %3 passed, %4 s of tests</p>\n"
        "<table><tr><th>test</th><th>result</th><th>time</th><th>why</th></tr>\n")
                       .arg(title.toHtmlEscaped())
                       .arg(passed)
                       .arg(results.size())
                       .arg(seconds, 0, 'f', 1);
    for (const SuiteResult &r : results) {
        const bool hasLog = !r.folder.isEmpty();
        html += QStringLiteral(
            "<tr><td>%1</td><td class=\"%2\">%3</td><td>%4 s</td><td>%5</td></tr>\n")
                    .arg(hasLog ? QStringLiteral("<a href=\"%1/log.html\">%2</a>")
                                      .arg(r.folder.toHtmlEscaped(), r.name.toHtmlEscaped())
                                : r.name.toHtmlEscaped(),
                        QString(r.verdict).replace(QLatin1Char(' '), QLatin1Char('-')),
                        r.verdict.toHtmlEscaped())
                    .arg(r.seconds, 0, 'f', 1)
                    .arg(r.message.toHtmlEscaped());
    }
    html += QStringLiteral("</table>\n</body></html>\n");
    return html.toUtf8();
}

// Copies the tree at from to to (hard links where the file system allows: videos are large).
QString copyTree(const QString &from, const QString &to)
{
    QDirIterator it(
        from, QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    QDir().mkpath(to);
    while (it.hasNext()) {
        const QString source = it.next();
        const QString target = to + QLatin1Char('/') + QDir(from).relativeFilePath(source);
        QDir().mkpath(QFileInfo(target).path());
        QFile::remove(target);
        if (::link(QFile::encodeName(source).constData(), QFile::encodeName(target).constData())
                != 0
            && !QFile::copy(source, target))
            return QStringLiteral("cannot copy %1 to %2").arg(source, target);
    }
    return {};
}

} // namespace

QStringList writeSuiteReports(
    const QString &dir, const QString &title, const QList<SuiteResult> &results)
{
    QJsonArray tests;
    QJsonObject timings;
    for (const SuiteResult &r : results) {
        tests.append(toJson(r));
        if (r.verdict != QLatin1String("not run") && r.verdict != QLatin1String("error"))
            timings.insert(r.name, r.seconds);
    }
    QStringList problems;
    const QJsonObject suite { { QStringLiteral("title"), title },
        { QStringLiteral("tests"), tests } };
    for (const auto &[name, bytes] :
        { std::pair { QStringLiteral("suite.json"), QJsonDocument(suite).toJson() },
            std::pair { QStringLiteral("timings.json"), QJsonDocument(timings).toJson() },
            std::pair { QStringLiteral("junit.xml"), junitXml(title, results) },
            std::pair { QStringLiteral("index.html"), indexHtml(title, results) } }) {
        if (QString problem = writeFile(QDir(dir).filePath(name), bytes); !problem.isEmpty())
            problems << problem;
    }
    return problems;
}

qsizetype passedCount(const QList<SuiteResult> &results)
{
    return std::count_if(results.cbegin(), results.cend(),
        [](const SuiteResult &r) { return r.verdict == QLatin1String("passed"); });
}

QString copyJunit(const QString &dir, const QString &path)
{
    QFile::remove(path);
    return QFile::copy(QDir(dir).filePath(QStringLiteral("junit.xml")), path)
        ? QString()
        : QStringLiteral("cannot write %1").arg(path);
}

std::optional<QList<SuiteResult>> readSuiteResults(const QString &dir, QString *error)
{
    QFile file(QDir(dir).filePath(QStringLiteral("suite.json")));
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1 is not a suite's output directory (no suite.json: run the "
                                "suite with vivarium-test -o %1 TESTS...)")
                     .arg(dir);
        return std::nullopt;
    }
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll());
    if (!document.isObject() || !document.object().value(QStringLiteral("tests")).isArray()) {
        *error = QStringLiteral("%1 is not a suite's results file").arg(file.fileName());
        return std::nullopt;
    }
    QList<SuiteResult> results;
    for (const QJsonValue &test : document.object().value(QStringLiteral("tests")).toArray())
        results << fromJson(test.toObject());
    return results;
}

QString firstFailure(const QString &junitPath)
{
    QFile file(junitPath);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QXmlStreamReader xml(&file);
    while (!xml.atEnd()) {
        if (xml.readNext() == QXmlStreamReader::StartElement
            && (xml.name() == QLatin1String("failure") || xml.name() == QLatin1String("error")))
            return xml.attributes().value(QLatin1String("message")).toString();
    }
    return {};
}

QStringList mergeSuites(const QStringList &dirs, const QString &outDir, QList<SuiteResult> *merged)
{
    QStringList problems;
    QList<std::pair<QString, SuiteResult>> found; // (directory, result)
    QMap<QString, QString> seen;
    for (const QString &dir : dirs) {
        QString error;
        const std::optional<QList<SuiteResult>> results = readSuiteResults(dir, &error);
        if (!results) {
            problems << error;
            continue;
        }
        for (const SuiteResult &r : *results) {
            if (seen.contains(r.name) && r.verdict != QLatin1String("not run")) {
                problems << QStringLiteral("test \"%1\" is in %2 and in %3: merge the shards of "
                                           "one suite, each once")
                                .arg(r.name, seen.value(r.name), dir);
                continue;
            }
            seen.insert(r.name, dir);
            found.append({ dir, r });
        }
    }
    if (!problems.isEmpty())
        return problems;
    merged->clear();
    for (const auto &[dir, result] : std::as_const(found)) {
        SuiteResult r = result;
        const QString from = QDir(dir).filePath(r.folder);
        if (!r.folder.isEmpty() && QFileInfo(from).isDir()) {
            if (QString problem = copyTree(from, QDir(outDir).filePath(r.folder));
                !problem.isEmpty())
                problems << problem;
        } else {
            r.folder.clear();
        }
        merged->append(r);
    }
    std::sort(merged->begin(), merged->end(),
        [](const SuiteResult &a, const SuiteResult &b) { return a.name < b.name; });
    return problems + writeSuiteReports(outDir, QStringLiteral("vivarium suite"), *merged);
}

} // namespace vivarium
