#include "core/machine/testrun.h"

#include <QDir>
#include <QFile>

namespace vivarium {

std::unique_ptr<TestRun> TestRun::create(TestSpec spec, const Options &options, QString *error)
{
    std::optional<GuestArtifacts> artifacts = GuestArtifacts::find(error);
    if (!artifacts)
        return nullptr;
    if (qemuBinary().isEmpty()) {
        *error = QStringLiteral(
            "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        return nullptr;
    }
    // Directories of runs whose process was killed (SIGKILL cannot be caught) go first.
    RunDirectory::removeStale();
    std::unique_ptr<TestRun> run(new TestRun);
    if (!run->m_runDir.isValid()) {
        *error = QStringLiteral("cannot create a private run directory (set VIVARIUM_RUN_DIR)");
        return nullptr;
    }
    run->m_runDir.setKeep(options.keepMachineState);
    run->m_spec = std::move(spec);
    run->m_outDir
        = QDir(options.outDir.isEmpty() ? QStringLiteral("vivarium-out/") + run->m_spec.name
                                        : options.outDir)
              .absolutePath();
    QDir().mkpath(run->m_outDir);
    // Reports hold what the guests printed and the test's commands: the owner's to read.
    QFile::setPermissions(
        run->m_outDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    run->m_accel = chooseAccelerator(options.accel, artifacts->kernel);
    run->m_ioThread.setObjectName(QStringLiteral("vivarium-io"));
    run->m_ioThread.start();
    run->m_network = std::make_unique<Network>(
        &run->m_spec, run->m_runDir.path(), run->m_outDir, &run->m_ioThread);
    // The network's changes are events of the run like any other.
    EventLog *events = &run->m_events;
    const auto direct = Qt::DirectConnection;
    QObject::connect(
        run->m_network.get(), &Network::linkChanged, events,
        [events](const LinkState &link) { events->post(link.toEvent()); }, direct);
    QObject::connect(
        run->m_network.get(), &Network::vlanChanged, events,
        [events](const VlanState &vlan) { events->post(vlan.toEvent()); }, direct);
    QObject::connect(
        run->m_network.get(), &Network::failed, events,
        [events](const QString &message) { events->post(event::NetworkFailed { message }); },
        direct);
    for (const MachineSpec &m : run->m_spec.machines) {
        for (const char *log : { ".serial.log", ".qemu.log" })
            QFile::remove(run->m_outDir + QLatin1Char('/') + m.name + QLatin1String(log));
        MachineContext context;
        context.test = &run->m_spec;
        context.artifacts = *artifacts;
        context.accel = run->m_accel.accel;
        context.runDir = run->m_runDir.path();
        context.outDir = run->m_outDir;
        context.video = options.video;
        context.ioThread = &run->m_ioThread;
        context.events = &run->m_events;
        context.network = run->m_network.get();
        run->m_machines.push_back(std::make_unique<Machine>(m, context));
    }
    return run;
}

TestRun::~TestRun()
{
    m_machines.clear(); // kills QEMU on the I/O thread
    m_network.reset(); // then the switches and filters
    m_ioThread.quit();
    m_ioThread.wait();
}

Machine *TestRun::machine(const QString &name) const
{
    for (const auto &m : m_machines) {
        if (m->name() == name)
            return m.get();
    }
    return nullptr;
}

void TestRun::startAll()
{
    m_network->start();
    for (const auto &m : m_machines)
        m->start();
}

void TestRun::waitAllReady(double timeout)
{
    startAll();
    for (const auto &m : m_machines)
        m->ensureReady(timeout);
}

void TestRun::cancelAll()
{
    for (const auto &m : m_machines)
        m->cancel();
}

void TestRun::crashAll(const QString &reason)
{
    for (const auto &m : m_machines) {
        m->clearCancel();
        try {
            if (m->qemuPid() != 0)
                m->crash(reason);
        } catch (const MachineError &) {
            // Dead already: nothing left to kill.
        }
    }
}

} // namespace vivarium
