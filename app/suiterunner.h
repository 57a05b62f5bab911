#pragma once

#include "core/suite/suiteplan.h"
#include "core/suite/suitereport.h"

#include <QList>
#include <QMap>
#include <QMutex>
#include <QSet>
#include <QString>
#include <QStringList>
#include <atomic>

class QProcess;

namespace vivarium {

// Runs a suite's tests, each as its own vivarium-test process (vivarium-test FILE -o
// OUT/NAME plus the options given for every test), up to jobs at once and only as many as
// the host's memory holds, then writes the suite's reports (core/suite/suitereport.h).
class SuiteRunner {
public:
    struct Options {
        QString outDir;
        int jobs = 1;
        QStringList testArguments; // options passed to each test's run
        QString title;
        QString junitPath; // where junit.xml goes too, besides the output directory
    };

    SuiteRunner(QList<SuiteTest> tests, Options options);

    // Runs the tests; returns 0 when all passed, 1 when one did not, 128+N when a signal N
    // stopped the suite (the tests running get it too; the rest are "not run").
    int run();
    // From the signal thread: stops starting tests and passes the signal on to those running.
    void interrupt(int signal);

private:
    bool fits(const SuiteTest &test) const;
    void start(const SuiteTest &test);
    void finished(QProcess *process, int exitCode, bool crashed);
    void relay(QProcess *process, bool flush);
    void say(const QString &line) const;

    QList<SuiteTest> m_tests;
    Options m_options;
    qint64 m_budgetMiB = 0; // the host's available memory when the suite started, 90 % of it
    // A test running: its process's output not yet a whole line, its last line said (why it
    // failed when its reports do not say) and when it started.
    struct Running {
        SuiteTest test;
        QByteArray partial;
        QString lastLine;
        qint64 startedMs = 0;
        qint64 pid = 0; // kept: QProcess forgets it once the process has ended
    };
    QMap<QProcess *, Running> m_running;
    QSet<QString> m_toldWaiting;
    QList<SuiteResult> m_results;
    QMutex m_pidMutex;
    QSet<qint64> m_pids;
    std::atomic<int> m_signal { 0 };
};

} // namespace vivarium
