#pragma once

#include <QString>
#include <QStringList>

namespace vivarium {

// A NIC on a VLAN: a virtio-net device whose frames go through a datagram socket QEMU inherits
// as descriptor fd (connected to the port of a vde_switch).
struct QemuNic {
    int vlan = 0;
    QString mac;
    int fd = -1;
};

// The board QEMU emulates. microvm has no PCI bus, no firmware tables and no legacy devices
// but a serial port, a clock and timers; its virtio devices sit on memory-mapped transports that
// the kernel learns of from its command line. Under TCG guests boot 4-10 % sooner on it
// (docs/benchmark.md, "Boards"), but only a kernel with virtio-mmio built in boots there, and it
// has no screen.
enum class QemuMachine { Pc, Microvm };

// microvm's virtio-mmio transports: one device each.
constexpr int microvmTransports = 8;

// Everything the QEMU command line of a host-share guest depends on.
struct QemuLaunch {
    QemuMachine machine = QemuMachine::Pc;
    QString accel = QStringLiteral("tcg"); // "kvm" or "tcg"
    int memoryMiB = 256;
    int cpus = 1;
    QString kernel;
    QString initrd;
    QString kernelAppend; // the whole kernel command line
    // The root: empty, the host's "/" over 9p (tag hostroot) with machineDir as tag "vivarium"
    // (read-write); else a read-only image of it on a virtio-blk device with serial
    // "vivarium-root", after every other disk, and no 9p device at all (QEMU cannot snapshot a
    // guest that mounts one).
    QString rootImage;
    QString rootImageFormat = QStringLiteral("raw"); // or qcow2 (a machine's own image)
    QString machineDir;
    QString disk; // ext4: the overlay's upper layer
    QStringList extraDisks; // /dev/vdb, /dev/vdc...
    QString diskFormat = QStringLiteral("raw"); // of disk and extraDisks: "raw" or "qcow2"
    QString qmpSocket;
    QString serialSocket;
    QString backdoorSocket;
    QString shellSocket;
    bool graphics = false;
    QString vncSocket; // with graphics
    QString userNetMac; // eth0, the restricted user-mode NIC
    QList<QemuNic> nics;
    QStringList extraOptions;
};

// Builds QEMU's arguments. It starts paused (-S): the caller connects every socket, then
// continues, so no serial byte is lost.
QStringList qemuArguments(const QemuLaunch &launch);
// How many virtio devices qemuArguments gives the launch: on microvm each takes a transport.
int virtioDeviceCount(const QemuLaunch &launch);
// The kernel command line of a host-share guest whose init is stage2 (a path in the guest).
// The QMP name of a VLAN NIC (for set_link).
QString nicDeviceId(int vlan);
QString hostShareKernelAppend(const QString &stage2, bool graphics, const QString &extra);

} // namespace vivarium
