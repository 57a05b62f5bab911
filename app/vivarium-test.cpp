// vivarium-test: runs a test headless (DESIGN section 7).
#include "core/guest/rootimage.h"
#include "core/remote/placement.h"
#include "core/report/runcomparison.h"
#include "core/report/runhistory.h"
#include "core/script/scriptengine.h"
#include "core/script/scriptstubs.h"
#include "core/session/session.h"
#include "core/spec/specloader.h"
#include "core/util/childprocess.h"
#include "core/util/hostmemory.h"
#include "core/util/rundirectory.h"
#include "core/util/textformat.h"
#include "suiterunner.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QThread>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <thread>
#include <unistd.h>

using namespace vivarium;

namespace {

// 128 + N: stopped by signal N (SIGINT 130, SIGTERM 143, SIGHUP 129), as shells report it.
enum ExitCode { Passed = 0, TestFailed = 1, BadInput = 2, Environment = 3, Signalled = 128 };

std::atomic<Session *> g_session { nullptr };
std::atomic<SuiteRunner *> g_suite { nullptr };
std::atomic<int> g_signal { 0 };

// SIGINT, SIGTERM and SIGHUP are blocked in every thread (the mask is inherited) and taken by
// one thread with sigwait: a signal stops the run as the Stop button does, so the machines are
// killed, every report is written and the run directory removed, instead of the process dying
// where it stood.
sigset_t stopSignals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

// A script blocked outside Vivarium's calls (a subprocess, a socket) cannot be stopped from
// outside the interpreter: once a stop is asked for (a signal, the global timeout), it gets
// stopGraceSeconds to end, and if it does not, the run ends without it: its reports are
// written from what happened so far, the machines are killed and the run directory removed.
constexpr int stopGraceSeconds = 20;
std::mutex g_endMutex;
std::condition_variable g_ended;
bool g_scriptEnded = false;

void scriptEnded()
{
    {
        std::lock_guard lock(g_endMutex);
        g_scriptEnded = true;
    }
    g_ended.notify_all();
}

// Waits seconds for the script to end; if it does not, ends the run as above (never returns).
void endIfStuck(int seconds, const QString &why, int exitCode)
{
    std::unique_lock lock(g_endMutex);
    if (g_ended.wait_for(lock, std::chrono::seconds(seconds), [] { return g_scriptEnded; }))
        return;
    Session *session = g_session.load();
    if (!session)
        return;
    ScriptResult result;
    result.outcome
        = exitCode == TestFailed ? ScriptResult::Outcome::TimedOut : ScriptResult::Outcome::Stopped;
    result.message = formatText(u"%1; the script did not stop within %2 s of it (it was blocked "
                                "outside Vivarium's calls), so the run ended without it",
        why, stopGraceSeconds);
    for (const QString &problem : session->finish(result))
        std::fprintf(stderr, "vivarium-test: %s\n", qPrintable(printableText(problem)));
    std::fprintf(stderr, "vivarium-test: %s\nvivarium-test: report %s\n",
        qPrintable(result.message), qPrintable(session->reportPath()));
    std::fflush(stdout);
    std::fflush(stderr);
    session->run()->crashAll();
    QDir(session->run()->runDir()).removeRecursively();
    // What the script started (its subprocess) goes too; Vivarium's own children would die
    // with us anyway (PDEATHSIG).
    const QByteArray self = QByteArray::number(qint64(::getpid()));
    for (const QString &pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        QFile stat(QStringLiteral("/proc/") + pid + QStringLiteral("/stat"));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields.at(1) == self)
            ::kill(pid_t(pid.toLongLong()), SIGKILL);
    }
    std::_Exit(exitCode); // the stuck thread cannot be joined; children die with us (PDEATHSIG)
}

void watchSignals()
{
    std::thread([] {
        const sigset_t set = stopSignals();
        for (;;) {
            int signal = 0;
            if (sigwait(&set, &signal) != 0)
                continue;
            if (g_signal.exchange(signal) != 0)
                continue; // one interruption is enough; it is under way
            if (SuiteRunner *suite = g_suite.load()) {
                suite->interrupt(signal); // its tests stop as a test stops, then it ends
                continue;
            }
            Session *session = g_session.load();
            if (!session)
                std::_Exit(Signalled + signal); // nothing started yet: nothing to clean up
            session->interrupt(signalName(signal));
            std::thread([signal] {
                endIfStuck(stopGraceSeconds, QStringLiteral("interrupted by ") + signalName(signal),
                    Signalled + signal);
            }).detach();
        }
    }).detach();
}

void say(const QString &line)
{
    std::fprintf(stdout, "%s\n", qPrintable(printableText(line)));
    std::fflush(stdout);
}

void complain(const QString &line)
{
    // Messages carry guest output: its escape sequences are shown, not obeyed.
    std::fprintf(stderr, "%s\n", qPrintable(printableText(line)));
}

// The property options (docs/property-based.md): --examples, --steps, --seed, --derandomize,
// --replay. They override the test file's [property] table.
struct PropertyOptions {
    QCommandLineOption examples { QStringLiteral("examples"),
        QStringLiteral("Examples per property (vivarium.stateful)."), QStringLiteral("N") };
    QCommandLineOption steps { QStringLiteral("steps"),
        QStringLiteral("Steps per example, at most."), QStringLiteral("N") };
    QCommandLineOption seed { QStringLiteral("seed"),
        QStringLiteral("The properties' random seed (a run logs the one it used)."),
        QStringLiteral("N") };
    QCommandLineOption derandomize { QStringLiteral("derandomize"),
        QStringLiteral("The same examples on every run (CI).") };
    QCommandLineOption replay { QStringLiteral("replay"),
        QStringLiteral("Run only the failing examples kept from earlier runs.") };

    QList<QCommandLineOption> all() const { return { examples, steps, seed, derandomize, replay }; }

    // The settings given, or nullopt with why in *error.
    std::optional<PropertySettings> read(const QCommandLineParser &parser, QString *error) const
    {
        PropertySettings settings;
        const auto whole = [&](const QCommandLineOption &option, qint64 least, qint64 most,
                               auto &out) {
            if (!parser.isSet(option))
                return true;
            bool ok = false;
            const qint64 value = parser.value(option).toLongLong(&ok);
            if (!ok || value < least || value > most) {
                *error = QStringLiteral("--%1 must be a whole number from %2 to %3, not \"%4\"")
                             .arg(option.names().constFirst())
                             .arg(least)
                             .arg(most)
                             .arg(parser.value(option));
                return false;
            }
            out = value;
            return true;
        };
        if (!whole(examples, 1, 1000000, settings.examples)
            || !whole(steps, 1, 10000, settings.steps)
            || !whole(seed, 0, std::numeric_limits<qint64>::max(), settings.seed))
            return std::nullopt;
        if (parser.isSet(derandomize) && (parser.isSet(seed) || parser.isSet(replay))) {
            *error = QStringLiteral("--derandomize takes neither --seed nor --replay");
            return std::nullopt;
        }
        if (parser.isSet(derandomize))
            settings.derandomize = true;
        settings.replay = parser.isSet(replay);
        return settings;
    }
};

// The options of a suite run: its own, those it refuses, and those it passes to each test.
struct SuiteArguments {
    const QCommandLineOption &outDir, &junit, &jobs, &shard, &timings;
    QList<QCommandLineOption> refused;
    QList<QCommandLineOption> passedOn;
};

// vivarium-test TEST.toml|DIR... : a suite (docs/ci.md).
int suiteMain(const QCommandLineParser &parser, const SuiteArguments &a,
    const QList<QCommandLineOption> &propertyOptions)
{
    for (const QCommandLineOption &option : a.refused) {
        if (parser.isSet(option)) {
            complain(QStringLiteral("vivarium-test: --%1 is for one test, not a suite")
                         .arg(option.names().constLast()));
            return BadInput;
        }
    }
    SuiteRunner::Options options;
    options.outDir
        = parser.isSet(a.outDir) ? parser.value(a.outDir) : QStringLiteral("vivarium-out");
    options.junitPath = parser.value(a.junit);
    if (parser.isSet(a.jobs)) {
        bool ok = false;
        options.jobs = parser.value(a.jobs).toInt(&ok);
        if (!ok || options.jobs < 1 || options.jobs > 256) {
            complain(
                QStringLiteral("vivarium-test: -j must be a whole number from 1 to 256, not \"%1\"")
                    .arg(parser.value(a.jobs)));
            return BadInput;
        }
    }
    for (const QCommandLineOption &option : a.passedOn + propertyOptions) {
        if (!parser.isSet(option))
            continue;
        options.testArguments << QStringLiteral("--") + option.names().constLast();
        if (!option.valueName().isEmpty())
            options.testArguments << parser.value(option);
    }
    QString error;
    Shard shard;
    if (parser.isSet(a.shard)) {
        const std::optional<Shard> parsed = Shard::parse(parser.value(a.shard), &error);
        if (!parsed) {
            complain(QStringLiteral("vivarium-test: ") + error);
            return BadInput;
        }
        shard = *parsed;
    }
    QMap<QString, double> seconds;
    if (parser.isSet(a.timings)) {
        const auto read = readTimings(parser.value(a.timings), &error);
        if (!read) {
            complain(QStringLiteral("vivarium-test: ") + error);
            return BadInput;
        }
        seconds = *read;
    }
    QStringList errors;
    const std::optional<QList<SuiteTest>> all
        = discoverSuite(parser.positionalArguments(), &errors);
    if (!all) {
        for (const QString &line : std::as_const(errors))
            complain(line);
        complain(QStringLiteral("vivarium-test: the suite did not start: %1 problem(s) above")
                     .arg(errors.size()));
        return BadInput;
    }
    const QList<SuiteTest> tests = shardOf(*all, shard, seconds);
    options.title = shard.count > 1
        ? QStringLiteral("vivarium suite, shard %1/%2").arg(shard.index).arg(shard.count)
        : QStringLiteral("vivarium suite");
    if (shard.count > 1) {
        QStringList names;
        for (const SuiteTest &test : tests)
            names << test.name;
        say(QStringLiteral("suite: shard %1/%2 runs %3 of the %4 tests%5: %6")
                .arg(shard.index)
                .arg(shard.count)
                .arg(tests.size())
                .arg(all->size())
                .arg(seconds.isEmpty() ? QString()
                                       : QStringLiteral(" (balanced by ") + parser.value(a.timings)
                            + QLatin1Char(')'))
                .arg(names.join(QStringLiteral(", "))));
    }
    SuiteRunner runner(tests, options);
    g_suite = &runner;
    const int code = runner.run();
    g_suite = nullptr;
    return code;
}

// vivarium-test --merge DIR... -o OUT
int mergeMain(const QCommandLineParser &parser, const QCommandLineOption &outDir,
    const QCommandLineOption &junit)
{
    if (!parser.isSet(outDir) || parser.positionalArguments().isEmpty()) {
        complain(QStringLiteral("vivarium-test: --merge takes the suites' output directories and "
                                "-o OUT (vivarium-test --merge shard-1 shard-2 -o suite)"));
        return BadInput;
    }
    const QString out = parser.value(outDir);
    for (const QString &dir : parser.positionalArguments()) {
        if (QDir(dir).absolutePath() == QDir(out).absolutePath()) {
            complain(QStringLiteral("vivarium-test: --merge: -o %1 is one of the directories "
                                    "merged; give a new one")
                         .arg(out));
            return BadInput;
        }
    }
    QList<SuiteResult> merged;
    const QStringList problems = mergeSuites(parser.positionalArguments(), out, &merged);
    for (const QString &problem : problems)
        complain(QStringLiteral("vivarium-test: ") + problem);
    if (!problems.isEmpty())
        return BadInput;
    if (parser.isSet(junit)) {
        if (const QString problem = copyJunit(out, parser.value(junit)); !problem.isEmpty()) {
            complain(QStringLiteral("vivarium-test: ") + problem);
            return Environment;
        }
    }
    const qsizetype passed = passedCount(merged);
    say(QStringLiteral("vivarium-test: merged %1 suite(s): %2 of %3 tests passed; report %4")
            .arg(parser.positionalArguments().size())
            .arg(passed)
            .arg(merged.size())
            .arg(QDir(out).filePath(QStringLiteral("index.html"))));
    return passed == merged.size() ? Passed : TestFailed;
}

} // namespace

int main(int argc, char **argv)
{
    const sigset_t blocked = stopSignals();
    pthread_sigmask(SIG_BLOCK, &blocked, nullptr); // before any thread exists
    watchSignals();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("vivarium-test"));
    QCoreApplication::setApplicationVersion(QStringLiteral(VIVARIUM_VERSION));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs a Vivarium test headless.\n"
        "Exit status: 0 passed, 1 test failed, 2 bad test file or usage, 3 environment,\n"
        "128+N stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption outDir({ QStringLiteral("o"), QStringLiteral("output") },
        QStringLiteral("Output directory."), QStringLiteral("DIR"));
    const QCommandLineOption keep({ QStringLiteral("K"), QStringLiteral("keep-machine-state") },
        QStringLiteral("Keep the machines' disks and run directory."));
    const QCommandLineOption noVideo(QStringLiteral("no-video"),
        QStringLiteral("Record no video of the graphical machines' screens."));
    const QCommandLineOption accel(QStringLiteral("accel"),
        QStringLiteral("auto, kvm or tcg (default: $VIVARIUM_ACCEL or auto)."),
        QStringLiteral("ACCEL"));
    const QCommandLineOption timeout(QStringLiteral("global-timeout"),
        QStringLiteral("Seconds before the run is stopped."), QStringLiteral("S"));
    const QCommandLineOption interactive({ QStringLiteral("I"), QStringLiteral("interactive") },
        QStringLiteral("A Python prompt with the script's globals instead of the script."));
    const QCommandLineOption junit(QStringLiteral("junit-xml"),
        QStringLiteral("Where to write the JUnit report (default: OUTPUT/junit.xml)."),
        QStringLiteral("FILE"));
    const QCommandLineOption clean(QStringLiteral("clean"),
        QStringLiteral("Remove run directories left by runs that were killed, then exit."));
    const QCommandLineOption reportFrom(QStringLiteral("report-from"),
        QStringLiteral("Write log.html and junit.xml again from DIR/events.jsonl, then exit."),
        QStringLiteral("DIR"));
    const QCommandLineOption check(QStringLiteral("check"),
        QStringLiteral("Type-check the test's script with mypy against the API's stubs (as NixOS "
                       "checks its test scripts), print the findings as FILE:LINE:COL, then exit "
                       "(0 clean, 1 findings)."));
    const QCommandLineOption stubs(QStringLiteral("stubs"),
        QStringLiteral("Write the script API's type stubs (vivarium_driver.pyi) into DIR for an "
                       "editor, then exit."),
        QStringLiteral("DIR"));
    const QCommandLineOption rootImage(QStringLiteral("root-image"),
        QStringLiteral("Build the image of this host's root that root = \"image\" machines boot "
                       "from, unless the cached one is up to date; print its path, then exit."));
    const QCommandLineOption history(QStringLiteral("history"),
        QStringLiteral("Keep this run in a directory of its own under DIR, named by when it "
                       "started, beside the earlier runs (the workbench's Runs view reads the "
                       "same); the oldest past --keep-runs are removed."),
        QStringLiteral("DIR"));
    const QCommandLineOption keepRuns(QStringLiteral("keep-runs"),
        QStringLiteral("How many runs --history keeps (default %1).").arg(RunHistory::defaultKeep),
        QStringLiteral("N"));
    const QCommandLineOption compare(QStringLiteral("compare"),
        QStringLiteral("Compare two runs' output directories (give both: --compare A --compare "
                       "B): the first step where they differ and the durations that changed "
                       "most, then exit (0 the same steps and results, 1 they differ)."),
        QStringLiteral("DIR"));
    const QCommandLineOption jobs({ QStringLiteral("j"), QStringLiteral("jobs") },
        QStringLiteral("A suite: run up to N tests at once, as many as the host's memory holds "
                       "(default 1)."),
        QStringLiteral("N"));
    const QCommandLineOption shard(QStringLiteral("shard"),
        QStringLiteral("A suite: run share K of N of its tests (e.g. 2/3; every CI job of a "
                       "matrix computes the same split)."),
        QStringLiteral("K/N"));
    const QCommandLineOption timings(QStringLiteral("timings"),
        QStringLiteral("A suite: balance --shard by the test durations in FILE (timings.json "
                       "from an earlier suite run or merge)."),
        QStringLiteral("FILE"));
    const QCommandLineOption merge(QStringLiteral("merge"),
        QStringLiteral("Merge the suites' output directories given (shards) into -o OUT: one "
                       "junit.xml, index.html and timings.json, each test's folder copied in, "
                       "then exit (0 all passed, 1 not)."));
    const QCommandLineOption hostsFile(QStringLiteral("hosts"),
        QStringLiteral("Place the machines that name no host over this host and the [hosts.NAME] "
                       "of FILE (each with ssh, memory and cpus) by their memory and cores, and "
                       "print the placement (docs/scale-out.md)."),
        QStringLiteral("FILE"));
    parser.addOptions(
        { outDir, keep, noVideo, accel, timeout, interactive, junit, clean, reportFrom, check,
            stubs, rootImage, history, keepRuns, compare, jobs, shard, timings, merge, hostsFile });
    const PropertyOptions propertyOptions;
    parser.addOptions(propertyOptions.all());
    parser.addPositionalArgument(QStringLiteral("TEST.toml"),
        QStringLiteral("The test file; several, or directories of them, run as a suite "
                       "(docs/ci.md)."),
        QStringLiteral("TEST.toml|DIR..."));
    if (!parser.parse(app.arguments())) {
        complain(QStringLiteral("vivarium-test: ") + parser.errorText());
        return BadInput;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(0);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();
    if (parser.isSet(clean)) {
        const QStringList removed = RunDirectory::removeStale();
        for (const QString &path : removed)
            say(QStringLiteral("vivarium-test: removed %1").arg(path));
        say(QStringLiteral("vivarium-test: %1 stale run directories removed from %2")
                .arg(removed.size())
                .arg(RunDirectory::base()));
        return Passed;
    }
    if (parser.isSet(reportFrom)) {
        ScriptResult result;
        const QStringList problems = Session::rebuildReports(parser.value(reportFrom), &result);
        for (const QString &problem : problems)
            complain(QStringLiteral("vivarium-test: ") + problem);
        if (!problems.isEmpty())
            return BadInput;
        say(QStringLiteral("vivarium-test: %1/log.html and junit.xml written (%2)")
                .arg(parser.value(reportFrom), result.verdict()));
        return Passed;
    }
    if (parser.isSet(rootImage)) {
        QString problem;
        // Every tenth progress line (one each 20 s) and what is not progress.
        int heard = 0;
        const QString path = RootImage::ensure(
            [&heard](const QString &progress) {
                const bool counting
                    = progress.startsWith(QLatin1String("building the root image:"));
                if (!counting || heard++ % 10 == 0)
                    say(QStringLiteral("vivarium-test: ") + progress);
            },
            &problem);
        if (path.isEmpty()) {
            complain(QStringLiteral("vivarium-test: ") + problem);
            return Environment;
        }
        say(path);
        return Passed;
    }
    if (parser.isSet(compare)) {
        const QStringList runs = parser.values(compare);
        if (runs.size() != 2) {
            complain(QStringLiteral("vivarium-test: --compare takes two run directories "
                                    "(--compare A --compare B), not %1")
                         .arg(runs.size()));
            return BadInput;
        }
        RunComparison comparison;
        QString problem;
        if (!RunComparison::compareRuns(runs.at(0), runs.at(1), &comparison, &problem)) {
            complain(QStringLiteral("vivarium-test: ") + problem);
            return BadInput;
        }
        say(QStringLiteral("run A: %1\nrun B: %2\n").arg(runs.at(0), runs.at(1))
            + comparison.summary().trimmed());
        return comparison.firstDifference < 0 ? Passed : TestFailed;
    }
    if (parser.isSet(stubs)) {
        const QString path
            = QDir(parser.value(stubs)).filePath(QStringLiteral("vivarium_driver.pyi"));
        QDir().mkpath(parser.value(stubs));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(driverStub().toUtf8()) < 0
            || !file.flush()) {
            complain(formatText(u"vivarium-test: cannot write %1: %2", path, file.errorString()));
            return Environment;
        }
        say(formatText(u"vivarium-test: %1 written", path));
        return Passed;
    }
    if (parser.isSet(merge))
        return mergeMain(parser, outDir, junit);
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1 || parser.isSet(jobs) || parser.isSet(shard)
        || (positional.size() == 1 && QFileInfo(positional.constFirst()).isDir())) {
        SuiteArguments suite { outDir, junit, jobs, shard, timings,
            { interactive, history, check, keepRuns },
            { noVideo, accel, timeout, keep, hostsFile } };
        return suiteMain(parser, suite, propertyOptions.all());
    }
    if (parser.isSet(timings)) {
        complain(QStringLiteral("vivarium-test: --timings balances the shards of a suite: give "
                                "--shard K/N and the suite's tests too"));
        return BadInput;
    }
    if (positional.size() != 1) {
        complain(QStringLiteral("vivarium-test: give one test file, or several or a directory "
                                "for a suite (see --help)"));
        return BadInput;
    }
    const QString accelValue = parser.value(accel);
    if (!accelValue.isEmpty()
        && !QStringList { QStringLiteral("auto"), QStringLiteral("kvm"), QStringLiteral("tcg") }
                .contains(accelValue)) {
        complain(QStringLiteral("vivarium-test: --accel must be auto, kvm or tcg, not \"%1\"")
                     .arg(accelValue));
        return BadInput;
    }

    QString error;
    const std::optional<PropertySettings> property = propertyOptions.read(parser, &error);
    if (!property) {
        complain(QStringLiteral("vivarium-test: ") + error);
        return BadInput;
    }

    SpecLoader loader;
    std::optional<TestSpec> spec = loader.loadFile(parser.positionalArguments().constFirst());
    if (!spec) {
        for (const QString &error : loader.errors())
            complain(error);
        return BadInput;
    }
    if (parser.isSet(check)) {
        QString problem;
        const QList<ScriptFinding> findings = checkScript(*spec, &problem);
        for (const ScriptFinding &f : findings)
            say(formatText(
                u"%1:%2:%3: %4: %5", spec->script, f.line, f.column, f.severity, f.message));
        if (!problem.isEmpty()) {
            complain(QStringLiteral("vivarium-test: ") + problem);
            return Environment;
        }
        const qsizetype errors = std::count_if(findings.cbegin(), findings.cend(),
            [](const ScriptFinding &f) { return f.severity == QLatin1String("error"); });
        say(formatText(u"vivarium-test: %1: %2 type error(s)", spec->script, errors));
        return errors == 0 ? Passed : TestFailed;
    }
    if (parser.isSet(hostsFile)) {
        QStringList lines, problems;
        const HostCapacity local { QStringLiteral("local"), int(availableMemoryMiB()),
            QThread::idealThreadCount() };
        if (!applyHostsFile(parser.value(hostsFile), local, *spec, &lines, &problems)) {
            for (const QString &problem : std::as_const(problems))
                complain(QStringLiteral("vivarium-test: ") + problem);
            return BadInput;
        }
        for (const QString &line : std::as_const(lines))
            say(QStringLiteral("vivarium-test: placement: ") + line);
    }
    if (parser.isSet(timeout)) {
        bool ok = false;
        spec->globalTimeoutS = parser.value(timeout).toInt(&ok);
        if (!ok || spec->globalTimeoutS <= 0) {
            complain(QStringLiteral("vivarium-test: --global-timeout must be a positive number of "
                                    "seconds, not \"%1\"")
                         .arg(parser.value(timeout)));
            return BadInput;
        }
    }

    int runsKept = RunHistory::defaultKeep;
    if (parser.isSet(keepRuns)) {
        bool ok = false;
        runsKept = parser.value(keepRuns).toInt(&ok);
        if (!ok || runsKept < 1) {
            complain(QStringLiteral("vivarium-test: --keep-runs must be a whole number of at "
                                    "least 1, not \"%1\"")
                         .arg(parser.value(keepRuns)));
            return BadInput;
        }
    }
    if (parser.isSet(history) && parser.isSet(outDir)) {
        complain(QStringLiteral("vivarium-test: give --history or -o, not both: --history "
                                "makes each run's output directory under its DIR"));
        return BadInput;
    }
    const RunHistory runHistory(parser.value(history));
    Session::Options options;
    options.outDir = parser.value(outDir);
    if (parser.isSet(history)) {
        options.outDir = runHistory.newRun(&error);
        if (options.outDir.isEmpty()) {
            complain(QStringLiteral("vivarium-test: ") + error);
            return Environment;
        }
    }
    options.accel = accelValue;
    options.keepMachineState = parser.isSet(keep);
    options.video = !parser.isSet(noVideo);
    options.junitPath = parser.value(junit);
    options.terminalLog = true;
    options.property = *property;
    std::unique_ptr<Session> session = Session::create(*spec, options, &error);
    if (!session) {
        if (parser.isSet(history))
            QDir().rmdir(options.outDir); // made for this run, which did not start: empty
        complain(QStringLiteral("vivarium-test: ") + error);
        return Environment;
    }
    TestRun *run = session->run();
    g_session = session.get();
    // A signal that comes while the session is torn down must not reach it (declared after the
    // session: runs before it is destroyed, on every return).
    struct ForgetSession {
        ~ForgetSession()
        {
            std::lock_guard lock(g_endMutex); // not while endIfStuck uses it
            g_session = nullptr;
        }
    } forgetSession;
    say(QStringLiteral("vivarium-test: %1 (%2 machines), accelerator %3 (%4), output in %5")
            .arg(spec->name)
            .arg(spec->machines.size())
            .arg(run->accel().accel, run->accel().reason, run->outDir()));
    QElapsedTimer clock;
    clock.start();
    if (parser.isSet(interactive)) {
        session->startInteractive();
    } else if (!session->startTestScript(&error)) {
        complain(QStringLiteral("vivarium-test: ") + error);
        return BadInput;
    }
    if (spec->globalTimeoutS > 0 && !parser.isSet(interactive)) {
        const int limit = spec->globalTimeoutS;
        std::thread([limit] {
            endIfStuck(limit + stopGraceSeconds,
                formatText(u"the global timeout of %1 s was reached", limit), TestFailed);
        }).detach();
    }
    ScriptResult result = session->engine()->wait();
    scriptEnded();
    const QStringList reportProblems = session->finish(result);
    if (parser.isSet(history))
        runHistory.prune(runsKept, run->outDir());
    for (const QString &problem : reportProblems)
        complain(QStringLiteral("vivarium-test: ") + problem);
    const int signal = result.outcome == ScriptResult::Outcome::Stopped ? g_signal.load() : 0;
    const double seconds = double(clock.elapsed()) / 1000.0;
    if (options.keepMachineState)
        say(QStringLiteral("vivarium-test: machine state kept in %1").arg(run->runDir()));
    if (result.passed() && reportProblems.isEmpty()) {
        say(formatText(u"vivarium-test: %1 passed in %2 s; report %3", spec->name,
            fixed(seconds, 1), session->reportPath()));
        return Passed;
    }
    if (result.passed()) { // a pass nobody can read is not one CI may take
        complain(formatText(u"vivarium-test: %1 passed in %2 s, but its reports in %3 are not "
                            "whole (above)",
            spec->name, fixed(seconds, 1), run->outDir()));
        return Environment;
    }
    const QString where
        = result.line > 0 ? formatText(u"%1:%2: ", result.file, result.line) : QString();
    complain(formatText(u"vivarium-test: %1 %2 after %3 s: %4%5\nvivarium-test: report %6",
        spec->name, result.verdict().toUpper(), fixed(seconds, 1), where, result.message,
        session->reportPath()));
    return signal != 0 ? Signalled + signal : TestFailed;
}
