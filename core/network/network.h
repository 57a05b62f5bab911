#pragma once

#include "core/network/addressing.h"
#include "core/network/hostvlan.h"
#include "core/network/linkstate.h"
#include "core/network/processsupervisor.h"
#include "core/network/vlanswitch.h"

#include <QMap>
#include <QObject>
#include <QSet>
#include <QThread>
#include <memory>
#include <mutex>

namespace vivarium {

// The virtual networks of one test run: a VlanSwitch per VLAN (its hub, and per machine NIC a
// small switch QEMU joins plus a wirefilter that carries the NIC's frames to the hub, so each
// link can be impaired and captured on its own while the test runs), their processes under
// one ProcessSupervisor. Knows every link's live
// state and emits a signal for each change. Thread-safe: the calls block the caller (the
// script's thread, the GUI's worker), the processes live on the I/O thread. Errors are thrown
// as MachineError. Destroying it (or Vivarium dying) ends every switch and filter.
class Network : public QObject {
    Q_OBJECT

public:
    // hosts: the other hosts of the run by name ([hosts.NAME]), for machines with a host.
    Network(const TestSpec *test, QString runDir, QString outDir, QThread *ioThread,
        QMap<QString, RemoteHost *> hosts = {});
    ~Network() override;

    // Starts every switch and filter, waits until each answers on its management socket, then
    // applies the test file's link settings and captures. Does nothing when started.
    void start();
    bool isStarted() const;

    // A machine the script added (add_machine): its links join their VLANs (a new VLAN gets
    // its switch), started at once when the network runs, each announced by linkChanged.
    void addMachine(const QString &machine, const QList<NicAddress> &nics);

    QList<VlanState> vlans() const;
    QList<LinkState> links() const;
    LinkState link(const QString &machine, int vlan) const;

    // Changes the impairment of one link, or of every link on a VLAN, at once.
    void setLink(const QString &machine, int vlan, const LinkUpdate &update);
    void setVlan(int vlan, const LinkUpdate &update);
    // Starts capturing a VLAN (machine empty) or one NIC into a pcap file in the output
    // directory; returns its path. Starting a running capture returns its path.
    QString startCapture(int vlan, const QString &machine = {});
    void stopCapture(int vlan, const QString &machine = {});

    // The switch a machine's NIC joins; the socket QEMU's end of it is bound to (on the
    // machine's host).
    QString nicSwitchDir(const QString &machine, int vlan) const;
    QString nicPortSocket(const QString &machine, int vlan) const;
    // State the machine reports: whether its QEMU runs, whether block() took its links down.
    void setMachineRunning(const QString &machine, bool running);
    void setBlocked(const QString &machine, bool blocked);

    // Process ids of every switch and filter that runs.
    QList<qint64> processIds() const;
    // The first switch or filter that died, or empty.
    QString error() const;
    // What died on machine's links (its filters and NIC switches, its VLANs' switches): each
    // message once, for the failures of its actions to name. Empty while they all run.
    QStringList deadProcessesOf(const QString &machine) const;

signals:
    void linkChanged(const vivarium::LinkState &link);
    void vlanChanged(const vivarium::VlanState &vlan);
    // A switch or filter died while the network ran.
    void failed(const QString &message);

private:
    QString netDir() const;
    void startLocked();
    // With m_mutex held (or in the constructor): machine's NIC joins its VLAN's switch, made
    // when there is none yet (and then added to *newHubs when given); returns the switch.
    VlanSwitch *addLinkLocked(
        const QString &machine, const NicAddress &nic, std::vector<VlanSwitch *> *newHubs);
    // Starts the hubs given and the NIC switch and filter of each (VLAN, machine) link.
    void startProcesses(const std::vector<VlanSwitch *> &hubs,
        const std::vector<std::pair<VlanSwitch *, QString>> &links);
    QString beginCapture(int vlan, const QString &machine);
    // With m_mutex held: the VLAN's switch, or the link of machine on it; throw when none.
    VlanSwitch &switchOf(int vlan) const;
    VlanSwitch::Link &linkOf(const QString &machine, int vlan) const;
    void onProcessEnded(ProcessSupervisor::Id id, const QString &message);
    void applyFilter(const QString &machine, int vlan, const LinkSettings &settings);
    // Applies change to each link of machine (under the lock); emits for those it changed.
    void updateLinksOf(const QString &machine, const std::function<bool(LinkState &link)> &change);
    void forgetProcesses();
    // The hub of vlan on host, started with its cable the first time a link there needs it.
    HostVlan &hostVlan(int vlan, RemoteHost *host);
    // Starts a hub here at mirror that a cable joins to a NIC's switch on another host (its
    // management socket forwarded here at remoteManagement), for the capture of that link
    // (name: the link's, for the messages); returns once the cable has joined.
    void startMirror(RemoteHost *host, const QString &mirror, const QString &remoteNicSwitch,
        const QString &remoteManagement, const QString &name);

    const TestSpec *m_test;
    QString m_runDir;
    QString m_outDir;

    std::mutex m_startMutex; // one start() at a time
    std::mutex m_filterMutex; // one management command at a time
    mutable std::mutex m_mutex; // the state below
    bool m_started = false;
    QSet<QString> m_machines; // those added while the test runs
    QString m_error;
    QMap<QString, QStringList> m_deadByMachine; // machine -> what died on its links
    // One per VLAN, in VLAN order; the links in the order of the sorted machine names.
    std::vector<std::unique_ptr<VlanSwitch>> m_switches;
    std::vector<std::pair<QString, int>> m_linkOrder; // (machine, vlan) as links() lists them
    QSet<QString> m_capturesTaken; // every pcap file of this run
    QMap<QString, RemoteHost *> m_hosts;
    std::vector<std::unique_ptr<HostVlan>> m_hostVlans; // started; by the start's lock
    ProcessSupervisor m_supervisor; // last member: destroyed first, with every process
};

} // namespace vivarium
