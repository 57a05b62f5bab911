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
        auto host = std::make_unique<SshHost>(
            spec.hosts.value(name), QStringList { artifacts.kernel, artifacts.initramfs });
        if (!host->connectHost(15, error))
            return {};
        QObject::connect(host.get(), &SshHost::lost, host.get(),
            [events](const QString &reason) { events->post(event::NetworkFailed { reason }); });
        hosts.push_back(std::move(host));
    }
    // Machines on another host: the hosts answer and have what they need, but the machines
    // themselves cannot run there yet (docs/scale-out.md, "Status").
    for (const MachineSpec &machine : spec.machines) {
        if (machine.onOtherHost()) {
            *error = QStringLiteral("%1: machine '%2' has host = \"%3\": host %3 answered and has "
                                    "what it needs, but Vivarium cannot run machines on another "
                                    "host yet (docs/scale-out.md, \"Status\")")
                         .arg(machine.location.toString(), machine.name, machine.host);
            return {};
        }
    }
    return hosts;
}

} // namespace vivarium
