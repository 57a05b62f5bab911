#pragma once

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <optional>

namespace vivarium {

// One test of a suite: its file, its name (the test file's `name`: its folder under the
// suite's output) and what it needs of the host at once (its machines' memory together).
struct SuiteTest {
    QString file;
    QString name;
    qint64 memoryMiB = 0;
    int machines = 0;
};

// Which share of a suite this runner takes: --shard K/N, K from 1.
struct Shard {
    int index = 1;
    int count = 1;

    // "2/3" -> {2, 3}; nullopt with why in error for anything else (K outside 1..N, N < 1).
    static std::optional<Shard> parse(const QString &text, QString *error);
};

// A suite's tests from files and directories (every *.toml under a directory, not in a folder
// whose name starts with "." or is "falsified": a property's minimal cases are written there),
// each loaded as vivarium-test loads it. Sorted by name; nullopt with every problem in errors
// (a file that is not a test, two tests of one name, nothing found).
std::optional<QList<SuiteTest>> discoverSuite(const QStringList &paths, QStringList *errors);

// The tests shard K of N runs. Without durations: every Nth test by name, from the Kth, so
// each test is in one shard whatever runner computes it. With the seconds earlier runs took
// (by test name; a test not in them counts as the median of those that are): the longest
// first, each to the shard with the least time so far (ties: the lower shard), so the shards
// end at about the same time. Every runner computes the same split from the same inputs.
QList<SuiteTest> shardOf(
    const QList<SuiteTest> &tests, const Shard &shard, const QMap<QString, double> &seconds = {});

// Durations by test name from a timings file a suite run or a merge wrote (timings.json:
// {"name": seconds, ...}); nullopt with why in error.
std::optional<QMap<QString, double>> readTimings(const QString &path, QString *error);

} // namespace vivarium
