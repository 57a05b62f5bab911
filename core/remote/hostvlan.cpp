#include "core/remote/hostvlan.h"

#include "core/event/machineerror.h"
#include "core/guest/machinefiles.h"
#include "core/network/vdemanagement.h"

#include <QStandardPaths>

namespace vivarium {

HostVlan::HostVlan(SshHost *host, int vlan, QString localHubDir, QString localWorkDir)
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
    const QString hubCommand = QStringLiteral("vde_switch --hub --sock %1 --mgmt %2 --mode 600 "
                                              "--dirmode 700")
                                   .arg(shellQuote(hub), shellQuote(hub + QStringLiteral(".mgmt")));
    const ProcessSupervisor::Id hubId = supervisor.start(
        QStringLiteral("vde_switch for VLAN %1 on %2").arg(m_vlan).arg(m_host->label()),
        QStandardPaths::findExecutable(QStringLiteral("ssh")),
        m_host->sshArguments() << QStringLiteral("--") << QStringLiteral("exec ") + hubCommand);
    // The hub's management socket, here: it answers once the hub is up over there.
    const QString management
        = m_localWorkDir + QStringLiteral("/%1-vlan%2.mgmt").arg(m_host->spec().name).arg(m_vlan);
    // Waited for over there, in one command: up to 30 s for the hub's socket.
    QString error;
    if (!m_host->run(QStringLiteral("for i in $(seq 300); do [ -S %1 ] && exit 0; sleep 0.1; done; "
                                    "echo 'no management socket after 30 s' >&2; exit 1")
                         .arg(shellQuote(hub + QStringLiteral(".mgmt"))),
            nullptr, &error, 60))
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("the hub of VLAN %1 on %2 did not start: %3")
                .arg(m_vlan)
                .arg(m_host->label(), error));
    if (!m_host->forwardSocket(management, hub + QStringLiteral(".mgmt"), &error))
        throw MachineError(MachineError::Kind::Failed, error);
    VdeManagement session;
    supervisor.waitForManagement(hubId, management, &session);
    // The cable: frames between this host's hub and that one, over the shared connection.
    QStringList far = m_host->sshArguments();
    for (QString &argument : far)
        argument = shellQuote(argument);
    supervisor.start(QStringLiteral("the cable of VLAN %1 to %2").arg(m_vlan).arg(m_host->label()),
        QStandardPaths::findExecutable(QStringLiteral("vde_plug")),
        { QStringLiteral("vde://") + m_localHubDir,
            QStringLiteral("cmd://ssh %1 -- vde_plug vde://%2")
                .arg(far.join(QLatin1Char(' ')), hub) });
}

} // namespace vivarium
