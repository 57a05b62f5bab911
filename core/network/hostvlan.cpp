#include "core/network/hostvlan.h"

#include "core/event/machineerror.h"
#include "core/util/textformat.h"
#include "core/network/vdemanagement.h"
#include "core/network/vlanswitch.h"

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
    const QString hubManagement = hub + QStringLiteral(".mgmt");
    // Through host-exec: it ends when its ssh does (the supervisor stopped it, the connection
    // went).
    const ProcessSupervisor::Id hubId = supervisor.start(
        QStringLiteral("vde_switch for VLAN %1 on %2").arg(m_vlan).arg(m_host->label()),
        QStandardPaths::findExecutable(QStringLiteral("ssh")),
        m_host->execArguments(
            QStringList { QStringLiteral("vde_switch") } + hubSwitchArguments(hub)));
    // The hub's management socket, here: it answers once the hub is up over there.
    const QString management
        = m_localWorkDir + QStringLiteral("/%1-vlan%2.mgmt").arg(m_host->name()).arg(m_vlan);
    QString error;
    if (!m_host->forwardSocket(management, hubManagement, &error, false)) // answers once up
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("the hub of VLAN %1 on %2 did not start: %3")
                .arg(m_vlan)
                .arg(m_host->label(), error));
    VdeManagement session;
    supervisor.waitForManagement(hubId, management, &session);
    // The cable: frames between this host's hub and that one, over the shared connection.
    supervisor.start(QStringLiteral("the cable of VLAN %1 to %2").arg(m_vlan).arg(m_host->label()),
        QStandardPaths::findExecutable(QStringLiteral("vde_plug")),
        { QStringLiteral("vde://") + m_localHubDir,
            QStringLiteral("cmd://ssh %1 -- vde_plug vde://%2")
                .arg(shellQuoteAll(m_host->sshArguments()), hub) });
}

} // namespace vivarium
