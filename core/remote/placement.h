#pragma once

#include "core/spec/testspec.h"

#include <QStringList>

namespace vivarium {

// --hosts FILE (docs/scale-out.md, "Placement"): machines without a host are placed over this
// host ("local", with what it has) and the file's hosts by their memory and cores.
struct HostCapacity {
    QString name; // "local": this host
    int memoryMiB = 0;
    int cpus = 0;
};

struct Placement {
    QMap<QString, QString> hostOf; // machine -> host ("local" for this host)
    QStringList lines; // "local: a, b (768 of 20000 MiB, 2 of 2 cores)", host by host
};

// Each unplaced machine, the largest first, goes to the host with the most memory left that
// holds it; among equals, the one with the fewest cores taken. A machine's own host = counts
// against that host first. Cores may be shared (QEMU's vCPUs are threads), memory may not.
// On failure: nullopt and error names the machine and what each host had left.
std::optional<Placement> placeMachines(
    const QList<MachineSpec> &machines, const QList<HostCapacity> &hosts, QString *error);

// Reads a --hosts file ([hosts.NAME] tables, each with ssh, memory and cpus) into spec: its
// hosts join the test's (a name in both is refused), then every machine without a host is
// placed. localCapacity: this host's. Returns false with the messages in errors.
bool applyHostsFile(const QString &path, const HostCapacity &localCapacity, TestSpec &spec,
    QStringList *lines, QStringList *errors);

} // namespace vivarium
