#include "core/machine/testrun.h"

#include "core/network/addressing.h"
#include "core/remote/runhosts.h"
#include "core/spec/specloader.h"
#include "core/util/textformat.h"

#include <QDir>
#include <QFile>
#include <algorithm>

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
    if (!run->m_outDirLock.claim(options.outDir.isEmpty()
                ? QStringLiteral("vivarium-out/") + run->m_spec.name
                : options.outDir,
            error))
        return nullptr;
    run->m_outDir = run->m_outDirLock.path();
    run->m_accel = chooseAccelerator(options.accel, artifacts->kernel);
    run->m_ioThread.setObjectName(QStringLiteral("vivarium-io"));
    run->m_ioThread.start();
    // The other hosts, before any machine boots: a host that cannot run them stops the run here.
    QString hostError;
    run->m_hosts = connectRunHosts(run->m_spec, *artifacts, &run->m_events, &hostError);
    if (!hostError.isEmpty()) {
        *error = hostError;
        return nullptr;
    }
    for (const auto &host : run->m_hosts)
        run->m_remoteHosts.insert(host->name(), host.get());
    run->m_network = std::make_unique<Network>(
        &run->m_spec, run->m_runDir.path(), run->m_outDir, &run->m_ioThread, run->m_remoteHosts);
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
    run->m_live = std::make_unique<LiveSpec>(run->m_spec);
    run->m_artifacts = *artifacts;
    run->m_video = options.video;
    for (const MachineSpec &m : run->m_spec.machines) {
        for (const char *log : { ".serial.log", ".qemu.log" })
            QFile::remove(run->m_outDir + QLatin1Char('/') + m.name + QLatin1String(log));
        run->m_machines.push_back(std::make_unique<Machine>(m, run->machineContext()));
    }
    return run;
}

MachineContext TestRun::machineContext()
{
    MachineContext context;
    context.spec = m_live.get();
    context.artifacts = m_artifacts;
    context.accel = m_accel.accel;
    context.runDir = m_runDir.path();
    context.outDir = m_outDir;
    context.video = m_video;
    context.ioThread = &m_ioThread;
    context.events = &m_events;
    context.network = m_network.get();
    context.hosts = m_remoteHosts;
    return context;
}

Machine *TestRun::addMachine(const QString &name, const QByteArray &keys)
{
    // One addition at a time: each is checked against the machines before it.
    std::lock_guard addLock(m_addMutex);
    SpecLoader loader;
    const std::optional<MachineSpec> spec
        = loader.loadAddedMachine(name, keys, *m_live->snapshot());
    if (!spec)
        throw MachineError(MachineError::Kind::Usage, loader.errors().join(QLatin1Char('\n')));
    const std::shared_ptr<const TestSpec> test = m_live->add(*spec);
    for (const char *log : { ".serial.log", ".qemu.log" })
        QFile::remove(m_outDir + QLatin1Char('/') + spec->name + QLatin1String(log));
    auto machine = std::make_unique<Machine>(*spec, machineContext());
    Machine *added = machine.get();
    {
        std::lock_guard lock(m_machinesMutex);
        m_machines.push_back(std::move(machine));
    }
    m_events.post(event::MachineAdded { spec->name, spec->vlans, spec->memoryMiB,
        spec->init == InitKind::Systemd ? QStringLiteral("systemd") : QStringLiteral("minimal"),
        spec->graphics });
    // Its links after the event, so whoever draws them knows the machine.
    m_network->addMachine(spec->name, machineNics(*test, spec->name));
    return added;
}

TestRun::~TestRun()
{
    m_machines.clear(); // kills QEMU on the I/O thread
    m_network.reset(); // then the switches and filters
    m_hosts.clear(); // then each other host removes what the run left there
    m_ioThread.quit();
    m_ioThread.wait();
}

std::vector<Machine *> TestRun::machines() const
{
    std::lock_guard lock(m_machinesMutex);
    std::vector<Machine *> machines;
    for (const auto &m : m_machines)
        machines.push_back(m.get());
    return machines;
}

Machine *TestRun::machine(const QString &name) const
{
    std::lock_guard lock(m_machinesMutex);
    for (const auto &m : m_machines) {
        if (m->name() == name)
            return m.get();
    }
    return nullptr;
}

void TestRun::startAll()
{
    m_network->start();
    for (Machine *m : machines())
        m->start();
}

void TestRun::waitAllReady(double timeout)
{
    startAll();
    for (Machine *m : machines())
        m->ensureReady(timeout);
}

void TestRun::cancelAll()
{
    for (Machine *m : machines())
        m->cancel();
}

void TestRun::powerOffAll(const std::function<void(Machine *)> &powerOff)
{
    for (Machine *m : machines()) {
        m->clearCancel();
        try {
            if (m->qemuPid() != 0)
                powerOff(m);
        } catch (const MachineError &) {
            // Dead already: nothing left to power off.
        }
    }
}

void TestRun::stopAll()
{
    powerOffAll([](Machine *m) { m->stop(); });
}

void TestRun::crashAll(const QString &reason)
{
    powerOffAll([&reason](Machine *m) { m->crash(reason); });
}

void TestRun::withNetworkStopped(
    const std::vector<Machine *> &which, const std::function<void(Machine *)> &each)
{
    std::vector<Machine *> stopped;
    try {
        for (Machine *m : which) {
            m->stopCpus();
            stopped.push_back(m);
        }
        for (Machine *m : which)
            each(m);
    } catch (...) {
        for (Machine *m : stopped) {
            try {
                m->continueCpus();
            } catch (const MachineError &) { // a machine that died: its own error says so
            }
        }
        throw;
    }
    for (Machine *m : stopped)
        m->continueCpus();
}

void TestRun::snapshotAll(const QString &name)
{
    std::lock_guard guard(m_snapshotMutex);
    std::vector<Machine *> running;
    QStringList names;
    for (Machine *m : machines()) {
        if (!m->isRunning())
            continue;
        // Refused before any machine is stopped: a network snapshot is all of it or nothing.
        if (const QString obstacle = m->snapshotObstacle(); !obstacle.isEmpty())
            throw MachineError(MachineError::Kind::Usage,
                formatText(u"snapshot_all(%1): machine %2 cannot be snapshotted: %3; no "
                           u"machine was saved",
                    name, m->name(), obstacle));
        running.push_back(m);
        names << m->name();
    }
    if (running.empty())
        throw MachineError(MachineError::Kind::Usage,
            formatText(u"snapshot_all(%1): no machine is running", name));
    withNetworkStopped(running, [&](Machine *m) { m->snapshot(name); });
    m_networkSnapshots.insert(name, names);
}

void TestRun::rewindTo(const QString &name, const QString &why)
{
    restoreAll(name);
    const QStringList saved = m_networkSnapshots.value(name);
    for (Machine *m : machines()) {
        if (m->isRunning() && !saved.contains(m->name()))
            m->crash(why);
    }
}

void TestRun::dropNetworkSnapshot(const QString &name)
{
    std::lock_guard guard(m_snapshotMutex);
    for (const QString &machineName : m_networkSnapshots.take(name)) {
        Machine *m = machine(machineName);
        if (m && m->isRunning() && m->snapshots().contains(name))
            m->deleteSnapshot(name);
    }
}

void TestRun::restoreAll(const QString &name, bool hostClock)
{
    std::lock_guard guard(m_snapshotMutex);
    if (!m_networkSnapshots.contains(name))
        throw MachineError(MachineError::Kind::Usage,
            formatText(u"restore_all(%1): snapshot_all(%1) was never taken (taken: %2)", name,
                m_networkSnapshots.isEmpty()
                    ? QStringLiteral("none")
                    : QStringList(m_networkSnapshots.keys()).join(QStringLiteral(", "))));
    std::vector<Machine *> which, off;
    for (const QString &machineName : m_networkSnapshots.value(name)) {
        Machine *m = machine(machineName);
        if (!m->snapshots().contains(name))
            throw MachineError(MachineError::Kind::Usage,
                formatText(u"restore_all(%1): machine %2 no longer has the snapshot; no machine "
                           u"was restored",
                    name, machineName));
        which.push_back(m);
        if (!m->isRunning())
            off.push_back(m);
    }
    // A machine that is off starts from the snapshot, its CPUs held until the others are
    // loaded too: the network goes on at one instant, as it was saved.
    for (auto it = off.begin(); it != off.end(); ++it) {
        try {
            (*it)->startFromSnapshot(name);
        } catch (const MachineError &) {
            for (auto started = off.begin(); started != it; ++started)
                (*started)->crash(formatText(u"restore_all(%1) failed", name));
            throw;
        }
    }
    withNetworkStopped(which, [&](Machine *m) {
        if (std::find(off.begin(), off.end(), m) == off.end())
            m->restore(name);
    });
    if (hostClock) { // once every machine goes on: setting it is a command in the guest
        for (Machine *m : which)
            m->setClockToHost();
    }
}

} // namespace vivarium
