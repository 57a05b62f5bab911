#pragma once

#include "core/network/processsupervisor.h"
#include "core/network/remotehost.h"

namespace vivarium {

// Starts command on host through its host-exec, as a process of supervisor described as
// "DESCRIPTION on host NAME (...)", and forwards its management socket there (remoteSocket)
// to localSocket here. Not waited for there: the caller's waitForManagement retries until it
// answers (a connection to a socket not made yet is closed by the host's end). Throws
// MachineError naming the host when the forward cannot be made.
ProcessSupervisor::Id startOnHost(ProcessSupervisor &supervisor, RemoteHost &host,
    const QString &description, const QStringList &command, const QString &localSocket,
    const QString &remoteSocket);
// vde_plug's arguments for a cable from localSwitch here to remoteSwitch on host: vdeplug4's
// cmd:// runs the far end over the host's shared ssh connection.
QStringList cableArguments(
    const RemoteHost &host, const QString &localSwitch, const QString &remoteSwitch);

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
