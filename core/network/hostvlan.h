#pragma once

#include "core/network/processsupervisor.h"
#include "core/network/remotehost.h"

namespace vivarium {

// One VLAN carried to another host (docs/scale-out.md, "How a VLAN crosses hosts"): a hub
// there (vde_switch --hub in the run's directory on the host) joined to this host's hub of the
// VLAN by a cable, vdeplug4's vde_plug with its far end run over the host's ssh connection
// (cmd://). Both are processes of the network's supervisor, so an early death is reported as
// theirs; the hub's management socket reaches this host through the connection (a unix socket
// forward), which is also how the hub is known to be up.
class HostVlan {
public:
    HostVlan(RemoteHost *host, int vlan, QString localHubDir, QString localWorkDir);

    // Starts the far hub and the cable; throws MachineError naming the host when either does
    // not come up.
    void start(ProcessSupervisor &supervisor);
    QString remoteHubDir() const; // on the host
    RemoteHost *host() const { return m_host; }
    int vlan() const { return m_vlan; }

private:
    RemoteHost *m_host;
    int m_vlan;
    QString m_localHubDir;
    QString m_localWorkDir; // where the forwarded management socket goes
};

} // namespace vivarium
