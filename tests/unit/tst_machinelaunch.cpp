// The pure step of Machine::start: a machine's spec and its surroundings to QEMU's launch.
#include "core/machine/machinelaunch.h"

#include <QTest>

using namespace vivarium;

Q_DECLARE_METATYPE(MachineLaunchInput)

namespace {

MachineLaunchInput input()
{
    MachineLaunchInput in;
    in.spec.name = "web";
    in.artifacts.kernel = "/g/vmlinux";
    in.artifacts.initramfs = "/g/initramfs.cpio.gz";
    in.paths = MachinePaths::under("/run/v/web");
    in.stage2 = "/vivarium/config/init";
    return in;
}

} // namespace

class TestMachineLaunch : public QObject {
    Q_OBJECT

private slots:
    void launch_data()
    {
        QTest::addColumn<MachineLaunchInput>("in");
        QTest::addColumn<QStringList>("appendHas");
        QTest::addColumn<QStringList>("appendLacks");

        QTest::newRow("minimal") << input() << QStringList { "init=/vivarium/config/init" }
                                 << QStringList { "systemd.unit", "tsc_early_khz" };
        MachineLaunchInput systemd = input();
        systemd.spec.init = InitKind::Systemd;
        QTest::newRow("systemd boots multi-user.target")
            << systemd << QStringList { "systemd.unit=multi-user.target" } << QStringList {};
        MachineLaunchInput tcg = input();
        tcg.hostTscKhz = 2400000;
        QTest::newRow("tcg gets the host's TSC")
            << tcg << QStringList { "tsc_early_khz=2400000 tsc=reliable" } << QStringList {};
        MachineLaunchInput kvm = tcg;
        kvm.accel = "kvm";
        QTest::newRow("kvm measures its own")
            << kvm << QStringList {} << QStringList { "tsc_early_khz" };
        MachineLaunchInput append = input();
        append.spec.append = "loglevel=7";
        QTest::newRow("the machine's append comes last")
            << append << QStringList { "loglevel=7" } << QStringList {};
        MachineLaunchInput own = input();
        own.artifacts.kernelAppend = "dummy.numdummies=0";
        QTest::newRow("the guest kernel's own parameters")
            << own << QStringList { "dummy.numdummies=0" } << QStringList {};
        own.spec.kernel = "/elsewhere/bzImage";
        QTest::newRow("not for a kernel the machine names")
            << own << QStringList {} << QStringList { "dummy.numdummies" };
    }

    void launch()
    {
        QFETCH(MachineLaunchInput, in);
        QFETCH(QStringList, appendHas);
        QFETCH(QStringList, appendLacks);
        const QemuLaunch l = machineLaunch(in);
        for (const QString &part : appendHas)
            QVERIFY2(l.kernelAppend.contains(part), qPrintable(l.kernelAppend));
        for (const QString &part : appendLacks)
            QVERIFY2(!l.kernelAppend.contains(part), qPrintable(l.kernelAppend));
        if (!in.spec.append.isEmpty())
            QVERIFY(l.kernelAppend.endsWith(in.spec.append));
        QCOMPARE(l.accel, in.accel);
        QCOMPARE(l.kernel, in.spec.kernel.isEmpty() ? QString("/g/vmlinux") : in.spec.kernel);
        QCOMPARE(l.qmpSocket, in.paths.qmpSocket);
        QCOMPARE(l.disk, in.paths.disk);
    }

    void imageRootBootsItsOwnInitramfsFromTheImage()
    {
        MachineLaunchInput in = input();
        in.spec.root = RootKind::Image;
        in.spec.disks = { GuestDisk {} };
        in.paths = MachinePaths::under("/run/v/web", RootKind::Image);
        in.rootImage = "/cache/root-1.erofs";
        const QemuLaunch l = machineLaunch(in);
        QCOMPARE(l.rootImage, QString("/cache/root-1.erofs"));
        QCOMPARE(l.initrd, QString("/run/v/web/initrd")); // carries the machine's config
        QCOMPARE(l.disk, QString("/run/v/web/disk.qcow2"));
        QCOMPARE(l.extraDisks, QStringList { "/run/v/web/disk-1.qcow2" });
        QCOMPARE(l.diskFormat, QString("qcow2"));
        QVERIFY2(l.kernelAppend.contains("vivarium.root=image"), qPrintable(l.kernelAppend));
        QCOMPARE(l.rootImageFormat, QString("raw"));
        // A machine's own qcow2 image is attached as qcow2 (its format found at start).
        in.rootImageFormat = "qcow2";
        QCOMPARE(machineLaunch(in).rootImageFormat, QString("qcow2"));

        const QemuLaunch share = machineLaunch(input());
        QVERIFY(share.rootImage.isEmpty());
        QCOMPARE(share.initrd, QString("/g/initramfs.cpio.gz"));
        QCOMPARE(share.diskFormat, QString("raw"));
        QVERIFY(!share.kernelAppend.contains("vivarium.root"));
    }

    void ownKernelScreenAndNics()
    {
        MachineLaunchInput in = input();
        in.spec.kernel = "/k/bzImage";
        in.spec.initrd = "/k/initrd";
        in.spec.memoryMiB = 512;
        in.spec.cpus = 2;
        in.spec.graphics = true;
        in.spec.qemuOptions = { "-rtc", "base=utc" };
        in.nics = { { 1, 1, "eth1", "52:54:00:12:01:02", "192.168.1.2", "2001:db8:1::2" },
            { 3, 2, "eth2", "52:54:00:12:03:02", "192.168.3.2", "2001:db8:3::2" } };
        QemuLaunch l = machineLaunch(in);
        QCOMPARE(l.kernel, QString("/k/bzImage"));
        QCOMPARE(l.initrd, QString("/k/initrd"));
        QCOMPARE(l.memoryMiB, 512);
        QCOMPARE(l.cpus, 2);
        QVERIFY(l.graphics);
        QCOMPARE(l.vncSocket, in.paths.vncSocket);
        QCOMPARE(l.extraOptions, QStringList({ "-rtc", "base=utc" }));
        QCOMPARE(l.nics.size(), 2);
        QCOMPARE(l.nics[0].fd, firstNicFd);
        QCOMPARE(l.nics[1].fd, firstNicFd + 1);
        QCOMPARE(l.nics[1].vlan, 3);
        QCOMPARE(l.nics[1].mac, QString("52:54:00:12:03:02"));
        // vnc = false: a screen without a VNC server (the workbench polls screen dumps).
        in.spec.vnc = false;
        l = machineLaunch(in);
        QVERIFY(l.graphics);
        QVERIFY(l.vncSocket.isEmpty());
        // No screen, no VNC, whatever vnc says.
        in.spec.graphics = false;
        in.spec.vnc = true;
        QVERIFY(machineLaunch(in).vncSocket.isEmpty());
    }

    void board_data()
    {
        QTest::addColumn<MachineLaunchInput>("in");
        QTest::addColumn<bool>("microvm");
        QTest::addColumn<QString>("obstacle"); // a word of microvmObstacle's answer

        MachineLaunchInput own = input();
        own.artifacts.dir = "/g";
        own.artifacts.microvm = true;
        QTest::newRow("own kernel, no screen") << own << true << QString();
        MachineLaunchInput debian = input();
        debian.artifacts.dir = "/g";
        QTest::newRow("a kernel without virtio-mmio") << debian << false << "virtio-mmio";
        MachineLaunchInput screen = own;
        screen.spec.graphics = true;
        QTest::newRow("a screen") << screen << false << "screen";
        MachineLaunchInput kernel = own;
        kernel.spec.kernel = "/k/bzImage";
        QTest::newRow("the machine's own kernel") << kernel << false << "kernel";
        MachineLaunchInput options = own;
        options.spec.qemuOptions = { "-device", "e1000" };
        QTest::newRow("qemu_options") << options << false << "PCI";
        MachineLaunchInput pc = own;
        pc.spec.qemuMachine = QemuMachineChoice::Pc;
        QTest::newRow("qemu_machine = pc") << pc << false << QString();
        // Seven devices of its own: one NIC fits the eight transports, two do not.
        MachineLaunchInput oneNic = own;
        oneNic.nics = { { 1, 1, "eth1", "52:54:00:12:01:02", "192.168.1.2", "" } };
        QTest::newRow("one NIC") << oneNic << true << QString();
        MachineLaunchInput twoNics = oneNic;
        twoNics.nics.append({ 2, 2, "eth2", "52:54:00:12:02:02", "192.168.2.2", "" });
        QTest::newRow("two NICs") << twoNics << false << "9 virtio devices";
        MachineLaunchInput disks = oneNic;
        disks.spec.disks = { GuestDisk {} };
        QTest::newRow("a NIC and a disk") << disks << false << "1 disks";
        // An image root takes one device where the share took two: the disk fits then.
        MachineLaunchInput image = disks;
        image.spec.root = RootKind::Image;
        image.paths = MachinePaths::under("/run/v/web", RootKind::Image);
        image.rootImage = "/cache/root-1.erofs";
        QTest::newRow("an image root, a NIC and a disk") << image << true << QString();
    }

    void board()
    {
        QFETCH(MachineLaunchInput, in);
        QFETCH(bool, microvm);
        QFETCH(QString, obstacle);
        const QemuLaunch l = machineLaunch(in);
        QCOMPARE(l.machine == QemuMachine::Microvm, microvm);
        QVERIFY(virtioDeviceCount(l) <= microvmTransports || !microvm);
        const QString why = microvmObstacle(in);
        QVERIFY2(obstacle.isEmpty() ? (microvm ? why.isEmpty() : true) : why.contains(obstacle),
            qPrintable(why));
    }
};

QTEST_APPLESS_MAIN(TestMachineLaunch)
#include "tst_machinelaunch.moc"
