#pragma once

#include "core/event/events.h"
#include "core/machine/machine.h"
#include "core/network/network.h"
#include "core/qemu/accelprobe.h"
#include "core/remote/sshhost.h"
#include "core/spec/livespec.h"
#include "core/util/outputdirectory.h"
#include "core/util/rundirectory.h"

#include <QThread>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace vivarium {

// Everything one run of a test needs: the private run directory, the I/O thread, the event
// log (machines' and the network's events) and a Machine for every machine of the test. Destroying
// it kills every QEMU.
class TestRun {
public:
    struct Options {
        QString outDir; // default: ./vivarium-out/<test name>
        QString accel; // "", "auto", "kvm", "tcg"
        bool keepMachineState = false;
        bool video = true; // a video of each graphical machine's screen
    };

    // Returns null and sets error when the guest artifacts or the run directory are missing.
    static std::unique_ptr<TestRun> create(TestSpec spec, const Options &options, QString *error);
    ~TestRun();

    // The test file's spec; live() has the machines the script added too.
    const TestSpec &spec() const { return m_spec; }
    const LiveSpec &live() const { return *m_live; }
    EventLog *events() { return &m_events; }
    const AccelChoice &accel() const { return m_accel; }
    QString outDir() const { return m_outDir; }
    QString runDir() const { return m_runDir.path(); }
    // Every machine: the test file's, then those added, in that order.
    std::vector<Machine *> machines() const;
    Machine *machine(const QString &name) const;
    // Adds a machine while the test runs (add_machine): keys are the body of its
    // [machines.NAME] table. It joins the test's VLANs (a new VLAN gets its switch), numbered
    // after every machine the test has, and is off until started. Throws MachineError (Usage)
    // with the loader's messages for bad keys or a taken name.
    Machine *addMachine(const QString &name, const QByteArray &keys);
    Network *network() const { return m_network.get(); }

    // Starts the network, then every machine.
    void startAll();
    // Starts every machine and waits until all are ready; throws the first machine's error.
    void waitAllReady(double timeout = Machine::defaultTimeout);
    void cancelAll();
    // Snapshot name of every running machine at one instant: all are stopped, saved, then
    // continued, so what one machine sent the other has or has not received in the snapshot
    // alike. restoreAll brings back the same machines (refusing, before it touches any, when one
    // lacks the snapshot; one that is off starts from it, without a boot) and continues them
    // together. Both throw
    // MachineError with the machine and the reason.
    void snapshotAll(const QString &name);
    void restoreAll(const QString &name, bool hostClock = false);
    // restoreAll, then the machines that were off at the snapshot are powered off (crashed,
    // with `why`): the whole network as it was.
    void rewindTo(const QString &name, const QString &why);
    // Deletes snapshot_all(name) from the machines that have it and run (one that is off keeps
    // it in its disk until the run directory goes); nothing when there is none.
    void dropNetworkSnapshot(const QString &name);
    // Kills every running machine at once (QMP quit, then the process): the end of a run that
    // was stopped, timed out or interrupted. Never throws.
    void crashAll(const QString &reason = QStringLiteral("crashed"));
    // The same, as the user's stop (Machine::stop): the workbench's Stop All, a dropped test,
    // the end of a session.
    void stopAll();

private:
    TestRun() = default;
    // Runs each on every machine in `which` with all their CPUs stopped; continues them after,
    // whatever happened.
    void withNetworkStopped(
        const std::vector<Machine *> &which, const std::function<void(Machine *)> &each);
    std::mutex m_snapshotMutex;
    QMap<QString, QStringList> m_networkSnapshots; // snapshotAll's name -> the machines saved
    // Powers off every running machine (crashAll, stopAll); one that died meanwhile is skipped.
    void powerOffAll(const std::function<void(Machine *)> &powerOff);
    MachineContext machineContext();

    TestSpec m_spec;
    std::unique_ptr<LiveSpec> m_live;
    GuestArtifacts m_artifacts;
    bool m_video = true;
    RunDirectory m_runDir;
    QThread m_ioThread;
    EventLog m_events;
    AccelChoice m_accel;
    OutputDirectory m_outDirLock; // before m_outDir: released last
    QString m_outDir;
    std::unique_ptr<Network> m_network;
    std::vector<std::unique_ptr<SshHost>> m_hosts; // the other hosts machines run on
    QMap<QString, RemoteHost *> m_remoteHosts; // the same, by name
    std::mutex m_addMutex;
    mutable std::mutex m_machinesMutex; // m_machines: the script adds while others read
    std::vector<std::unique_ptr<Machine>> m_machines;
};

} // namespace vivarium
