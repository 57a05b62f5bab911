#include "core/suite/suiteplan.h"

#include "core/spec/specloader.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <algorithm>
#include <numeric>

namespace vivarium {

std::optional<Shard> Shard::parse(const QString &text, QString *error)
{
    static const QRegularExpression form(QStringLiteral("^(\\d{1,4})/(\\d{1,4})$"));
    const QRegularExpressionMatch match = form.match(text);
    Shard shard;
    if (match.hasMatch()) {
        shard.index = match.captured(1).toInt();
        shard.count = match.captured(2).toInt();
    }
    if (!match.hasMatch() || shard.count < 1 || shard.index < 1 || shard.index > shard.count) {
        *error
            = QStringLiteral("--shard takes K/N with 1 <= K <= N (e.g. 2/3), not \"%1\"").arg(text);
        return std::nullopt;
    }
    return shard;
}

namespace {

QStringList testFiles(const QString &path, QStringList *errors)
{
    const QFileInfo info(path);
    if (info.isFile())
        return { info.absoluteFilePath() };
    if (!info.isDir()) {
        *errors << QStringLiteral("%1: no such test file or directory").arg(path);
        return {};
    }
    QStringList files;
    QDirIterator it(info.absoluteFilePath(), { QStringLiteral("*.toml") }, QDir::Files,
        QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        const QStringList parts
            = QDir(info.absoluteFilePath()).relativeFilePath(file).split(QLatin1Char('/'));
        const bool skipped = std::any_of(parts.cbegin(), parts.cend() - 1, [](const QString &p) {
            return p.startsWith(QLatin1Char('.')) || p == QLatin1String("falsified");
        });
        if (!skipped)
            files << file;
    }
    if (files.isEmpty())
        *errors << QStringLiteral("%1: no test files (*.toml) in it").arg(path);
    return files;
}

} // namespace

std::optional<QList<SuiteTest>> discoverSuite(const QStringList &paths, QStringList *errors)
{
    QStringList files;
    for (const QString &path : paths)
        files << testFiles(path, errors);
    files.removeDuplicates();
    QList<SuiteTest> tests;
    QMap<QString, QString> byName;
    for (const QString &file : std::as_const(files)) {
        SpecLoader loader;
        const std::optional<TestSpec> spec = loader.loadFile(file);
        if (!spec) {
            *errors << loader.errors();
            continue;
        }
        if (byName.contains(spec->name)) {
            *errors << QStringLiteral("%1: its name \"%2\" is the name of %3 too: each test of a "
                                      "suite needs a name of its own (its output folder)")
                           .arg(file, spec->name, byName.value(spec->name));
            continue;
        }
        byName.insert(spec->name, file);
        SuiteTest test { file, spec->name, 0, int(spec->machines.size()) };
        for (const MachineSpec &m : spec->machines)
            test.memoryMiB += m.memoryMiB;
        tests << test;
    }
    if (!errors->isEmpty())
        return std::nullopt;
    std::sort(tests.begin(), tests.end(),
        [](const SuiteTest &a, const SuiteTest &b) { return a.name < b.name; });
    return tests;
}

QList<SuiteTest> shardOf(
    const QList<SuiteTest> &tests, const Shard &shard, const QMap<QString, double> &seconds)
{
    QList<SuiteTest> sorted = tests;
    std::sort(sorted.begin(), sorted.end(),
        [](const SuiteTest &a, const SuiteTest &b) { return a.name < b.name; });
    QList<SuiteTest> mine;
    if (seconds.isEmpty()) {
        for (qsizetype i = shard.index - 1; i < sorted.size(); i += shard.count)
            mine << sorted.at(i);
        return mine;
    }
    QList<double> known = seconds.values();
    std::sort(known.begin(), known.end());
    const double median = known.at(known.size() / 2);
    const auto cost = [&](const SuiteTest &t) {
        return seconds.contains(t.name) ? seconds.value(t.name) : median;
    };
    std::stable_sort(sorted.begin(), sorted.end(),
        [&](const SuiteTest &a, const SuiteTest &b) { return cost(a) > cost(b); });
    QList<double> load(shard.count, 0.0);
    for (const SuiteTest &test : std::as_const(sorted)) {
        const qsizetype least = std::min_element(load.cbegin(), load.cend()) - load.cbegin();
        load[least] += cost(test);
        if (least == shard.index - 1)
            mine << test;
    }
    std::sort(mine.begin(), mine.end(),
        [](const SuiteTest &a, const SuiteTest &b) { return a.name < b.name; });
    return mine;
}

std::optional<QMap<QString, double>> readTimings(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error
            = QStringLiteral("cannot read the timings file %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!document.isObject()) {
        *error
            = QStringLiteral("%1 is not a timings file (a JSON object of test name: seconds): %2")
                  .arg(path, parseError.errorString());
        return std::nullopt;
    }
    QMap<QString, double> seconds;
    const QJsonObject object = document.object();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (!it.value().isDouble() || it.value().toDouble() < 0) {
            *error = QStringLiteral("%1: the time of \"%2\" is not a number of seconds")
                         .arg(path, it.key());
            return std::nullopt;
        }
        seconds.insert(it.key(), it.value().toDouble());
    }
    return seconds;
}

} // namespace vivarium
