#include "workbench.h"

#include "spec/specloader.h"

#include <QThreadPool>

namespace vivarium {

Workbench::Workbench(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<ActionEvent>();
    qRegisterMetaType<LinkState>();
    qRegisterMetaType<VlanState>();
    qRegisterMetaType<ScriptResult>();
}

Workbench::~Workbench()
{
    if (m_engine)
        m_engine->stop();
    m_engine.reset();
    QThreadPool::globalInstance()->waitForDone();
    m_recorder.reset();
    m_run.reset();
}

bool Workbench::open(const QString &testFile, QString *error)
{
    SpecLoader loader;
    std::optional<TestSpec> spec = loader.loadFile(testFile);
    if (!spec) {
        *error = loader.errors().join(QLatin1Char('\n'));
        return false;
    }
    if (m_engine)
        m_engine->stop();
    m_engine.reset();
    m_recorder.reset();
    m_run.reset();
    m_spec = *spec;
    return true;
}

bool Workbench::isScriptRunning() const
{
    return m_engine && m_engine->isRunning();
}

bool Workbench::ensureRun()
{
    if (m_run)
        return true;
    QString error;
    TestRun::Options options;
    m_run = TestRun::create(m_spec, options, &error);
    if (!m_run) {
        emit message(error);
        return false;
    }
    m_recorder = std::make_unique<EventRecorder>(m_run->outDir() + QStringLiteral("/events.jsonl"));
    m_recorder->watch(m_run->events());
    m_recorder->watch(m_run->network());
    m_engine = std::make_unique<ScriptEngine>(m_run.get());
    m_engine->setPauseOnFailure(true);
    m_recorder->watch(m_engine.get());
    // Everything below arrives from other threads: queued to the GUI.
    const auto queued = Qt::QueuedConnection;
    EventLog *events = m_run->events();
    connect(events, &EventLog::serialBytes, this, &Workbench::serialBytes, queued);
    connect(events, &EventLog::shellBytes, this, &Workbench::shellBytes, queued);
    connect(events, &EventLog::machineStateChanged, this, &Workbench::machineStateChanged, queued);
    connect(events, &EventLog::actionStarted, this, &Workbench::actionStarted, queued);
    connect(events, &EventLog::actionFinished, this, &Workbench::actionFinished, queued);
    connect(m_run->network(), &Network::linkChanged, this, &Workbench::linkChanged, queued);
    connect(m_run->network(), &Network::vlanChanged, this, &Workbench::vlanChanged, queued);
    connect(m_run->network(), &Network::failed, this, &Workbench::message, queued);
    connect(m_engine.get(), &ScriptEngine::paused, this, &Workbench::scriptPaused, queued);
    connect(m_engine.get(), &ScriptEngine::failurePaused, this, &Workbench::scriptFailurePaused,
        queued);
    connect(m_engine.get(), &ScriptEngine::resumed, this, &Workbench::scriptResumed, queued);
    connect(m_engine.get(), &ScriptEngine::finished, this, &Workbench::scriptFinished, queued);
    connect(m_engine.get(), &ScriptEngine::consoleOutput, this, &Workbench::consoleOutput, queued);
    return true;
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
    TestRun *run = m_run.get();
    inWorker(QStringLiteral("start all"), [run] { run->startAll(); });
}

void Workbench::stopAll()
{
    if (!m_run)
        return;
    if (m_engine)
        m_engine->stop();
    TestRun *run = m_run.get();
    inWorker(QStringLiteral("stop all"), [run] {
        for (const auto &m : run->machines()) {
            m->clearCancel();
            if (m->qemuPid() != 0)
                m->crash();
        }
    });
}

void Workbench::startMachine(const QString &name)
{
    if (!ensureRun())
        return;
    Machine *m = m_run->machine(name);
    inWorker(QStringLiteral("start %1").arg(name), [m] { m->start(); });
}

void Workbench::crashMachine(const QString &name)
{
    if (Machine *m = m_run ? m_run->machine(name) : nullptr)
        inWorker(QStringLiteral("crash %1").arg(name), [m] { m->crash(); });
}

void Workbench::shutdownMachine(const QString &name)
{
    if (Machine *m = m_run ? m_run->machine(name) : nullptr)
        inWorker(QStringLiteral("shut down %1").arg(name), [m] { m->shutdown(120); });
}

void Workbench::setBlocked(const QString &name, bool blocked)
{
    if (Machine *m = m_run ? m_run->machine(name) : nullptr)
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
    for (const LinkState &link : m_run->network()->links()) {
        if (link.nic.vlan == vlan && (machine.isEmpty() || link.machine == machine))
            return link.settings;
    }
    return {};
}

void Workbench::setLink(const QString &machine, int vlan, const LinkUpdate &update)
{
    if (!ensureRun())
        return;
    Network *network = m_run->network();
    inWorker(QStringLiteral("link of %1 on VLAN %2").arg(machine).arg(vlan),
        [network, machine, vlan, update] { network->setLink(machine, vlan, update); });
}

void Workbench::setVlan(int vlan, const LinkUpdate &update)
{
    if (!ensureRun())
        return;
    Network *network = m_run->network();
    inWorker(QStringLiteral("VLAN %1").arg(vlan),
        [network, vlan, update] { network->setVlan(vlan, update); });
}

void Workbench::setCapture(int vlan, const QString &machine, bool on)
{
    if (!ensureRun())
        return;
    Network *network = m_run->network();
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

void Workbench::runScript(const QString &source)
{
    if (!ensureRun() || m_engine->isRunning())
        return;
    m_engine->startSource(source, m_spec.script.isEmpty() ? m_spec.file : m_spec.script);
}

void Workbench::evaluate(const QString &source)
{
    if (ensureRun())
        m_engine->evaluate(source);
}

void Workbench::setBreakpoints(const QSet<int> &lines)
{
    if (ensureRun())
        m_engine->setBreakpoints(lines);
}

void Workbench::monitorCommand(const QString &machine, const QString &command)
{
    Machine *m = m_run ? m_run->machine(machine) : nullptr;
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
