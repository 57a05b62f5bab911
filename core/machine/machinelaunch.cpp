#include "core/machine/machinelaunch.h"

namespace vivarium {

QemuLaunch machineLaunch(const MachineLaunchInput &in)
{
    const MachineSpec &m = in.spec;
    QemuLaunch launch;
    QStringList append;
    launch.accel = in.accel;
    launch.memoryMiB = m.memoryMiB;
    launch.cpus = m.cpus;
    launch.kernel = m.kernel.isEmpty() ? in.artifacts.kernel : m.kernel;
    launch.initrd = !m.initrd.isEmpty() ? m.initrd
        : in.rootImage.isEmpty()        ? in.artifacts.initramfs
                                        : in.paths.initrd;
    launch.rootImage = in.rootImage;
    launch.rootImageFormat = in.rootImageFormat;
    if (!in.rootImage.isEmpty()) {
        launch.diskFormat = QStringLiteral("qcow2");
        append << QStringLiteral("vivarium.root=image");
    }
    if (m.qemuMachine != QemuMachineChoice::Pc && microvmObstacle(in).isEmpty())
        launch.machine = QemuMachine::Microvm;
    // A systemd guest boots multi-user.target, which holds the machine's backdoor and services,
    // not whatever the host enables (its wants are removed from the machine's root).
    if (m.init == InitKind::Systemd)
        append << QStringLiteral("systemd.unit=multi-user.target");
    if (m.kernel.isEmpty() && !in.artifacts.kernelAppend.isEmpty())
        append << in.artifacts.kernelAppend;
    if (in.accel == QLatin1String("tcg") && in.hostTscKhz > 0)
        append << QStringLiteral("tsc_early_khz=%1 tsc=reliable").arg(in.hostTscKhz);
    if (!m.append.isEmpty())
        append << m.append;
    launch.kernelAppend
        = hostShareKernelAppend(in.stage2, m.graphics, append.join(QLatin1Char(' ')));
    launch.machineDir = in.paths.guestDir;
    launch.disk = in.paths.disk;
    for (qsizetype i = 0; i < m.disks.size(); ++i)
        launch.extraDisks.append(in.paths.extraDisk(i));
    launch.qmpSocket = in.paths.qmpSocket;
    launch.serialSocket = in.paths.serialSocket;
    launch.backdoorSocket = in.paths.backdoorSocket;
    launch.shellSocket = in.paths.shellSocket;
    launch.graphics = m.graphics;
    launch.vncSocket = m.graphics && m.vnc ? in.paths.vncSocket : QString();
    launch.extraOptions = m.qemuOptions;
    launch.userNetMac = userNetMac();
    for (const NicAddress &nic : in.nics)
        launch.nics.append({ nic.vlan, nic.mac, firstNicFd - 1 + nic.index });
    return launch;
}

QString microvmObstacle(const MachineLaunchInput &in)
{
    const MachineSpec &m = in.spec;
    if (m.graphics)
        return QStringLiteral("it has a screen, and microvm has no display device");
    if (!m.kernel.isEmpty())
        return QStringLiteral("its 'kernel' is its own, which may lack virtio-mmio");
    if (!in.artifacts.microvm)
        return QStringLiteral("the guest kernel in %1 does not boot on microvm (Debian's has "
                              "virtio-mmio as a module; build Vivarium's own: scripts/setup)")
            .arg(in.artifacts.dir);
    if (!m.qemuOptions.isEmpty())
        return QStringLiteral("its 'qemu_options' may name PCI devices, and microvm has no PCI");
    QemuLaunch devices;
    devices.machine = QemuMachine::Microvm;
    devices.rootImage = in.rootImage; // one device in place of two 9p shares
    devices.extraDisks = QStringList(m.disks.size(), QString());
    devices.nics = QList<QemuNic>(in.nics.size());
    const int count = virtioDeviceCount(devices);
    if (count > microvmTransports)
        return QStringLiteral("it needs %1 virtio devices (with its %2 disks and %3 NICs) and "
                              "microvm has %4")
            .arg(count)
            .arg(m.disks.size())
            .arg(in.nics.size())
            .arg(microvmTransports);
    return {};
}

} // namespace vivarium
