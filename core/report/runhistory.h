#pragma once

#include "core/event/scriptresult.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <optional>

namespace vivarium {

// One kept run, as its events.jsonl tells it (what the Runs view lists).
struct RunSummary {
    QString directory;
    QString test;
    QDateTime started;
    qint64 durationMs = 0; // to its finished event, or to its last event when it has none
    std::optional<ScriptResult> result; // none: the run did not finish (killed, or still going)
    int actions = 0;
    bool inUse = false; // a run holds the directory now

    // "passed", "failed", "passed with 1 replaced line", "did not finish", "running".
    QString verdict() const;
    // The failing line as "script.py:10", or empty.
    QString failingLine() const;
};

// A folder of runs, one directory each, named by when the run started
// (2026-12-06_21-30-05, with -2, -3 ... when two start in one second): what the workbench keeps
// per test and vivarium-test --history DIR keeps. Only directories named so are runs: the
// history never lists or removes anything else in the folder.
class RunHistory {
public:
    explicit RunHistory(QString root);
    QString root() const { return m_root; }

    // A fresh directory for a run starting now (made, empty), or empty with *error.
    QString newRun(QString *error) const;
    // The kept runs, newest first.
    QList<RunSummary> runs() const;
    // Removes the oldest runs past keep (at least 1), never one in use or `except`; the
    // directories removed.
    QStringList prune(int keep, const QString &except = {}) const;
    // A copy of the run in directory (its reports, logs and screenshots) as a new run of the
    // history, for a run that goes on in the same directory (the workbench's Run on the running
    // machines): the earlier run stays in the history. The copy's path, or empty with *error.
    QString keepCopy(const QString &directory, QString *error) const;

    static RunSummary summarize(const QString &directory);
    static bool isRunName(const QString &name);
    // The history the workbench keeps for a test file: one folder per file (two tests with one
    // name do not share it) under base.
    static QString folderFor(const QString &base, const QString &testName, const QString &testFile);
    static constexpr int defaultKeep = 20;

private:
    QString m_root;
};

} // namespace vivarium
