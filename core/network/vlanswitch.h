#pragma once

#include "core/network/linkstate.h"
#include "core/network/processsupervisor.h"

#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

class QObject;

namespace vivarium {

class RemoteHost;
class VdeManagement;

// vde_switch's arguments for a hub whose sockets live in dir, its management socket beside it
// (dir + ".mgmt"), both for the run's user only: every hub of a run, here or on another host.
QStringList hubSwitchArguments(const QString &dir);

// One VLAN of a run: its vde_switch (a hub) and, per machine NIC on it, the small switch QEMU
// joins and the wirefilter that carries the NIC's frames to the hub, with their live state and
// captures (as the NixOS driver has one VLan object per switch). Plain state: the Network
// guards it with its mutex and drives the processes.
class VlanSwitch {
public:
    struct Link {
        LinkState state;
        ProcessSupervisor::Id nicSwitch = 0;
        ProcessSupervisor::Id filter = 0;
        std::unique_ptr<VdeManagement> session; // the filter's management socket
        QObject *capture = nullptr; // a PacketCapture of this NIC, on the I/O thread
        // The host the machine runs on, or null for this one: its NIC switch and filter run
        // there, their management sockets forwarded to where they would be here.
        RemoteHost *host = nullptr;
        bool mirrored = false; // a capture started its mirror here (Network::startMirror)
    };

    VlanSwitch(int vlan, QString netDir);
    ~VlanSwitch();

    int vlan() const { return m_state.vlan; }
    VlanState &state() { return m_state; }
    const VlanState &state() const { return m_state; }
    std::vector<Link> &links() { return m_links; }
    // The link of machine, or null.
    Link *link(const QString &machine);
    void addLink(LinkState state);

    // Where things live below the run's network directory.
    QString switchDir() const;
    QString nicSwitchDir(const QString &machine) const;
    QString nicPortSocket(const QString &machine) const; // QEMU's end of the NIC's switch
    // The NIC's switch where it runs: on the link's host, in the run's directory there.
    QString nicSwitchDirThere(const Link &link) const;
    QString filterSocket(const QString &machine) const;
    QString captureSocket(const QString &machine) const; // machine empty: the VLAN's

    ProcessSupervisor::Id hub = 0;
    QObject *capture = nullptr; // a PacketCapture of the whole VLAN
    // Forgets the processes, sessions and captures (after the supervisor stopped them).
    void reset();

private:
    QString m_netDir;
    VlanState m_state;
    std::vector<Link> m_links;
};

} // namespace vivarium
