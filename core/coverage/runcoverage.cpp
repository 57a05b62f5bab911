#include "core/coverage/runcoverage.h"

#include "core/event/machineerror.h"
#include "core/machine/testrun.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <thread>

namespace vivarium {

namespace {

// SIGTERM to every process of a minimal-init machine but init and the backdoor's own (its
// agent, its shell, this subshell), then a wait of up to 10 s for them to end: what a service
// manager does at shutdown, which the minimal init does not (its power-off is immediate).
// Kernel threads (no /proc/PID/exe) are left alone; a zombie has no exe either.
const char *const stopPrograms = R"(keep=" 1 $$ $PPID $BASHPID "; pids=
for d in /proc/[0-9]*; do p=${d#/proc/}; case $keep in *" $p "*) continue;; esac
[ -e "$d/exe" ] && pids="$pids $p"; done
[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
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

} // namespace

CoverageResult collectRunCoverage(TestRun *run, const QList<RecordedEvent> &events, bool powerOff,
    const std::function<void(const QString &)> &progress)
{
    const CoverageSettings &settings = run->spec().coverage;
    QMap<QString, QString> lost = lostCounters(events);
    std::vector<std::thread> workers;
    std::mutex mutex;
    const auto say = [&](const QString &what) {
        if (progress)
            progress(what);
    };
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
                if (!powerOff)
                    return;
                if (machine->spec().init == InitKind::Minimal)
                    machine->execute(QString::fromLatin1(stopPrograms), 60);
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
    if (!workers.empty())
        say(powerOff ? QStringLiteral("coverage: shutting %1 machines down so their programs "
                                      "write their counters")
                           .arg(workers.size())
                     : QStringLiteral("coverage: asking %1 machines' programs for their counters")
                           .arg(workers.size()));
    for (std::thread &worker : workers)
        worker.join();

    QList<CoverageSource> sources;
    for (Machine *machine : run->machines())
        sources.append(
            { machine->name(), machine->paths().coverageDir(), lost.value(machine->name()) });
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

} // namespace vivarium
