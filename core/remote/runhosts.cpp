#include "core/remote/runhosts.h"

#include "core/event/events.h"

namespace vivarium {

std::vector<std::unique_ptr<SshHost>> connectRunHosts(
    const TestSpec &spec, const GuestArtifacts &artifacts, EventLog *events, QString *error)
{
    std::vector<std::unique_ptr<SshHost>> hosts;
    QStringList named;
    for (const MachineSpec &machine : spec.machines) {
        if (machine.onOtherHost() && !named.contains(machine.host))
            named.append(machine.host);
    }
    for (const QString &name : std::as_const(named)) {
        auto host = std::make_unique<SshHost>(spec.hosts.value(name),
            QStringList { artifacts.kernel, artifacts.initramfs },
            artifacts.dir + QStringLiteral("/vivarium-host-exec"));
        if (!host->connectHost(15, error))
            return {};
        QObject::connect(host.get(), &SshHost::lost, host.get(),
            [events](const QString &reason) { events->post(event::NetworkFailed { reason }); });
        hosts.push_back(std::move(host));
    }
    return hosts;
}

} // namespace vivarium
