// What a user sees when a guest cannot come up, QEMU dies or Vivarium is killed.
#include "vmtestutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <sys/mount.h>
#include <unistd.h>

using namespace vivarium;

class TestMachineFailures : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString bootError(const QByteArray &toml, const QString &name, qint64 *elapsedMs)
    {
        const TestSpec spec = specFromToml(m_dir.path(), name, toml);
        std::unique_ptr<TestRun> run = makeRun(spec);
        QElapsedTimer clock;
        clock.start();
        try {
            run->waitAllReady(120);
        } catch (const MachineError &e) {
            *elapsedMs = clock.elapsed();
            return QString::fromStdString(e.what());
        }
        return {};
    }

private slots:
    void initramfsFailureIsReportedAtOnce()
    {
        qint64 elapsed = 0;
        const QString error
            = bootError("[machines.broken]\nappend = \"vivarium.init=/no/such/init\"\n",
                "broken-init", &elapsed);
        QVERIFY2(error.contains("machine broken"), qPrintable(error));
        QVERIFY2(
            error.contains(
                "vivarium-initramfs: FAILED: the machine's init /no/such/init is not executable"),
            qPrintable(error));
        QVERIFY2(error.contains("broken.serial.log"), qPrintable(error));
        QVERIFY2(elapsed < 60000, "the failure was only noticed at a timeout");
        QVERIFY(QFileInfo(testOutputDir("broken-init") + "/broken.serial.log").size() > 0);
    }

    void qemuRefusingToStartNamesItsError()
    {
        qint64 elapsed = 0;
        const QString error = bootError(
            "[machines.bad-qemu]\nqemu_options = [\"-no-such-option\"]\n", "bad-qemu", &elapsed);
        QVERIFY2(error.contains("machine bad-qemu"), qPrintable(error));
        QVERIFY2(error.contains("QEMU exited with status 1"), qPrintable(error));
        QVERIFY2(error.contains("-no-such-option"), qPrintable(error));
        QVERIFY(elapsed < 30000);
    }

    void aKilledQemuIsNamedWithItsSignal()
    {
        const TestSpec spec = specFromToml(m_dir.path(), "killed", "[machines.victim]\n");
        std::unique_ptr<TestRun> run = makeRun(spec);
        Machine *m = run->machine("victim");
        m->start();
        m->waitForReady(300);
        // Colours and a title on the serial console: the message shows the text only.
        m->succeed("printf '\\033[1;31mred alert\\033[0m \\033]0;title\\007done\\n' > /dev/ttyS0");
        m->waitForConsoleText("done", 30);
        ::kill(pid_t(m->qemuPid()), SIGKILL);
        QString error;
        try {
            m->succeed("sleep 30", 60);
        } catch (const MachineError &e) {
            error = QString::fromStdString(e.what());
        }
        QVERIFY2(error.contains("QEMU was killed by signal 9 (SIGKILL)"), qPrintable(error));
        // (The serial shell's prompt may come first on the line: the text is what counts.)
        QVERIFY2(QRegularExpression("\n  [^\n]*red alert done\n").match(error).hasMatch(),
            qPrintable(error));
        QVERIFY2(!error.contains('\x1b'), qPrintable(error));
        QVERIFY2(error.contains("\nlogs: "), qPrintable(error));
        // The output directory is the owner's alone.
        QCOMPARE(QFileInfo(run->outDir()).permissions()
                & (QFileDevice::ReadOther | QFileDevice::ReadGroup | QFileDevice::ExeOther),
            QFileDevice::Permissions());
    }

    void missingGuestArtifactsSayHowToBuildThem()
    {
        const TestSpec spec = specFromToml(m_dir.path(), "no-artifacts", "[machines.a]\n");
        qputenv("VIVARIUM_GUEST_DIR", m_dir.filePath("nowhere").toUtf8());
        QString error;
        std::unique_ptr<TestRun> run = TestRun::create(spec, {}, &error);
        qunsetenv("VIVARIUM_GUEST_DIR");
        QVERIFY(!run);
        QVERIFY2(
            error.contains("guest artifact") && error.contains("scripts/setup"), qPrintable(error));
    }

    // A disk bigger than the run directory's free space is refused at start, naming the
    // machine, the disk and the space, before QEMU runs.
    void aDiskThatDoesNotFitIsNamed()
    {
        const TestSpec spec = specFromToml(
            m_dir.path(), "bigdisk", "[machines.big]\ndisks = [{ size_mb = 1048576 }]\n");
        std::unique_ptr<TestRun> run = makeRun(spec);
        const QStorageInfo storage(run->runDir());
        if (storage.bytesAvailable() > qint64(1024) * 1024 * 1024 * 1024)
            QSKIP("more than 1 TiB free here: the largest disk fits");
        QString error;
        try {
            run->machine("big")->start();
        } catch (const MachineError &e) {
            error = QString::fromStdString(e.what());
        }
        QVERIFY2(error.startsWith("machine big: 'disks' entry 1 (/dev/vdb): cannot create the disk")
                && error.contains("1048576 MiB do not fit"),
            qPrintable(error));
        QCOMPARE(run->machine("big")->qemuPid(), 0);
    }

    // qemu_machine = "microvm" where the machine cannot boot on it is refused at start, with
    // why, before QEMU runs; "auto" boots the same machine on pc.
    void aMicrovmThatCannotBeIsNamed()
    {
        const TestSpec spec = specFromToml(m_dir.path(), "nomicrovm",
            "[machines.router]\nvlans = [1, 2]\nqemu_machine = \"microvm\"\n"
            "[machines.auto]\nvlans = [1, 2]\n");
        std::unique_ptr<TestRun> run = makeRun(spec);
        QString error;
        try {
            run->machine("router")->start();
        } catch (const MachineError &e) {
            error = QString::fromStdString(e.what());
        }
        QVERIFY2(error.startsWith("machine router has qemu_machine = \"microvm\", but it needs 9 "
                                  "virtio devices (with its 0 disks and 2 NICs) and microvm has 8")
                || error.contains("does not boot on microvm"),
            qPrintable(error));
        QCOMPARE(run->machine("router")->qemuPid(), 0);
        Machine *automatic = run->machine("auto");
        automatic->start();
        QVERIFY(automatic->succeed("ls /sys/bus/pci/devices").contains("0000:00:"));
    }

    // The host's file system under the run directory fills while a guest writes: QEMU stops
    // the guest (BLOCK_IO_ERROR, nospace); the command fails at once saying so, not at its
    // timeout.
    void aFullHostRunDirectoryIsNamed()
    {
        if (geteuid() != 0)
            QSKIP("mounts a small tmpfs for the run directory: run as root");
        QTemporaryDir small;
        QVERIFY(::mount("tmpfs", QFile::encodeName(small.path()).constData(), "tmpfs", 0,
                    "size=96m,mode=0755")
            == 0);
        qputenv("VIVARIUM_RUN_DIR", QFile::encodeName(small.path()));
        {
            const TestSpec spec = specFromToml(m_dir.path(), "hostfull", "[machines.h]\n");
            std::unique_ptr<TestRun> run = makeRun(spec);
            Machine *h = run->machine("h");
            h->start();
            h->waitForReady(300);
            QString error;
            QElapsedTimer clock;
            clock.start();
            try {
                h->succeed("dd if=/dev/urandom of=/root/big bs=1M count=200 conv=fsync", 600);
            } catch (const MachineError &e) {
                error = QString::fromStdString(e.what());
            }
            QVERIFY2(error.contains("the host has no space left for the machine's disk images"),
                qPrintable(error));
            QVERIFY2(clock.elapsed() < 300000, qPrintable(error));
        }
        qunsetenv("VIVARIUM_RUN_DIR");
        QCOMPARE(::umount2(QFile::encodeName(small.path()).constData(), MNT_DETACH), 0);
    }

    // Issue 26: 9p has no quota, so a guest filling the directory the host shares with it is
    // stopped at the machine's shared_limit_mb, saying why; the host's own copy_from_host
    // archive does not count.
    void aGuestFillingTheSharedDirectoryIsStopped()
    {
        const TestSpec spec
            = specFromToml(m_dir.path(), "sharedfull", "[machines.s]\nshared_limit_mb = 8\n");
        std::unique_ptr<TestRun> run = makeRun(spec);
        Machine *s = run->machine("s");
        s->start();
        s->waitForReady(300);
        QTemporaryDir host;
        QFile big(host.filePath("big"));
        QVERIFY(big.open(QIODevice::WriteOnly));
        QVERIFY(big.write(QByteArray(12 * 1024 * 1024, 'x')) > 0);
        big.close();
        s->copyFromHost(big.fileName(), "/root/big");
        QCOMPARE(s->succeed("stat -c %s /root/big", 60).trimmed(), QString("12582912"));
        QString error;
        try {
            s->succeed(
                "dd if=/dev/zero of=/tmp/shared/fill bs=1M count=32 && sync && sleep 60", 120);
        } catch (const MachineError &e) {
            error = QString::fromStdString(e.what());
        }
        QVERIFY2(error.contains("into the directory the host shares with it")
                && error.contains("over its limit of 8 MiB (the machine's shared_limit_mb)"),
            qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!s->isRunning(), 60000); // QEMU was ended for it
    }

    void missingNetworkProgramsAreNamed()
    {
        const TestSpec spec = specFromToml(m_dir.path(), "no-vde", "[machines.lonely]\n");
        std::unique_ptr<TestRun> run = makeRun(spec);
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH", "/nonexistent");
        QString error;
        try {
            run->startAll();
        } catch (const MachineError &e) {
            error = QString::fromStdString(e.what());
        }
        qputenv("PATH", path);
        QCOMPARE(error, QString("vde_switch is not installed (apt-get install vde2)"));
        QVERIFY(run->network()->processIds().isEmpty());
    }

    void sigkillLeavesNoQemuOrSwitchBehind()
    {
        const QString toml = m_dir.filePath("held.toml");
        writeTestFile(toml, "[machines.held-one]\nvlans = [1, 2]\n[machines.held-two]\n");
        QProcess holder;
        holder.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        holder.start(QCoreApplication::applicationDirPath() + "/vm_holder", { toml });
        QVERIFY(holder.waitForStarted());
        QList<qint64> pids;
        QString runDir;
        QElapsedTimer clock;
        clock.start();
        while (runDir.isEmpty() && clock.elapsed() < 60000) {
            holder.waitForReadyRead(1000);
            while (holder.canReadLine()) {
                const QString line = QString::fromUtf8(holder.readLine()).trimmed();
                if (line.startsWith("QEMU_PID ") || line.startsWith("NET_PID "))
                    pids << line.section(' ', 1).toLongLong();
                else if (line.startsWith("RUN_DIR "))
                    runDir = line.mid(8);
            }
        }
        // Two QEMUs; two VLAN switches; three NICs with a switch and a filter each.
        QCOMPARE(pids.size(), 2 + 2 + 3 * 2);
        for (qint64 pid : pids)
            QVERIFY(QFileInfo::exists(QStringLiteral("/proc/%1").arg(pid)));
        ::kill(pid_t(holder.processId()), SIGKILL);
        QVERIFY(holder.waitForFinished(5000));
        clock.restart();
        const auto anyAlive = [&] {
            for (qint64 pid : pids) {
                QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
                // A zombie waiting for its reaper is gone for our purposes.
                if (stat.open(QIODevice::ReadOnly) && !stat.readAll().contains(") Z "))
                    return true;
            }
            return false;
        };
        while (anyAlive() && clock.elapsed() < 10000)
            QTest::qWait(50);
        QVERIFY2(!anyAlive(), "QEMU, a switch or a filter outlived the killed Vivarium process");
        QVERIFY(QFileInfo(runDir).isDir()); // killed: nobody cleaned up, but it is private
        QCOMPARE(
            QFileInfo(runDir).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
            QFileDevice::Permissions());
        QDir(runDir).removeRecursively();
    }
};

QTEST_GUILESS_MAIN(TestMachineFailures)
#include "tst_machinefailures.moc"
