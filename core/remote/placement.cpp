#include "core/remote/placement.h"

#include "core/spec/hostkeys.h"
#include "core/spec/tomlguard.h"
#include "core/spec/tomlreader.h"

#include <QFile>
#include <QFileInfo>
#include <algorithm>

namespace vivarium {

std::optional<Placement> placeMachines(
    const QList<MachineSpec> &machines, const QList<HostCapacity> &hosts, QString *error)
{
    struct Load {
        HostCapacity host;
        int memoryUsed = 0, cpusUsed = 0;
        QStringList machines;
        int memoryLeft() const { return host.memoryMiB - memoryUsed; }
    };
    QList<Load> loads;
    for (const HostCapacity &host : hosts)
        loads.append({ host, 0, 0, {} });
    Placement placement;
    const auto place = [&placement](Load &load, const MachineSpec &machine) {
        load.memoryUsed += machine.memoryMiB;
        load.cpusUsed += machine.cpus;
        load.machines.append(machine.name);
        placement.hostOf.insert(machine.name, load.host.name);
    };
    QList<const MachineSpec *> unplaced;
    for (const MachineSpec &machine : machines) {
        // A container shares this host's kernel: it stays here.
        const QString host
            = machine.kind == MachineKind::Container ? QStringLiteral("local") : machine.host;
        if (host.isEmpty()) {
            unplaced.append(&machine);
            continue;
        }
        const auto load = std::find_if(
            loads.begin(), loads.end(), [&host](const Load &l) { return l.host.name == host; });
        if (load == loads.end()) {
            *error = QStringLiteral("machine '%1' has host = \"%2\", which the hosts do not name")
                         .arg(machine.name, machine.host);
            return std::nullopt;
        }
        place(*load, machine);
    }
    std::stable_sort(unplaced.begin(), unplaced.end(),
        [](const MachineSpec *a, const MachineSpec *b) { return a->memoryMiB > b->memoryMiB; });
    for (const MachineSpec *machine : std::as_const(unplaced)) {
        Load *best = nullptr;
        for (Load &load : loads) {
            if (load.memoryLeft() < machine->memoryMiB)
                continue;
            if (!best || load.memoryLeft() > best->memoryLeft()
                || (load.memoryLeft() == best->memoryLeft() && load.cpusUsed < best->cpusUsed))
                best = &load;
        }
        if (!best) {
            QStringList left;
            for (const Load &load : std::as_const(loads))
                left << QStringLiteral("%1 %2 MiB").arg(load.host.name).arg(load.memoryLeft());
            *error = QStringLiteral("machine '%1' needs %2 MiB, more than any host has left (%3)")
                         .arg(machine->name)
                         .arg(machine->memoryMiB)
                         .arg(left.join(QStringLiteral(", ")));
            return std::nullopt;
        }
        place(*best, *machine);
    }
    for (const Load &load : std::as_const(loads)) {
        if (load.machines.isEmpty())
            continue;
        placement.lines << QStringLiteral("%1: %2 (%3 of %4 MiB, %5 of %6 cores)")
                               .arg(load.host.name, load.machines.join(QStringLiteral(", ")))
                               .arg(load.memoryUsed)
                               .arg(load.host.memoryMiB)
                               .arg(load.cpusUsed)
                               .arg(load.host.cpus);
    }
    return placement;
}

bool applyHostsFile(const QString &path, const HostCapacity &localCapacity, TestSpec &spec,
    QStringList *lines, QStringList *errors)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        errors->append(
            QStringLiteral("%1: cannot read the hosts file: %2").arg(path, file.errorString()));
        return false;
    }
    const std::optional<toml::table> root = parseToml(file.readAll(), path, *errors);
    if (!root)
        return false;
    TomlReader reader(path, QFileInfo(path).absolutePath(), *errors);
    QMap<QString, HostSpec> hosts;
    for (auto &&[k, v] : *root) {
        if (k.str() == "hosts")
            readHosts(reader, v, hosts);
        else
            reader.error(k.source(),
                QStringLiteral("unknown key '%1' of a hosts file (known: hosts)")
                    .arg(tomlString(k.str())));
    }
    QList<HostCapacity> capacities { localCapacity };
    for (const HostSpec &host : std::as_const(hosts)) {
        if (spec.hosts.contains(host.name))
            errors->append(
                QStringLiteral("%1: host '%2' is in the test file too: name it in one place")
                    .arg(host.location.toString(), host.name));
        if (host.memoryMiB <= 0 || host.cpus <= 0)
            errors->append(QStringLiteral("%1: host '%2' needs memory and cpus for placement")
                               .arg(host.location.toString(), host.name));
        capacities.append({ host.name, host.memoryMiB, host.cpus });
    }
    if (!errors->isEmpty())
        return false;
    for (const HostSpec &host : std::as_const(spec.hosts))
        capacities.append({ host.name, host.memoryMiB, host.cpus }); // 0 when not said: none placed
    QString error;
    const std::optional<Placement> placement = placeMachines(spec.machines, capacities, &error);
    if (!placement) {
        errors->append(path + QStringLiteral(": ") + error);
        return false;
    }
    for (const HostSpec &host : std::as_const(hosts))
        spec.hosts.insert(host.name, host);
    for (MachineSpec &machine : spec.machines) {
        machine.host = placement->hostOf.value(machine.name) == QLatin1String("local")
            ? QString()
            : placement->hostOf.value(machine.name);
        // As the loader does for a machine given a host: it boots from the root image there.
        if (machine.onOtherHost() && machine.kind == MachineKind::Vm)
            machine.root = RootKind::Image;
    }
    *lines = placement->lines;
    return true;
}

} // namespace vivarium
