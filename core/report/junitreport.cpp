#include "reports.h"

#include <QFile>
#include <QXmlStreamWriter>

namespace vivarium {

namespace {

struct Case {
    QString name;
    double seconds = 0;
    bool failed = false;
    QString message;
    QStringList output;
};

// Splits the events into testcases: each subtest, plus the script outside them when it failed
// there or had no subtests at all.
QList<Case> casesOf(const ReportInput &input)
{
    QList<Case> cases;
    Case outside { input.testName, 0, false, {}, {} };
    Case *current = nullptr;
    qint64 first = 0, last = 0;
    for (const QJsonObject &e : input.events) {
        const QString type = e.value(QStringLiteral("type")).toString();
        const qint64 t = qint64(e.value(QStringLiteral("t")).toDouble());
        first = first ? first : t;
        last = t;
        if (type == QLatin1String("subtest_started")) {
            cases.append({ e.value(QStringLiteral("name")).toString(), 0, false, {}, {} });
            current = &cases.last();
        } else if (type == QLatin1String("subtest_finished") && current) {
            current->seconds = e.value(QStringLiteral("duration_ms")).toDouble() / 1000.0;
            current->failed = !e.value(QStringLiteral("passed")).toBool();
            current->message = e.value(QStringLiteral("message")).toString();
            current = nullptr;
        } else {
            Case &target = current ? *current : outside;
            if (type == QLatin1String("log"))
                target.output << e.value(QStringLiteral("text")).toString();
            else if (type == QLatin1String("action_finished")
                && e.value(QStringLiteral("result")).toString() != QLatin1String("ok"))
                target.output << QStringLiteral("%1.%2: %3")
                                     .arg(e.value(QStringLiteral("machine")).toString(),
                                         e.value(QStringLiteral("action")).toString(),
                                         e.value(QStringLiteral("message")).toString());
        }
    }
    const bool failed = input.result.outcome != ScriptResult::Outcome::Passed;
    const bool failedInSubtest
        = std::any_of(cases.cbegin(), cases.cend(), [](const Case &c) { return c.failed; });
    if (cases.isEmpty() || (failed && !failedInSubtest)) {
        outside.seconds = double(last - first) / 1000.0;
        outside.failed = failed;
        if (!cases.isEmpty())
            outside.name = QStringLiteral("%1 (outside subtests)").arg(input.testName);
        cases.append(outside);
    }
    for (Case &c : cases) {
        if (c.failed && failed) {
            c.message = input.result.message;
            if (input.result.line > 0)
                c.message
                    += QStringLiteral(" (at %1:%2)").arg(input.result.file).arg(input.result.line);
        }
    }
    return cases;
}

} // namespace

QString writeJunit(const QString &path, const ReportInput &input)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    const QList<Case> cases = casesOf(input);
    double total = 0;
    int failures = 0;
    for (const Case &c : cases) {
        total += c.seconds;
        failures += c.failed ? 1 : 0;
    }
    QXmlStreamWriter xml(&file);
    xml.setAutoFormatting(true);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeStartElement(QStringLiteral("testsuite"));
    xml.writeAttribute(QStringLiteral("name"), input.testName);
    xml.writeAttribute(QStringLiteral("tests"), QString::number(cases.size()));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("time"), QString::number(total, 'f', 3));
    for (const Case &c : cases) {
        xml.writeStartElement(QStringLiteral("testcase"));
        xml.writeAttribute(QStringLiteral("classname"), input.testName);
        xml.writeAttribute(QStringLiteral("name"), c.name);
        xml.writeAttribute(QStringLiteral("time"), QString::number(c.seconds, 'f', 3));
        if (c.failed) {
            xml.writeStartElement(QStringLiteral("failure"));
            xml.writeAttribute(QStringLiteral("message"), c.message);
            xml.writeCharacters(
                input.result.traceback.isEmpty() ? c.message : input.result.traceback);
            xml.writeEndElement();
        }
        if (!c.output.isEmpty())
            xml.writeTextElement(QStringLiteral("system-out"), c.output.join(QLatin1Char('\n')));
        xml.writeEndElement();
    }
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndDocument();
    return file.error() == QFile::NoError ? QString() : file.errorString();
}

} // namespace vivarium
