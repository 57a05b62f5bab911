#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace vivarium {

// What one test of a suite came to. Its reports are in folder (relative to the suite's output
// directory): log.html, junit.xml, events.jsonl as a single run writes them.
struct SuiteResult {
    QString name;
    QString file; // the test file
    QString folder;
    // "passed", "failed" (the test failed), "error" (a bad test file or environment: it did
    // not run), "stopped" (a signal), "not run" (the suite was stopped first).
    QString verdict;
    int exitCode = 0;
    double seconds = 0;
    QString message; // why it did not pass: the test's first failure, else its last line
};

// A suite's reports in dir: suite.json (the results, what --merge reads), junit.xml (one
// testsuite, each test a testcase), index.html (pass, fail and time per test, each linked to
// its log.html) and timings.json (seconds by test name, for --shard's balance). Returns the
// problems writing them.
QStringList writeSuiteReports(
    const QString &dir, const QString &title, const QList<SuiteResult> &results);

// How many of results passed.
qsizetype passedCount(const QList<SuiteResult> &results);

// Copies the junit.xml of the suite in dir to path (--junit-xml); the problem, or empty.
QString copyJunit(const QString &dir, const QString &path);

// The results a suite run wrote into dir (its suite.json); nullopt with why in error.
std::optional<QList<SuiteResult>> readSuiteResults(const QString &dir, QString *error);

// The first failure a test's junit.xml names ("" when none): the message of a suite's
// testcase.
QString firstFailure(const QString &junitPath);

// Merges the suites in dirs (shards' output directories) into outDir: each test's folder is
// copied in, then one set of reports covers them all. Returns the problems (a directory that
// is no suite's output, a test in two of them); outDir is written only when there are none.
QStringList mergeSuites(const QStringList &dirs, const QString &outDir, QList<SuiteResult> *merged);

} // namespace vivarium
