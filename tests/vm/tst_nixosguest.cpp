// What NixOS tests rely on in a guest, on real QEMU guests (one systemd, one minimal): execute's
// semantics, multi-user.target holding the machine's services only, the network targets,
// users, files with modes and owners, disks, mounts, the journal on the console, a second boot,
// a clean reboot, and the backdoor ordered after basic.target.
#include "vmtestutil.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

const char hostAlias[] = "/etc/systemd/system/dbus-org.freedesktop.timesync1.service";

// A path that is an absolute symlink on the host (Debian's alias of timesyncd) gets a file of
// the test: it must replace the link.
QByteArray testFile()
{
    QByteArray toml = R"toml(
[defaults]
users = [{ name = "alice", password = "foobar", groups = ["wheel"] }]
disks = [{ size_mb = 64, mount = "/data" }, { size_mb = 16 }]
environment = { ETCDCTL_API = "3" }

[machines.sd]
init = "systemd"
services = ["hello"]
files = { "/etc/systemd/system/hello.service" = "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo hello-from-the-journal'\n", "/etc/profile.d/vivarium-test.sh" = "export FROM_PROFILE=yes\n", "/usr/local/bin/hi" = { content = "#!/bin/sh\necho hi\n", mode = "0755", owner = "alice:wheel" }, "/etc/sysusers.d/svc.conf" = "u svc - \"a service\" /var/lib/svc\n", "/etc/tmpfiles.d/svc.conf" = "d /run/svc 0750 svc svc -\n", "/etc/vivarium-motd" = "from the test\n", "/etc/binfmt.d/vivarium-test.conf" = ":vivarium-test:E::vivtest::/bin/true:\n" ALIAS }

[machines.mini]
files = { "/etc/profile.d/vivarium-test.sh" = "export FROM_PROFILE=yes\n", "/etc/vivarium-motd" = "from the test\n" }
)toml";
    return toml.replace("ALIAS",
        QFileInfo(hostAlias).isSymLink()
            ? QByteArray(", \"") + hostAlias + "\" = \"[Unit]\\nDescription=from the test\\n\""
            : QByteArray());
}

} // namespace

class TestNixosGuest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<TestRun> m_run;
    Machine *sd = nullptr;
    Machine *mini = nullptr;

    QList<Machine *> both() const { return { sd, mini }; }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const TestSpec spec = specFromToml(m_dir.path(), "nixosguest", testFile());
        m_run = makeRun(spec);
        sd = m_run->machine("sd");
        mini = m_run->machine("mini");
        m_run->waitAllReady(300);
    }

    // As on NixOS, a systemd machine's first command runs once basic.target is reached: D-Bus
    // listens (hostnamectl works), sysinit's tmpfiles are done. The backdoor used to be ready
    // long before that, and NixOS's hostname test failed now and then ("Failed to connect to
    // bus"). This must be the first command sent to sd.
    void theFirstCommandFindsBasicTargetReached()
    {
        QCOMPARE(
            sd->execute("systemctl is-active basic.target sockets.target dbus.socket").stdoutBytes,
            QByteArray("active\nactive\nactive\n"));
        QVERIFY(sd->execute("test -S /run/dbus/system_bus_socket").status == 0);
        // The NICs were set up before the network targets, as before.
        QCOMPARE(sd->execute("systemctl is-active vivarium-setup.service network-online.target")
                     .stdoutBytes,
            QByteArray("active\nactive\n"));
    }

    void executeIsBashStrictModeInTmp()
    {
        for (Machine *m : both()) {
            QCOMPARE(m->execute("pwd").stdoutBytes, QByteArray("/tmp\n"));
            QCOMPARE(m->execute("false; true").status, 1); // set -e
            QVERIFY(m->execute("echo $UNSET_VARIABLE").status != 0); // set -u
            QCOMPARE(m->execute("false | true").status, 1); // pipefail
            QCOMPARE(m->execute("true").status, 0); // the shell after a failure
            // The machine's environment and its /etc/profile.d, not the host's profile.
            QCOMPARE(m->succeed("echo $ETCDCTL_API $FROM_PROFILE"), QString("3 yes\n"));
            const QString flags = m->succeed("echo $-; shopt -qo pipefail && echo pipefail");
            QVERIFY2(flags.section('\n', 0, 0).contains('e')
                    && flags.section('\n', 0, 0).contains('u') && flags.endsWith("pipefail\n"),
                qPrintable(flags));
            // Each command starts afresh in /tmp.
            QCOMPARE(m->execute("cd /etc; exit 0").status, 0);
            QCOMPARE(m->succeed("pwd"), QString("/tmp\n"));
        }
    }

    void multiUserHoldsTheMachinesServicesOnly()
    {
        sd->waitForUnit("multi-user.target", 300);
        QCOMPARE(sd->succeed("systemctl is-active hello.service"), QString("active\n"));
        // What the host enabled stays off in the guest.
        QStringList hostEnabled;
        for (const char *dir :
            { "multi-user.target.wants", "timers.target.wants", "sysinit.target.wants" })
            for (const QString &unit : QDir(QStringLiteral("/etc/systemd/system/") + dir)
                                           .entryList(QDir::Files | QDir::System))
                if (unit != "remote-fs.target") // a NixOS machine has it too
                    hostEnabled.append(unit);
        if (hostEnabled.isEmpty())
            QSKIP("this host enables no units of its own");
        const CommandResult state
            = sd->execute("systemctl is-active " + hostEnabled.join(' ') + " || true");
        QVERIFY2(!state.stdoutBytes.split('\n').contains("active"),
            qPrintable(hostEnabled.join(' ') + ":\n" + QString::fromUtf8(state.stdoutBytes)));
    }

    void networkTargetsAreReached()
    {
        sd->waitForUnit("network.target", 60);
        sd->waitForUnit("network-online.target", 60);
    }

    void usersFilesSysusersAndTmpfiles()
    {
        for (Machine *m : both()) {
            const QString id = m->succeed("id alice");
            QVERIFY2(id.contains("(alice)") && id.contains("(wheel)"), qPrintable(id));
            QCOMPARE(m->succeed("stat -c '%U %a' /home/alice"), QString("alice 700\n"));
            QCOMPARE(m->succeed("su -s /bin/sh alice -c 'touch ~/x && echo ok'"), QString("ok\n"));
            // The password is hashed in the machine's own shadow, root's is empty.
            QVERIFY(m->succeed("grep '^alice:' /etc/shadow").startsWith("alice:$6$"));
            QVERIFY(m->succeed("grep '^root:' /etc/shadow").startsWith("root::"));
        }
        QCOMPARE(sd->succeed("hi; stat -c '%U:%G %a' /usr/local/bin/hi"),
            QString("hi\nalice:wheel 755\n"));
        sd->waitForUnit("multi-user.target", 300);
        QVERIFY(sd->succeed("getent passwd svc").startsWith("svc:"));
        QCOMPARE(sd->succeed("stat -c '%U %a' /run/svc"), QString("svc 750\n"));
        if (QFileInfo(hostAlias).isSymLink()) {
            QCOMPARE(sd->succeed(QString("test ! -L %1 && cat %1").arg(hostAlias)),
                QString("[Unit]\nDescription=from the test\n"));
        }
    }

    void theJournalReachesTheConsole()
    {
        sd->waitForConsoleText("hello-from-the-journal", 120);
        // Kept in memory, and journalctl reads it.
        QVERIFY(sd->succeed("journalctl -b -u hello.service").contains("hello-from-the-journal"));
        QCOMPARE(sd->execute("test -d /run/log/journal && ! test -d /var/log/journal/$(cat "
                             "/etc/machine-id)")
                     .status,
            0);
    }

    // The host's binfmt.d entries are not registered, the machine's own are.
    void binfmtEntriesAreTheMachines()
    {
        QCOMPARE(sd->succeed("cat /proc/sys/fs/binfmt_misc/vivarium-test | head -1"),
            QString("enabled\n"));
        QCOMPARE(sd->succeed("ls /proc/sys/fs/binfmt_misc | grep -cv "
                             "'^register$\\|^status$\\|^vivarium-test$' || true"),
            QString("0\n"));
    }

    void disksSurviveACrashAndFilesComeBack()
    {
        for (Machine *m : both()) {
            QCOMPARE(m->succeed("findmnt -n -o SOURCE,FSTYPE /data"), QString("/dev/vdb ext4\n"));
            // The second disk is bare, of its size.
            QCOMPARE(m->succeed("blockdev --getsize64 /dev/vdc"), QString("16777216\n"));
            QCOMPARE(m->execute("blkid /dev/vdc").status, 2);
            m->succeed("echo kept > /data/k; ln -sf /nowhere/at/all /etc/vivarium-motd; sync");
            m->crash();
            m->start();
            QCOMPARE(m->succeed("cat /data/k"), QString("kept\n"));
            // A file of the test replaces what the guest left at its path, every boot.
            QCOMPARE(m->succeed("test ! -L /etc/vivarium-motd && cat /etc/vivarium-motd"),
                QString("from the test\n"));
        }
        sd->waitForUnit("multi-user.target", 300); // the second boot of a systemd machine
    }

    void rebootIsCtrlAltDeleteAndClean()
    {
        for (Machine *m : both()) {
            const QString bootId = m->succeed("cat /proc/sys/kernel/random/boot_id");
            // Not synced: a clean reboot writes it out, a reset would lose it.
            m->succeed("echo unsynced > /root/u");
            m->reboot();
            QCOMPARE(m->succeed("cat /root/u"), QString("unsynced\n"));
            QVERIFY(m->succeed("cat /proc/sys/kernel/random/boot_id") != bootId);
        }
    }

    void cleanupTestCase() { m_run.reset(); }
};

QTEST_GUILESS_MAIN(TestNixosGuest)
#include "tst_nixosguest.moc"
