#include "suiterunner.h"

#include "core/util/hostmemory.h"
#include "core/util/textformat.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTimer>
#include <csignal>
#include <cstdio>
#include <sys/prctl.h>

namespace vivarium {

namespace {

// vivarium-test's exit status as a suite's verdict.
QString verdictOf(int exitCode, bool crashed)
{
    if (crashed)
        return QStringLiteral("error");
    switch (exitCode) {
    case 0:
        return QStringLiteral("passed");
    case 1:
        return QStringLiteral("failed");
    case 2:
    case 3:
        return QStringLiteral("error");
    default:
        return exitCode > 128 ? QStringLiteral("stopped") : QStringLiteral("failed");
    }
}

} // namespace

SuiteRunner::SuiteRunner(QList<SuiteTest> tests, Options options)
    : m_tests(std::move(tests))
    , m_options(std::move(options))
{
    m_budgetMiB = availableMemoryMiB() * 9 / 10;
}

void SuiteRunner::say(const QString &line) const
{
    std::fprintf(stdout, "%s\n", qPrintable(printableText(line)));
    std::fflush(stdout);
}

bool SuiteRunner::fits(const SuiteTest &test) const
{
    if (m_running.isEmpty() || m_budgetMiB <= 0)
        return true; // one test always runs, whatever it asks (its own run says if too much)
    if (m_running.size() >= m_options.jobs)
        return false;
    qint64 taken = 0;
    for (const Running &running : m_running)
        taken += running.test.memoryMiB;
    return taken + test.memoryMiB <= m_budgetMiB;
}

void SuiteRunner::start(const SuiteTest &test)
{
    auto *process = new QProcess;
    process->setProcessChannelMode(QProcess::MergedChannels);
    // The test's run ends with the suite's, also when the suite is killed: SIGTERM lets it
    // write its reports and remove its run directory.
    process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    const QString folder = QDir(m_options.outDir).filePath(test.name);
    QObject::connect(
        process, &QProcess::readyRead, process, [this, process] { relay(process, false); });
    QObject::connect(process, &QProcess::finished, process,
        [this, process](int code, QProcess::ExitStatus status) {
            finished(process, code, status == QProcess::CrashExit);
        });
    m_running.insert(process, { test, {}, {}, QDateTime::currentMSecsSinceEpoch() });
    process->start(QCoreApplication::applicationFilePath(),
        QStringList { test.file, QStringLiteral("-o"), folder } + m_options.testArguments);
    if (!process->waitForStarted()) {
        // Never started, so never finishes: said now, or the suite would wait for it forever.
        m_running.remove(process);
        m_results << SuiteResult { test.name, test.file, {}, QStringLiteral("error"), -1, 0,
            QStringLiteral("cannot start %1: %2")
                .arg(QCoreApplication::applicationFilePath(), process->errorString()) };
        say(QStringLiteral("suite: %1 error: %2").arg(test.name, m_results.constLast().message));
        process->deleteLater();
        return;
    }
    m_running[process].pid = process->processId();
    {
        QMutexLocker lock(&m_pidMutex);
        m_pids.insert(m_running[process].pid);
    }
    say(QStringLiteral("suite: %1 started (%2 of %3)")
            .arg(test.name)
            .arg(m_results.size() + m_running.size())
            .arg(m_tests.size()));
}

void SuiteRunner::relay(QProcess *process, bool flush)
{
    Running &running = m_running[process];
    QByteArray &partial = running.partial;
    partial += process->readAll();
    const QString prefix
        = m_options.jobs > 1 ? running.test.name + QStringLiteral(" | ") : QString();
    qsizetype end;
    while ((end = partial.indexOf('\n')) >= 0 || (flush && !partial.isEmpty())) {
        const QString line = QString::fromUtf8(partial.left(end < 0 ? partial.size() : end));
        partial.remove(0, end < 0 ? partial.size() : end + 1);
        if (!line.trimmed().isEmpty())
            running.lastLine = line.trimmed();
        // The test's own output is printable already (vivarium-test shows escapes).
        std::fprintf(stdout, "%s%s\n", qPrintable(prefix), line.toUtf8().constData());
    }
    std::fflush(stdout);
}

void SuiteRunner::finished(QProcess *process, int exitCode, bool crashed)
{
    relay(process, true);
    const Running running = m_running.take(process);
    const SuiteTest &test = running.test;
    {
        QMutexLocker lock(&m_pidMutex);
        m_pids.remove(running.pid);
    }
    SuiteResult result;
    result.name = test.name;
    result.file = test.file;
    result.folder = test.name;
    result.exitCode = crashed ? -1 : exitCode;
    result.verdict = verdictOf(exitCode, crashed);
    result.seconds = double(QDateTime::currentMSecsSinceEpoch() - running.startedMs) / 1000.0;
    if (result.verdict != QLatin1String("passed")) {
        result.message = firstFailure(
            QDir(m_options.outDir).filePath(test.name + QStringLiteral("/junit.xml")));
        if (result.message.isEmpty())
            result.message = running.lastLine;
    }
    if (!QFile::exists(QDir(m_options.outDir).filePath(test.name + QStringLiteral("/log.html"))))
        result.folder.clear(); // nothing to link to (a bad test file)
    m_results << result;
    say(QStringLiteral("suite: %1 %2 in %3 s (%4 of %5 done)")
            .arg(test.name, result.verdict)
            .arg(result.seconds, 0, 'f', 1)
            .arg(m_results.size())
            .arg(m_tests.size()));
    process->deleteLater();
}

void SuiteRunner::interrupt(int signal)
{
    if (m_signal.exchange(signal) != 0)
        return;
    QMutexLocker lock(&m_pidMutex);
    for (const qint64 pid : std::as_const(m_pids))
        ::kill(pid_t(pid), signal);
}

int SuiteRunner::run()
{
    QDir().mkpath(m_options.outDir);
    say(QStringLiteral("suite: %1 test(s), up to %2 at once, output in %3")
            .arg(m_tests.size())
            .arg(m_options.jobs)
            .arg(m_options.outDir));
    QList<SuiteTest> waiting = m_tests;
    QEventLoop loop;
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        while (m_signal.load() == 0 && !waiting.isEmpty() && m_running.size() < m_options.jobs) {
            const SuiteTest &next = waiting.constFirst();
            if (!fits(next)) {
                if (!m_toldWaiting.contains(next.name)) {
                    m_toldWaiting.insert(next.name);
                    say(QStringLiteral("suite: %1 waits: its machines ask %2 MiB, more than the "
                                       "host has left beside the tests running (%3 MiB for all)")
                            .arg(next.name)
                            .arg(next.memoryMiB)
                            .arg(m_budgetMiB));
                }
                break;
            }
            start(waiting.takeFirst());
        }
        if (m_running.isEmpty() && (waiting.isEmpty() || m_signal.load() != 0))
            loop.quit();
    });
    tick.start(100);
    loop.exec();
    for (const SuiteTest &test : std::as_const(waiting))
        m_results << SuiteResult { test.name, test.file, {}, QStringLiteral("not run"), 0, 0,
            QStringLiteral("the suite was stopped before it started") };
    std::sort(m_results.begin(), m_results.end(),
        [](const SuiteResult &a, const SuiteResult &b) { return a.name < b.name; });
    QStringList problems = writeSuiteReports(m_options.outDir, m_options.title, m_results);
    if (!m_options.junitPath.isEmpty() && problems.isEmpty()) {
        if (QString problem = copyJunit(m_options.outDir, m_options.junitPath); !problem.isEmpty())
            problems << problem;
    }
    for (const QString &problem : problems)
        std::fprintf(stderr, "vivarium-test: %s\n", qPrintable(problem));
    const qsizetype passed = passedCount(m_results);
    say(QStringLiteral("suite: %1 of %2 passed; report %3")
            .arg(passed)
            .arg(m_results.size())
            .arg(QDir(m_options.outDir).filePath(QStringLiteral("index.html"))));
    for (const SuiteResult &r : std::as_const(m_results)) {
        if (r.verdict != QLatin1String("passed"))
            say(QStringLiteral("suite: %1 %2: %3").arg(r.name, r.verdict.toUpper(), r.message));
    }
    if (m_signal.load() != 0)
        return 128 + m_signal.load();
    return passed == m_results.size() && problems.isEmpty() ? 0 : 1;
}

} // namespace vivarium
