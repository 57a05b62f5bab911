#include "core/qemu/qemucommand.h"

namespace vivarium {

namespace {

QString socketChardev(const QString &id, const QString &path)
{
    return QStringLiteral("socket,id=%1,path=%2,server=on,wait=off").arg(id, path);
}

// QEMU option values separate with commas; a comma in a path is written twice.
QString escaped(QString value)
{
    return value.replace(QLatin1Char(','), QLatin1String(",,"));
}

bool isMicrovm(const QemuLaunch &l)
{
    return l.machine == QemuMachine::Microvm;
}

// A virtio device of the launch's board: on PCI or on a virtio-mmio transport.
QString virtio(const QemuLaunch &l, const QString &device, const QString &options = {})
{
    QString d = QStringLiteral("virtio-%1-%2")
                    .arg(device, isMicrovm(l) ? QStringLiteral("device") : QStringLiteral("pci"));
    if (!options.isEmpty())
        d += QLatin1Char(',') + options;
    return d;
}

QString machineOption(const QemuLaunch &l)
{
    if (!isMicrovm(l))
        return QStringLiteral("pc");
    // No ACPI: QEMU would describe the virtio devices in ACPI tables only, and parsing them
    // costs the guest more than microvm saves. Without it the transports' interrupts are ISA's
    // 5-12, so the guest kernel must not claim IRQ 8 for an RTC driver (docs/guests.md,
    // "Boards"). The PIC stays (pic=off left the guest without a working timer: `sleep 1`
    // never returned), and so do the PIT and the RTC, whose clock the kernel reads at boot.
    return QStringLiteral("microvm,acpi=off,x-option-roms=off");
}

} // namespace

int virtioDeviceCount(const QemuLaunch &l)
{
    // Two 9p shares (or the root image), the state disk, the serial ports, the RNG and the
    // user-mode NIC; a keyboard on microvm (pc has its PS/2 one), a tablet with a screen.
    return (l.rootImage.isEmpty() ? 6 : 5) + (isMicrovm(l) ? 1 : 0) + (l.graphics ? 1 : 0)
        + int(l.extraDisks.size()) + int(l.nics.size());
}

QStringList qemuArguments(const QemuLaunch &l)
{
    QStringList args {
        QStringLiteral("-nodefaults"),
        QStringLiteral("-no-user-config"),
        QStringLiteral("-machine"),
        machineOption(l),
        QStringLiteral("-accel"),
        l.accel == QLatin1String("kvm") ? QStringLiteral("kvm") : QStringLiteral("tcg,tb-size=64"),
        QStringLiteral("-m"),
        QString::number(l.memoryMiB),
        QStringLiteral("-smp"),
        QString::number(l.cpus),
        QStringLiteral("-S"),
        QStringLiteral("-kernel"),
        escaped(l.kernel),
        QStringLiteral("-initrd"),
        escaped(l.initrd),
        QStringLiteral("-append"),
        l.kernelAppend,
        QStringLiteral("-drive"),
        QStringLiteral("if=none,id=disk,file=%1,format=%2,cache=writeback")
            .arg(escaped(l.disk), l.diskFormat),
        QStringLiteral("-device"),
        virtio(l, QStringLiteral("blk"), QStringLiteral("drive=disk")),
        QStringLiteral("-chardev"),
        socketChardev(QStringLiteral("serial0"), escaped(l.serialSocket)),
        QStringLiteral("-serial"),
        QStringLiteral("chardev:serial0"),
        QStringLiteral("-device"),
        virtio(l, QStringLiteral("serial")),
        QStringLiteral("-chardev"),
        socketChardev(QStringLiteral("backdoor"), escaped(l.backdoorSocket)),
        QStringLiteral("-device"),
        // A plain port, not a console: QEMU throttles it while the host side is not reading
        // where it drops a console's data; and the guest can open it only once (the agent).
        // The id names it in QMP's VSERPORT_CHANGE: the host learns when the agent goes away.
        QStringLiteral(
            "virtserialport,chardev=backdoor,name=org.vivarium.backdoor,id=backdoor-port"),
        QStringLiteral("-chardev"),
        socketChardev(QStringLiteral("shell"), escaped(l.shellSocket)),
        QStringLiteral("-device"),
        QStringLiteral("virtconsole,chardev=shell"),
        // Entropy from the host: a guest under TCG has little of its own, and systemd's
        // random-seed waited minutes for it on a second boot.
        QStringLiteral("-device"),
        virtio(l, QStringLiteral("rng")),
        // The user-mode NIC (eth0) is IPv4 only: with IPv6 on, QEMU's router advertisements
        // gave every guest a default route (via fe80::2, proto ra) that a test's own `ip -6
        // route add ::/0` then collided with.
        QStringLiteral("-netdev"),
        QStringLiteral("user,id=user0,restrict=on,ipv6=off"),
        QStringLiteral("-device"),
        virtio(l, QStringLiteral("net"),
            l.userNetMac.isEmpty() ? QStringLiteral("netdev=user0")
                                   : QStringLiteral("netdev=user0,mac=") + l.userNetMac),
        QStringLiteral("-display"),
        QStringLiteral("none"),
    };
    if (l.rootImage.isEmpty())
        args << QStringLiteral("-fsdev")
             << QStringLiteral(
                    "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap")
             << QStringLiteral("-device")
             << virtio(l, QStringLiteral("9p"), QStringLiteral("fsdev=hostroot,mount_tag=hostroot"))
             << QStringLiteral("-fsdev")
             << QStringLiteral("local,id=vivarium,path=%1,security_model=none,multidevs=remap")
                    .arg(escaped(l.machineDir))
             << QStringLiteral("-device")
             << virtio(
                    l, QStringLiteral("9p"), QStringLiteral("fsdev=vivarium,mount_tag=vivarium"));
    // Modern virtio (1.0) on the transports, as on PCI: QEMU's virtio-mmio offers the legacy
    // interface by default, which the guest's virtio-input (the keyboard) refuses.
    if (isMicrovm(l))
        args << QStringLiteral("-global") << QStringLiteral("virtio-mmio.force-legacy=false");
    for (qsizetype i = 0; i < l.extraDisks.size(); ++i)
        args << QStringLiteral("-drive")
             << QStringLiteral("if=none,id=disk%1,file=%2,format=%3,cache=writeback")
                    .arg(i + 1)
                    .arg(escaped(l.extraDisks.at(i)), l.diskFormat)
             << QStringLiteral("-device")
             << virtio(l, QStringLiteral("blk"), QStringLiteral("drive=disk%1").arg(i + 1));
    // Shared by every guest, so never written (read-only, which also keeps it out of snapshots);
    // the initramfs finds it by its serial.
    if (!l.rootImage.isEmpty())
        args << QStringLiteral("-drive")
             << QStringLiteral("if=none,id=root,file=%1,format=%2,readonly=on,cache=writeback")
                    .arg(escaped(l.rootImage), l.rootImageFormat)
             << QStringLiteral("-device")
             << virtio(l, QStringLiteral("blk"), QStringLiteral("drive=root,serial=vivarium-root"));
    for (const QemuNic &nic : l.nics) {
        args << QStringLiteral("-netdev")
             << QStringLiteral("dgram,id=vlan%1,local.type=fd,local.str=%2")
                    .arg(nic.vlan)
                    .arg(nic.fd)
             << QStringLiteral("-device")
             << virtio(l, QStringLiteral("net"),
                    QStringLiteral("netdev=vlan%1,mac=%2,id=%3")
                        .arg(QString::number(nic.vlan), nic.mac, nicDeviceId(nic.vlan)));
    }
    if (l.graphics) {
        // An absolute pointer for mouse_move/mouse_click (QMP input-send-event). virtio, not a
        // usb-tablet: a USB host controller is polled by the emulated CPU all the time.
        args << QStringLiteral("-vga") << QStringLiteral("std") << QStringLiteral("-device")
             << virtio(l, QStringLiteral("tablet"));
        if (!l.vncSocket.isEmpty())
            args << QStringLiteral("-vnc") << QStringLiteral("unix:%1").arg(escaped(l.vncSocket));
    } else if (isMicrovm(l)) {
        // For reboot()'s Ctrl+Alt+Delete: microvm has no PS/2 controller.
        args << QStringLiteral("-device") << virtio(l, QStringLiteral("keyboard"));
    } else {
        args << QStringLiteral("-vga") << QStringLiteral("none");
    }
    // QMP last: once its socket exists, every other chardev socket exists too.
    args << QStringLiteral("-chardev") << socketChardev(QStringLiteral("qmp"), escaped(l.qmpSocket))
         << QStringLiteral("-mon") << QStringLiteral("chardev=qmp,mode=control");
    args << l.extraOptions;
    return args;
}

QString nicDeviceId(int vlan)
{
    return QStringLiteral("nic-vlan%1").arg(vlan);
}

QString hostShareKernelAppend(const QString &stage2, bool graphics, const QString &extra)
{
    QStringList parts {
        QStringLiteral("console=ttyS0"),
        QStringLiteral("quiet"),
        QStringLiteral("panic=-1"),
        QStringLiteral("acpi=off"),
        QStringLiteral("cryptomgr.notests"),
        // Two start-up routines a test guest never needs, ~0.3 s under TCG: the SP800-108 KDF
        // self-test (run even with cryptomgr.notests) and the kprobe tracing set-up.
        QStringLiteral("initcall_blacklist=crypto_kdf108_init,init_kprobe_trace"),
        QStringLiteral("rodata=off"),
        // The kernel's check that the IO-APIC timer ticks within a few loops fails when the
        // host is busy (TCG runs the guest slower than it expects): "IO-APIC + timer doesn't
        // work!" and a panic, 1 in ~58 boots at load 4. A virtual machine's timer works.
        QStringLiteral("no_timer_check"),
        // Interfaces keep the kernel's names until the guest names them by MAC (eth0, eth1..).
        QStringLiteral("net.ifnames=0"),
        QStringLiteral("vivarium.init=") + stage2,
    };
    if (graphics)
        parts << QStringLiteral("vivarium.graphics=1");
    if (!extra.isEmpty())
        parts << extra;
    return parts.join(QLatin1Char(' '));
}

} // namespace vivarium
