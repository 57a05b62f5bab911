#include "core/coverage/runcoverage.h"

#include "core/coverage/guestcoverage.h"
#include "core/event/machineerror.h"
#include "core/machine/testrun.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <thread>

namespace vivarium {

namespace {

// SIGTERM to every process of a minimal-init machine but init and the backdoor's own (its
// agent, its shell, this subshell), SIGHUP to the consoles' interactive shells (which ignore
// SIGTERM), then a wait of up to 10 s for them to end: what a service manager does at
// shutdown, which the minimal init does not (its power-off is immediate). Kernel threads (no
// /proc/PID/exe) are left alone; a zombie has no exe either. Only shell builtins in the loops:
// under TCG each program started costs tens of milliseconds.
const char *const stopPrograms = R"(keep=" 1 $$ $PPID $BASHPID "; pids=
for d in /proc/[0-9]*; do p=${d#/proc/}; case $keep in *" $p "*) continue;; esac
[ -e "$d/exe" ] || continue; pids="$pids $p"; read -r comm < "$d/comm" 2>/dev/null
case $comm in bash|sh) kill -HUP $p;; *) kill -TERM $p;; esac 2>/dev/null; done
for i in $(seq 100); do alive=; for p in $pids; do [ -e /proc/$p/exe ] && alive=1; done
[ -z "$alive" ] && break; sleep 0.1; done; true)";

// What the run's events say was lost on each machine: a crash() or a failure ends its
// programs without their exit, so counters they had not written are gone.
QMap<QString, QString> lostCounters(const QList<RecordedEvent> &events)
{
    QMap<QString, QString> lost;
    for (const RecordedEvent &e : events) {
        if (const auto *done = std::get_if<event::ActionFinished>(&e.event)) {
            if (done->action.action == QLatin1String("crash"))
                lost.insert(done->action.machine,
                    QStringLiteral("crashed during the run: counters its programs had not "
                                   "written by then are lost"));
        } else if (const auto *state = std::get_if<event::MachineState>(&e.event)) {
            if (state->state == QLatin1String("failed"))
                lost.insert(state->machine,
                    QStringLiteral("failed during the run (%1): counters its programs had not "
                                   "written by then are lost")
                        .arg(state->detail));
        }
    }
    return lost;
}

// The tool's problem, or empty when it succeeded.
QString failureOf(const QString &program, const QStringList &arguments)
{
    const ToolRun run = runTool(program, arguments);
    return run.ok ? QString() : QStringLiteral("%1 failed: %2").arg(program, run.output);
}

void addLost(QString *lost, const QString &what)
{
    *lost += (lost->isEmpty() ? QString() : QStringLiteral("; ")) + what;
}

// Where the host reads a machine's counters. A root = "image" machine's /vivarium is on its
// own disk, not shared: while it runs they come over the backdoor (copy_from_machine); when
// it is off, from its disk image (a sparse raw copy, its journal replayed, read with debugfs
// without mounting). A crash keeps what the guest had synced, as a disk does.
QString countersOf(Machine *machine, QString *lost)
{
    const MachinePaths paths = machine->paths();
    if (machine->spec().root != RootKind::Image || machine->spec().kind != MachineKind::Vm)
        return paths.coverageDir();
    const QString copy = paths.root + QStringLiteral("/coverage-copy");
    QDir(copy).removeRecursively();
    QDir().mkpath(copy);
    if (machine->state() == Machine::State::Ready) {
        try {
            machine->copyFromMachine(QLatin1String(guestcoverage::guestDir), copy);
        } catch (const MachineError &e) {
            addLost(lost,
                QStringLiteral("its counters could not be copied out: %1")
                    .arg(QString::fromUtf8(e.what())));
        }
        return copy + QStringLiteral("/coverage");
    }
    if (!QFileInfo::exists(paths.disk))
        return copy; // never started: nothing
    const QString raw = paths.root + QStringLiteral("/coverage-disk.raw");
    QString problem = failureOf(QStringLiteral("qemu-img"),
        { QStringLiteral("convert"), QStringLiteral("-O"), QStringLiteral("raw"), paths.disk,
            raw });
    // The journal replayed on the copy: a guest that powered off without unmounting left its
    // last writes there, and debugfs does not read it.
    if (problem.isEmpty())
        problem = failureOf(QStringLiteral("e2fsck"),
            { QStringLiteral("-E"), QStringLiteral("journal_only"), QStringLiteral("-y"), raw });
    if (problem.isEmpty())
        problem = failureOf(QStringLiteral("debugfs"),
            { QStringLiteral("-R"),
                QStringLiteral("rdump /upper%1 %2")
                    .arg(QLatin1String(guestcoverage::guestDir), copy),
                raw });
    QFile::remove(raw);
    if (!problem.isEmpty())
        addLost(lost, QStringLiteral("its counters could not be read from its disk: ") + problem);
    return copy + QStringLiteral("/coverage");
}

// When the file system a machine's programs write their counters to is full (under 64 KiB
// free: a .gcda of the demo is about 2 KiB, a program's several), what is lost, as a line of
// the report; else empty. gcov and coverage.py only print on the program's stderr that a
// write failed, where nobody reads it.
QString fullCounterDirectory(Machine *machine)
{
    const CommandResult df = machine->execute(
        QStringLiteral("cd %1 && df -Pk . %2 %3 %4 2>/dev/null | awk 'NR > 1 && $4 < 64 "
                       "{ print $4 \" \" $6; exit }'")
            .arg(QLatin1String(guestcoverage::guestDir), QLatin1String(guestcoverage::gcovDir),
                QLatin1String(guestcoverage::llvmDir), QLatin1String(guestcoverage::pythonDir)),
        30);
    const QStringList found = QString::fromUtf8(df.stdoutBytes).trimmed().split(QLatin1Char(' '));
    if (df.status != 0 || found.size() != 2)
        return {};
    return QStringLiteral("the file system its counters are written to (%1) was full (%2 KiB "
                          "free): counters written since it filled are missing or cut short")
        .arg(found.at(1), found.at(0));
}

// Flushes, and with powerOff stops, the run's ready machines (each on a thread of its own: a
// shutdown takes seconds under TCG); then where each machine's counters are.
QList<CoverageSource> readCounters(TestRun *run, QMap<QString, QString> lost, bool powerOff,
    const std::function<void(const QString &)> &say)
{
    const CoverageSettings &settings = run->spec().coverage;
    std::vector<std::thread> workers;
    std::mutex mutex;
    for (Machine *machine : run->machines()) {
        if (machine->state() != Machine::State::Ready)
            continue;
        workers.emplace_back([&, machine] {
            try {
                if (!settings.flush.isEmpty())
                    machine->execute(
                        QStringLiteral("pids=$(pidof %1) && kill -%2 $pids; true")
                            .arg(settings.flush.join(QLatin1Char(' ')), settings.flushSignal),
                        60);
                if (powerOff && machine->spec().init == InitKind::Minimal)
                    machine->execute(QString::fromLatin1(stopPrograms), 60);
                if (const QString full = fullCounterDirectory(machine); !full.isEmpty()) {
                    std::lock_guard lock(mutex);
                    lost[machine->name()]
                        += (lost.value(machine->name()).isEmpty() ? QString()
                                                                  : QStringLiteral("; "))
                        + full;
                }
                if (powerOff)
                    machine->shutdown(120);
            } catch (const MachineError &e) {
                std::lock_guard lock(mutex);
                lost.insert(machine->name(),
                    QStringLiteral("could not be shut down cleanly for its counters (%1): what "
                                   "its programs had not written is lost")
                        .arg(QString::fromUtf8(e.what())));
            }
        });
    }
    if (!workers.empty() && say)
        say(powerOff ? QStringLiteral("coverage: shutting %1 machines down so their programs "
                                      "write their counters")
                           .arg(workers.size())
                     : QStringLiteral("coverage: asking %1 machines' programs for their counters")
                           .arg(workers.size()));
    for (std::thread &worker : workers)
        worker.join();
    QList<CoverageSource> sources;
    for (Machine *machine : run->machines()) {
        QString lostHere = lost.value(machine->name());
        const QString dir = countersOf(machine, &lostHere);
        sources.append({ machine->name(), dir, lostHere });
    }
    return sources;
}

} // namespace

CoverageResult collectRunCoverage(TestRun *run, const QList<RecordedEvent> &events, bool powerOff,
    const std::function<void(const QString &)> &progress)
{
    const CoverageSettings &settings = run->spec().coverage;
    const QList<CoverageSource> sources
        = readCounters(run, lostCounters(events), powerOff && settings.powerOff, progress);
    CoverageCollector collector(settings, run->spec().name, run->outDir());
    collector.setProgress(progress);
    CoverageResult result = collector.collect(sources);
    QFile summary(result.directory + QStringLiteral("/summary.json"));
    if (!summary.open(QIODevice::WriteOnly)
        || summary.write(QJsonDocument(result.json()).toJson()) < 0)
        result.problems.append(
            QStringLiteral("cannot write %1: %2").arg(summary.fileName(), summary.errorString()));
    run->events()->post(event::CoverageCollected { result.json() });
    return result;
}

Tracefile collectExampleCoverage(TestRun *example, const QString &savePath, QStringList *problems)
{
    const QList<CoverageSource> sources
        = readCounters(example, {}, example->spec().coverage.powerOff, {});
    CoverageCollector collector(example->spec().coverage, example->spec().name, example->outDir());
    Tracefile trace;
    for (const CoverageSource &source : sources)
        trace.add(collector.machineTracefile(source, problems));
    if (!trace.tests().isEmpty()) {
        QDir().mkpath(QFileInfo(savePath).path());
        QFile file(savePath);
        if (!file.open(QIODevice::WriteOnly) || file.write(trace.text()) < 0)
            problems->append(
                QStringLiteral("cannot write %1: %2").arg(savePath, file.errorString()));
    }
    return trace;
}

} // namespace vivarium
