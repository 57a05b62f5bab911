#include "core/qemu/qemucommand.h"

#include <QTest>

using namespace vivarium;

namespace {

QemuLaunch launch()
{
    QemuLaunch l;
    l.kernel = "/g/vmlinux";
    l.initrd = "/g/initramfs.cpio.gz";
    l.kernelAppend = hostShareKernelAppend("/vivarium/config/init", false, {});
    l.machineDir = "/run/v/m/guest";
    l.disk = "/run/v/m/disk.img";
    l.qmpSocket = "/run/v/m/qmp.sock";
    l.serialSocket = "/run/v/m/serial.sock";
    l.backdoorSocket = "/run/v/m/backdoor.sock";
    l.shellSocket = "/run/v/m/shell.sock";
    return l;
}

QString valueAfter(const QStringList &args, const QString &option, int nth = 0)
{
    for (int i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == option && nth-- == 0)
            return args[i + 1];
    }
    return {};
}

} // namespace

class TestQemuCommand : public QObject {
    Q_OBJECT

private slots:
    void imageRootMachineSharesNothing()
    {
        QemuLaunch l = launch();
        l.rootImage = "/cache/root-0123.erofs";
        l.diskFormat = "qcow2";
        l.extraDisks = { "/run/v/m/disk-1.qcow2" };
        const QStringList args = qemuArguments(l);
        // No 9p device: QEMU refuses to snapshot a guest that mounts one.
        QVERIFY(!args.contains("-fsdev"));
        QVERIFY(!args.join(' ').contains("virtio-9p"));
        QVERIFY(valueAfter(args, "-drive", 0).contains("file=/run/v/m/disk.img,format=qcow2"));
        QVERIFY(valueAfter(args, "-drive", 1).contains("file=/run/v/m/disk-1.qcow2,format=qcow2"));
        // The root image comes after the machine's disks (they keep vda, vdb...), read-only,
        // and the initramfs finds it by its serial.
        const QString root = valueAfter(args, "-drive", 2);
        QVERIFY(root.contains("file=/cache/root-0123.erofs,format=raw,readonly=on"));
        const qsizetype rootDevice = args.indexOf("virtio-blk-pci,drive=root,serial=vivarium-root");
        QVERIFY(rootDevice > args.indexOf("virtio-blk-pci,drive=disk1"));
        // One device less on microvm's transports than the two shares took.
        QemuLaunch shared = launch();
        shared.extraDisks = l.extraDisks;
        QCOMPARE(virtioDeviceCount(l), virtioDeviceCount(shared) - 1);
    }

    void hostShareMachine()
    {
        const QStringList args = qemuArguments(launch());
        QVERIFY(args.contains("-S"));
        QVERIFY(args.contains("-nodefaults"));
        QCOMPARE(valueAfter(args, "-accel"), QString("tcg,tb-size=64"));
        QCOMPARE(valueAfter(args, "-m"), QString("256"));
        QCOMPARE(valueAfter(args, "-kernel"), QString("/g/vmlinux"));
        QVERIFY(valueAfter(args, "-append").contains("vivarium.init=/vivarium/config/init"));
        QVERIFY(valueAfter(args, "-append").contains("console=ttyS0"));
        QVERIFY(valueAfter(args, "-fsdev", 0).contains("path=/,security_model=none,readonly=on"));
        QVERIFY(valueAfter(args, "-fsdev", 1).contains("path=/run/v/m/guest"));
        QVERIFY(valueAfter(args, "-drive").contains("file=/run/v/m/disk.img,format=raw"));
        QCOMPARE(valueAfter(args, "-vga"), QString("none"));
        QVERIFY(!args.contains("-vnc"));
        QVERIFY(valueAfter(args, "-netdev").contains("restrict=on"));
        // No router advertisements on eth0: a guest has no default route it did not ask for.
        QVERIFY(valueAfter(args, "-netdev").contains("ipv6=off"));
        // The monitor socket comes last among the chardevs: when it exists, all do.
        const int qmp = args.indexOf("socket,id=qmp,path=/run/v/m/qmp.sock,server=on,wait=off");
        QVERIFY(qmp > 0);
        QCOMPARE(args.lastIndexOf("-chardev"), qmp - 1);
    }

    void kvmGraphicsAndExtras()
    {
        QemuLaunch l = launch();
        l.accel = "kvm";
        l.graphics = true;
        l.vncSocket = "/run/v/m/vnc.sock";
        l.memoryMiB = 1024;
        l.cpus = 2;
        l.extraOptions = QStringList { "-rtc", "base=utc" };
        l.kernelAppend = hostShareKernelAppend("/lib/systemd/systemd", true, "loglevel=7");
        const QStringList args = qemuArguments(l);
        QCOMPARE(valueAfter(args, "-accel"), QString("kvm"));
        QCOMPARE(valueAfter(args, "-vga"), QString("std"));
        QCOMPARE(valueAfter(args, "-vnc"), QString("unix:/run/v/m/vnc.sock"));
        QCOMPARE(valueAfter(args, "-smp"), QString("2"));
        QCOMPARE(args.mid(args.size() - 2), (QStringList { "-rtc", "base=utc" }));
        QVERIFY(valueAfter(args, "-append").endsWith("vivarium.graphics=1 loglevel=7"));
    }

    void microvmHasVirtioMmioDevicesAndAKeyboard()
    {
        QemuLaunch l = launch();
        l.machine = QemuMachine::Microvm;
        l.nics = { { 1, "52:54:00:12:01:02", 100 } };
        const QStringList args = qemuArguments(l);
        QVERIFY(valueAfter(args, "-machine").startsWith("microvm,acpi=off,"));
        QVERIFY(!args.contains("-vga"));
        int devices = 0;
        for (int i = 0; i + 1 < args.size(); ++i) {
            if (args[i] != "-device" || args[i + 1].startsWith("virtserialport")
                || args[i + 1].startsWith("virtconsole"))
                continue;
            ++devices;
            QVERIFY2(args[i + 1].startsWith("virtio-") && !args[i + 1].contains("-pci"),
                qPrintable(args[i + 1]));
        }
        QCOMPARE(devices, virtioDeviceCount(l));
        QCOMPARE(devices, microvmTransports);
        QVERIFY(args.contains("virtio-keyboard-device"));
        QVERIFY(args.contains("virtio-9p-device,fsdev=hostroot,mount_tag=hostroot"));
        QVERIFY(args.contains("virtio-net-device,netdev=vlan1,mac=52:54:00:12:01:02,id=nic-vlan1"));
        // pc: the same devices on PCI, its own keyboard.
        l.machine = QemuMachine::Pc;
        const QStringList pc = qemuArguments(l);
        QCOMPARE(valueAfter(pc, "-machine"), QString("pc"));
        QVERIFY(pc.contains("virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"));
        QVERIFY(!pc.join(' ').contains("keyboard"));
        QCOMPARE(virtioDeviceCount(l), microvmTransports - 1);
    }

    void commasInPathsAreEscaped()
    {
        QemuLaunch l = launch();
        l.disk = "/tmp/a,b/disk.img";
        QVERIFY(valueAfter(qemuArguments(l), "-drive").contains("file=/tmp/a,,b/disk.img,"));
    }
};

QTEST_APPLESS_MAIN(TestQemuCommand)
#include "tst_qemucommand.moc"
