#include "core/coverage/gcovjson.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace vivarium {

namespace {

// The lines lcov's markers take out of a source: LCOV_EXCL_LINE and LCOV_EXCL_START..STOP for
// everything, LCOV_EXCL_BR_* for branches only (geninfo's defaults).
struct Exclusions {
    QSet<int> lines, branches;
};

Exclusions exclusionsOf(const QString &source)
{
    Exclusions out;
    QFile file(source);
    if (!file.open(QIODevice::ReadOnly))
        return out;
    bool inLines = false, inBranches = false;
    int number = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine();
        ++number;
        if (!line.contains("LCOV_EXCL") && !inLines && !inBranches)
            continue;
        if (line.contains("LCOV_EXCL_START"))
            inLines = true;
        if (line.contains("LCOV_EXCL_BR_START"))
            inBranches = true;
        if (inLines || line.contains("LCOV_EXCL_LINE"))
            out.lines.insert(number);
        if (inBranches || line.contains("LCOV_EXCL_BR_LINE"))
            out.branches.insert(number);
        if (line.contains("LCOV_EXCL_STOP"))
            inLines = false;
        if (line.contains("LCOV_EXCL_BR_STOP"))
            inBranches = false;
    }
    return out;
}

// One source's records of one object into its counts (a header's lines come once per object
// that includes it, and add up, as lcov adds geninfo's records).
void readFile(const QJsonObject &file, const Exclusions &excluded, FileCoverage &into)
{
    for (const QJsonValue &value : file.value(QLatin1String("functions")).toArray()) {
        const QJsonObject function = value.toObject();
        const int line = function.value(QLatin1String("start_line")).toInt(-1);
        const QString name = function.value(QLatin1String("name")).toString();
        if (line < 0 || name.isEmpty() || excluded.lines.contains(line))
            continue;
        into.functions[name] += qint64(function.value(QLatin1String("execution_count")).toDouble());
        into.functionLines.insert(name, line);
    }
    for (const QJsonValue &value : file.value(QLatin1String("lines")).toArray()) {
        const QJsonObject line = value.toObject();
        const int number = line.value(QLatin1String("line_number")).toInt(-1);
        if (number < 0 || excluded.lines.contains(number))
            continue;
        const qint64 count = qint64(line.value(QLatin1String("count")).toDouble());
        into.lines[number] += count;
        if (excluded.branches.contains(number))
            continue;
        const bool neverRan = count == 0 && line.value(QLatin1String("unexecuted_block")).toBool();
        int branch = 0;
        for (const QJsonValue &taken : line.value(QLatin1String("branches")).toArray())
            into.addBranch(QStringLiteral("%1,0,%2").arg(number).arg(branch++),
                neverRan ? -1 : qint64(taken.toObject().value(QLatin1String("count")).toDouble()));
    }
}

} // namespace

QStringList gcovJsonArguments()
{
    return { QStringLiteral("--branch-probabilities"), QStringLiteral("--branch-counts"),
        QStringLiteral("--json-format"), QStringLiteral("--stdout") };
}

Tracefile tracefileFromGcovJson(
    const QByteArray &jsonLines, const QString &testName, QString *error)
{
    Tracefile trace;
    SourceCoverage &sources = trace.test(testName);
    QHash<QString, Exclusions> exclusions;
    int number = 0;
    for (const QByteArray &text : jsonLines.split('\n')) {
        ++number;
        if (text.trimmed().isEmpty())
            continue;
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(text, &parseError);
        if (!document.isObject()) {
            *error = QStringLiteral("gcov's JSON output, document %1: %2")
                         .arg(number)
                         .arg(parseError.errorString());
            return {};
        }
        const QJsonObject object = document.object();
        // Sources are named as the compiler was given them: relative ones from its directory.
        const QDir compiledIn(object.value(QLatin1String("current_working_directory")).toString());
        for (const QJsonValue &value : object.value(QLatin1String("files")).toArray()) {
            const QJsonObject file = value.toObject();
            const QString source = QDir::cleanPath(
                compiledIn.absoluteFilePath(file.value(QLatin1String("file")).toString()));
            if (!exclusions.contains(source))
                exclusions.insert(source, exclusionsOf(source));
            readFile(file, exclusions.value(source), sources[source]);
        }
    }
    return trace;
}

} // namespace vivarium
