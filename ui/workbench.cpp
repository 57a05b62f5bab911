#include "ui/workbench.h"

#include "core/coverage/runcoverage.h"
#include "core/report/eventrecorder.h"
#include "core/report/runhistory.h"
#include "core/spec/specloader.h"
#include "core/util/textformat.h"

#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>
#include <QThreadPool>

namespace vivarium {

Workbench::Workbench(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<ActionEvent>();
    qRegisterMetaType<LinkState>();
    qRegisterMetaType<VlanState>();
    qRegisterMetaType<ScriptResult>();
    qRegisterMetaType<RecordedEvent>();
    qRegisterMetaType<Checkpoint>();
}

Workbench::~Workbench()
{
    if (m_session)
        m_session->engine()->stop();
    QThreadPool::globalInstance()->waitForDone();
    m_session.reset();
}

bool Workbench::open(const QString &testFile, QString *error)
{
    SpecLoader loader;
    std::optional<TestSpec> spec = loader.loadFile(testFile);
    if (!spec) {
        *error = loader.errors().join(QLatin1Char('\n'));
        return false;
    }
    dropSession();
    m_spec = *spec;
    m_propertySettings = {}; // another test's choice is not this one's
    return true;
}

void Workbench::dropSession()
{
    if (!m_session)
        return;
    m_session->engine()->stop();
    m_session->run()->cancelAll(); // a worker waiting on a machine returns
    QThreadPool::globalInstance()->waitForDone();
    m_collectingCoverage = false; // its end's posted call goes with the session's
    // The dropped test's last events (its machines stopping) are not the next test's: its
    // machines of the same names were drawn "crashed" by them.
    disconnect(m_session->events(), nullptr, this, nullptr);
    disconnect(m_session->recorder(), nullptr, this, nullptr);
    disconnect(m_session->network(), nullptr, this, nullptr);
    disconnect(m_session->engine(), nullptr, this, nullptr);
    m_session.reset();
    QCoreApplication::removePostedEvents(this, QEvent::MetaCall);
    emit sessionReplaced();
}

int Workbench::runningMachines() const
{
    if (!m_session)
        return 0;
    int running = 0;
    for (const auto &m : m_session->run()->machines())
        running += m->qemuPid() != 0 ? 1 : 0;
    return running;
}

bool Workbench::isScriptRunning() const
{
    return m_session && m_session->engine()->isRunning();
}

bool Workbench::ensureRun()
{
    if (m_session)
        return true;
    QString error;
    Session::Options options;
    // Not the working directory (vivarium-test's choice): a program started from a desktop has
    // the home directory as its own. Each run in a directory of its own, kept.
    options.outDir = RunHistory(runsFolder()).newRun(&error);
    if (options.outDir.isEmpty()) {
        emit message(error);
        return false;
    }
    options.pauseOnFailure = true;
    options.globalTimeout = 0; // the user decides when to stop
    // A finished run stays open to look into: coverage is collected from running machines.
    options.coveragePowerOff = false;
    options.property = m_propertySettings;
    m_session = Session::create(m_spec, options, &error);
    if (!m_session) {
        QDir().rmdir(options.outDir); // made for this session, which did not start: empty
        emit message(error);
        return false;
    }
    m_scriptRan = false;
    emit runsChanged();
    // Everything below arrives from other threads: queued to the GUI.
    const auto queued = Qt::QueuedConnection;
    EventLog *events = m_session->events();
    ScriptEngine *engine = m_session->engine();
    engine->setBreakpoints(m_breakpoints);
    engine->setCheckpoints(checkpointMode());
    connect(events, &EventLog::happened, this, &Workbench::onEvent, queued);
    connect(m_session->recorder(), &EventRecorder::recorded, this, &Workbench::outputLine, queued);
    connect(events, &EventLog::serialBytes, this, &Workbench::serialBytes, queued);
    connect(events, &EventLog::shellBytes, this, &Workbench::shellBytes, queued);
    connect(m_session->network(), &Network::linkChanged, this, &Workbench::linkChanged, queued);
    connect(m_session->network(), &Network::vlanChanged, this, &Workbench::vlanChanged, queued);
    connect(m_session->network(), &Network::failed, this, &Workbench::message, queued);
    connect(engine, &ScriptEngine::paused, this, &Workbench::scriptPaused, queued);
    connect(engine, &ScriptEngine::failurePaused, this, &Workbench::scriptFailurePaused, queued);
    connect(engine, &ScriptEngine::resumed, this, &Workbench::scriptResumed, queued);
    connect(engine, &ScriptEngine::finished, this, &Workbench::onScriptFinished, queued);
    connect(engine, &ScriptEngine::consoleOutput, this, &Workbench::consoleOutput, queued);
    connect(engine, &ScriptEngine::checkpointTaken, this, &Workbench::checkpointTaken, queued);
    return true;
}

void Workbench::onEvent(const Event &event)
{
    if (const auto *started = std::get_if<event::ActionStarted>(&event))
        emit actionStarted(started->action);
    else if (const auto *finished = std::get_if<event::ActionFinished>(&event))
        emit actionFinished(finished->action);
    else if (const auto *state = std::get_if<event::MachineState>(&event))
        emit machineStateChanged(state->machine, state->state, state->detail);
    else if (const auto *added = std::get_if<event::MachineAdded>(&event))
        emit machineAdded(added->machine, added->vlans);
    else
        onPropertyEvent(event);
}

void Workbench::onPropertyEvent(const Event &event)
{
    if (std::holds_alternative<event::PropertyStarted>(event)
        || std::holds_alternative<event::PropertyStep>(event)
        || std::holds_alternative<event::PropertyExample>(event)
        || std::holds_alternative<event::PropertyFinished>(event)
        || std::holds_alternative<event::NetworkCreated>(event)
        || std::holds_alternative<event::NetworkDestroyed>(event))
        emit propertyEvent(event);
    const auto phase = [](const QString &name) {
        return name == QLatin1String("shrink") ? tr("shrinking")
            : name == QLatin1String("final")   ? tr("replaying the minimal case")
                                               : tr("searching");
    };
    if (const auto *started = std::get_if<event::PropertyStarted>(&event)) {
        m_propertyExamples.insert(started->name, started->examples);
        emit propertyProgress(tr("property %1: starting").arg(started->name));
    } else if (const auto *step = std::get_if<event::PropertyStep>(&event)) {
        // While searching, the examples count up to the property's number; shrinking tries
        // candidates past it ("example 84 of 40" was a shrink's 44th try).
        const int examples = m_propertyExamples.value(step->property);
        if (step->phase == QLatin1String("generate")) {
            emit propertyProgress(
                formatText(tr("property %1: example %2 of %3 (%4), step %5: %6"), step->property,
                    step->example, examples, phase(step->phase), step->index, step->step));
        } else {
            const int first = m_shrinkFirstExample.value(step->property, step->example);
            m_shrinkFirstExample.insert(step->property, first);
            emit propertyProgress(
                formatText(tr("property %1: %2, try %3, step %4: %5"), step->property,
                    phase(step->phase), step->example - first + 1, step->index, step->step));
        }
    } else if (const auto *finished = std::get_if<event::PropertyFinished>(&event)) {
        m_propertyExamples.remove(finished->name);
        m_shrinkFirstExample.remove(finished->name);
        emit propertyProgress(QString());
        if (!finished->passed && !finished->regressionTest.isEmpty())
            emit propertyFalsified(finished->name, finished->regressionTest);
    }
}

void Workbench::onScriptFinished(const ScriptResult &result)
{
    if (!m_session)
        return;
    ScriptResult concluded = result;
    const QStringList problems = m_session->finish(concluded);
    RunHistory(runsFolder()).prune(m_runsKept, m_session->outDir());
    emit runsChanged();
    emit scriptFinished(concluded);
    if (!problems.isEmpty())
        emit message(problems.join(QLatin1Char('\n')));
    else
        emit reportWritten(m_session->reportPath());
    if (m_session->spec().coverage.enabled)
        emit coverageCollected(m_session->outDir() + QStringLiteral("/coverage"));
}

void Workbench::collectCoverage()
{
    if (!m_session || !m_session->spec().coverage.enabled || m_collectingCoverage.exchange(true))
        return;
    emit coverageProgress(tr("Collecting coverage…"));
    QPointer<Workbench> self(this);
    TestRun *run = m_session->run();
    const QList<RecordedEvent> events = m_session->recorder()->events();
    inWorker(tr("coverage"), [self, run, events] {
        const CoverageResult result
            = collectRunCoverage(run, events, false, [self](const QString &what) {
                  QMetaObject::invokeMethod(self, [self, what] {
                      if (self)
                          emit self->coverageProgress(what);
                  });
              });
        QMetaObject::invokeMethod(self, [self, dir = result.directory] {
            if (!self)
                return;
            self->m_collectingCoverage = false;
            emit self->coverageCollected(dir);
        });
    });
}

void Workbench::inWorker(const QString &what, std::function<void()> work)
{
    QPointer<Workbench> self(this);
    QThreadPool::globalInstance()->start([self, what, work = std::move(work)] {
        try {
            work();
        } catch (const MachineError &e) {
            const QString text = what + QStringLiteral(": ") + QString::fromStdString(e.what());
            QMetaObject::invokeMethod(self, [self, text] {
                if (self)
                    emit self->message(text);
            });
        }
    });
}

void Workbench::startAll()
{
    if (!ensureRun())
        return;
    TestRun *run = m_session->run();
    inWorker(QStringLiteral("start all"), [run] { run->startAll(); });
}

void Workbench::stopAll()
{
    if (!m_session)
        return;
    m_session->engine()->stop();
    TestRun *run = m_session->run();
    inWorker(QStringLiteral("stop all"), [run] { run->stopAll(); });
}

void Workbench::startMachine(const QString &name)
{
    if (!ensureRun())
        return;
    Machine *m = run()->machine(name);
    inWorker(QStringLiteral("start %1").arg(name), [m] { m->start(); });
}

void Workbench::crashMachine(const QString &name)
{
    if (Machine *m = m_session ? run()->machine(name) : nullptr)
        inWorker(QStringLiteral("crash %1").arg(name), [m] { m->crash(); });
}

void Workbench::shutdownMachine(const QString &name)
{
    if (Machine *m = m_session ? run()->machine(name) : nullptr)
        inWorker(QStringLiteral("shut down %1").arg(name), [m] { m->shutdown(120); });
}

void Workbench::setBlocked(const QString &name, bool blocked)
{
    if (Machine *m = m_session ? run()->machine(name) : nullptr)
        inWorker(QStringLiteral("block %1").arg(name), [m, blocked] {
            if (blocked)
                m->block();
            else
                m->unblock();
        });
}

LinkSettings Workbench::linkSettings(const QString &machine, int vlan)
{
    if (!ensureRun())
        return {};
    for (const LinkState &link : m_session->network()->links()) {
        if (link.nic.vlan == vlan && (machine.isEmpty() || link.machine == machine))
            return link.settings;
    }
    return {};
}

void Workbench::setLink(const QString &machine, int vlan, const LinkUpdate &update)
{
    if (!ensureRun())
        return;
    Network *network = m_session->network();
    inWorker(QStringLiteral("link of %1 on VLAN %2").arg(machine).arg(vlan),
        [network, machine, vlan, update] { network->setLink(machine, vlan, update); });
}

void Workbench::setVlan(int vlan, const LinkUpdate &update)
{
    if (!ensureRun())
        return;
    Network *network = m_session->network();
    inWorker(QStringLiteral("VLAN %1").arg(vlan),
        [network, vlan, update] { network->setVlan(vlan, update); });
}

void Workbench::setCapture(int vlan, const QString &machine, bool on)
{
    if (!ensureRun())
        return;
    Network *network = m_session->network();
    QPointer<Workbench> self(this);
    inWorker(QStringLiteral("capture"), [self, network, vlan, machine, on] {
        if (!on) {
            network->stopCapture(vlan, machine);
            return;
        }
        const QString path = network->startCapture(vlan, machine);
        QMetaObject::invokeMethod(self, [self, path] {
            if (self)
                emit self->message(tr("Capturing to %1").arg(path));
        });
    });
}

void Workbench::setPropertySettings(const PropertySettings &settings)
{
    m_propertySettings = settings;
}

void Workbench::runScript(const QString &source, Machines machines)
{
    if (isScriptRunning())
        return;
    // A run starts where vivarium-test starts: a manual fix on a machine of the last run must
    // not make this one pass.
    if (machines == Machines::Fresh)
        dropSession();
    if (!ensureRun())
        return;
    if (m_scriptRan) {
        // This run's reports go where the machines were started; the last run's are kept as a
        // run of their own first.
        QString error;
        if (RunHistory(runsFolder()).keepCopy(m_session->outDir(), &error).isEmpty())
            emit message(tr("The last run's reports could not be kept: %1").arg(error));
    }
    m_scriptRan = true;
    m_session->startSource(source, m_spec.script.isEmpty() ? m_spec.file : m_spec.script);
}

QList<Checkpoint> Workbench::checkpoints() const
{
    const std::shared_ptr<CallJournal> journal = m_session ? engine()->journal() : nullptr;
    return journal ? journal->checkpoints() : QList<Checkpoint>();
}

bool Workbench::runFromCheckpoint(const QString &source, int index)
{
    const std::shared_ptr<CallJournal> journal = m_session ? engine()->journal() : nullptr;
    if (isScriptRunning() || !journal || !journal->checkpointAt(index)) {
        emit message(isScriptRunning() ? tr("Run from Here: the script still runs: stop it first")
                                       : tr("Run from Here: the last run has no such checkpoint "
                                            "on the machines running now"));
        return false;
    }
    engine()->setRewind(journal, index);
    runScript(source, Machines::Running);
    return isScriptRunning();
}

void Workbench::takeCheckpoint()
{
    if (m_session)
        m_session->engine()->evaluate(QStringLiteral("checkpoint(\"by hand\")"));
}

void Workbench::setCheckpointAtSubtests(bool on)
{
    m_checkpointAtSubtests = on;
    if (m_session)
        engine()->setCheckpoints(checkpointMode());
}

ScriptEngine::Checkpoints Workbench::checkpointMode() const
{
    return m_checkpointAtSubtests ? ScriptEngine::Checkpoints::AtSubtests
                                  : ScriptEngine::Checkpoints::ByHand;
}

QString Workbench::runsFolder() const
{
    return RunHistory::folderFor(
        QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)
            + QStringLiteral("/runs"),
        m_spec.name, m_spec.file);
}

void Workbench::evaluate(const QString &source)
{
    if (ensureRun())
        m_session->engine()->evaluate(source);
}

void Workbench::setBreakpoints(const QSet<int> &lines)
{
    m_breakpoints = lines; // also for the sessions of later runs
    if (m_session)
        m_session->engine()->setBreakpoints(lines);
}

void Workbench::monitorCommand(const QString &machine, const QString &command)
{
    Machine *m = m_session ? run()->machine(machine) : nullptr;
    if (!m)
        return;
    QPointer<Workbench> self(this);
    inWorker(QStringLiteral("monitor of %1").arg(machine), [self, m, machine, command] {
        const QString answer = m->sendMonitorCommand(command);
        QMetaObject::invokeMethod(self, [self, machine, command, answer] {
            if (self)
                emit self->monitorAnswer(machine, command, answer);
        });
    });
}

} // namespace vivarium
