// A container machine's backend: what vivarium-container is given for this machine. Here, not
// in core/machine: Machine knows backends through MachineBackend only.
#include "core/container/containerprocess.h"
#include "core/machine/machine.h"
#include "core/network/addressing.h"
#include "core/network/network.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <mutex>

namespace vivarium {

MachineBackend *Machine::containerBackend(const TestSpec &test, const QString &stage2)
{
    ContainerLaunch launch;
    launch.launcher = m_context.artifacts.dir + QStringLiteral("/vivarium-container");
    if (!QFileInfo(launch.launcher).isExecutable())
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1 is a container, but %2 is missing: build the "
                           "vivarium-container target (scripts/setup does)")
                .arg(m_spec.name, launch.launcher));
    // What a Vivarium killed before it could clean up left behind, once per process.
    static std::once_flag swept;
    std::call_once(swept, [] { ContainerProcess::removeStaleCgroups(); });
    launch.hostname = m_spec.name;
    launch.disk = m_paths.disk;
    launch.guestDir = m_paths.guestDir;
    launch.init = stage2;
    // Unique on the host while this Vivarium runs; a later run removes it if we cannot.
    launch.cgroup
        = QStringLiteral("%1.%2").arg(QCoreApplication::applicationPid()).arg(m_spec.name);
    launch.memoryBytes = qint64(m_spec.memoryMiB) * 1024 * 1024;
    launch.cpus = m_spec.cpus;
    if (m_context.network) {
        for (const NicAddress &nic : machineNics(test, m_spec.name))
            launch.nics.append({ m_context.network->nicSwitchDir(m_spec.name, nic.vlan),
                m_context.network->nicPortSocket(m_spec.name, nic.vlan), -1, nic.vlan,
                nic.interface, nic.mac });
    }
    auto *process = new ContainerProcess(m_spec.name, launch, m_context.outDir);
    // What it writes into its /vivarium and /tmp/shared lands on the host's disk, as a VM's
    // over 9p does: the same limit.
    process->setSharedLimit(m_paths.guestDir, qint64(m_spec.sharedLimitMiB) * 1024 * 1024);
    return process;
}

} // namespace vivarium
