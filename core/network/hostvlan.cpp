#include "core/network/hostvlan.h"

#include "core/event/machineerror.h"
#include "core/network/vdemanagement.h"
#include "core/network/vlanswitch.h"
#include "core/util/textformat.h"

#include <QStandardPaths>

namespace vivarium {

HostVlan::HostVlan(RemoteHost *host, int vlan, QString localHubDir, QString localWorkDir)
    : m_host(host)
    , m_vlan(vlan)
    , m_localHubDir(std::move(localHubDir))
    , m_localWorkDir(std::move(localWorkDir))
{
}

QString HostVlan::remoteHubDir() const
{
    return m_host->runDirectory() + QStringLiteral("/vlan%1").arg(m_vlan);
}

void HostVlan::start(ProcessSupervisor &supervisor)
{
    const QString hub = remoteHubDir();
    // Through host-exec: it ends when its ssh does (the supervisor stopped it, the connection
    // went). Its management socket here answers once the hub is up over there.
    const QString management
        = m_localWorkDir + QStringLiteral("/%1-vlan%2.mgmt").arg(m_host->name()).arg(m_vlan);
    const ProcessSupervisor::Id hubId
        = startOnHost(supervisor, *m_host, QStringLiteral("vde_switch for VLAN %1").arg(m_vlan),
            QStringList { QStringLiteral("vde_switch") } + hubSwitchArguments(hub), management,
            hub + QStringLiteral(".mgmt"));
    VdeManagement session;
    supervisor.waitForManagement(hubId, management, &session);
    // The cable: frames between this host's hub and that one, over the shared connection.
    supervisor.start(QStringLiteral("the cable of VLAN %1 to %2").arg(m_vlan).arg(m_host->label()),
        QStandardPaths::findExecutable(QStringLiteral("vde_plug")),
        cableArguments(*m_host, m_localHubDir, hub));
}

ProcessSupervisor::Id startOnHost(ProcessSupervisor &supervisor, RemoteHost &host,
    const QString &description, const QStringList &command, const QString &localSocket,
    const QString &remoteSocket)
{
    const ProcessSupervisor::Id id
        = supervisor.start(description + QStringLiteral(" on ") + host.label(),
            QStandardPaths::findExecutable(QStringLiteral("ssh")), host.execArguments(command));
    QString error;
    if (!host.forwardSocket(localSocket, remoteSocket, &error))
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("%1 on %2 did not start: %3").arg(description, host.label(), error));
    return id;
}

QStringList cableArguments(
    const RemoteHost &host, const QString &localSwitch, const QString &remoteSwitch)
{
    return { QStringLiteral("vde://") + localSwitch,
        QStringLiteral("cmd://ssh %1 -- vde_plug vde://%2")
            .arg(shellQuoteAll(host.sshArguments()), remoteSwitch) };
}

} // namespace vivarium
