// The machine's accounts and the initramfs's files script, run for real by busybox sh in a
// directory that stands for the new root.
#include "core/event/actionevent.h"
#include "core/guest/machinefiles.h"
#include "core/guest/systemdunits.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <crypt.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace vivarium;

namespace {

const QByteArray hostPasswd = "root:x:0:0:root:/root:/bin/bash\n"
                              "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                              "bob:x:1000:1000::/home/bob:/bin/sh\n";
const QByteArray hostGroup = "root:x:0:\nshadow:x:42:\nusers:x:100:\nbob:x:1000:\n";

QString line(const QByteArray &file, const QString &name)
{
    for (const QByteArray &l : file.split('\n')) {
        if (l.startsWith(name.toUtf8() + ':'))
            return QString::fromUtf8(l);
    }
    return {};
}

} // namespace

class TestMachineFiles : public QObject {
    Q_OBJECT

private slots:
    void usersJoinTheHostsAccounts()
    {
        Accounts accounts = Accounts::fromFiles(hostPasswd, hostGroup);
        GuestUser alice;
        alice.name = QStringLiteral("alice");
        alice.groups = QStringList { QStringLiteral("wheel") };
        alice.password = QStringLiteral("foobar");
        GuestUser root;
        root.name = QStringLiteral("root");
        root.password = QStringLiteral("rootpw");
        QCOMPARE(accounts.addAll({ { "baz", 1337 } }, { alice, root }), QString());
        QCOMPARE(accounts.group("baz")->gid, 1337);
        QCOMPARE(
            accounts.addGroup({ "qux", 100 }), QString("group 'qux': gid 100 is taken by 'users'"));
        QCOMPARE(accounts.addGroup({ "users", 5 }),
            QString("group 'users' exists on this host with gid 100, not 5"));
        const QByteArray passwd = accounts.passwdFile();
        // The first free uid from 1000 (bob has 1000), the group "users", a home of her own.
        QCOMPARE(line(passwd, "alice"), QString("alice:x:1001:100::/home/alice:/bin/bash"));
        QCOMPARE(line(passwd, "root"), QString("root:x:0:0:root:/root:/bin/bash"));
        QVERIFY(line(accounts.groupFile(), "wheel").endsWith(":alice"));
        QCOMPARE(accounts.owner("alice:wheel")->first, 1001);
        QCOMPARE(accounts.owner("alice")->second, 100);
        QVERIFY(!accounts.owner("nobody"));

        const auto files = accountFiles(accounts, { alice, root });
        const QByteArray shadow = files.value("/etc/shadow").content.toUtf8();
        QCOMPARE(files.value("/etc/shadow").mode, 0640);
        QCOMPARE(files.value("/etc/shadow").owner, QString("root:shadow"));
        // Host accounts stay locked; the test's passwords are hashed, never written in clear.
        QVERIFY(line(shadow, "bob").startsWith("bob:*:"));
        QVERIFY(!shadow.contains("foobar"));
        const QString hash = line(shadow, "alice").section(':', 1, 1);
        QVERIFY(hash.startsWith("$6$"));
        crypt_data data {};
        QCOMPARE(QString::fromLatin1(crypt_r("foobar", hash.toLatin1().constData(), &data)), hash);
        QVERIFY(line(shadow, "root").section(':', 1, 1).startsWith("$6$"));

        // A hash given as NixOS's hashedPassword is written as it is.
        GuestUser dave;
        dave.name = QStringLiteral("dave");
        dave.hashedPassword = QStringLiteral("$6$salt$hash");
        QCOMPARE(accounts.add(dave), QString());
        QCOMPARE(
            line(accountFiles(accounts, { dave }).value("/etc/shadow").content.toUtf8(), "dave")
                .section(':', 1, 1),
            QString("$6$salt$hash"));

        GuestUser clash;
        clash.name = QStringLiteral("carol");
        clash.uid = 1000;
        QCOMPARE(accounts.add(clash), QString("user 'carol': uid 1000 is taken by 'bob'"));
    }

    void filesReplaceWhateverIsAtTheirPath()
    {
        if (geteuid() != 0)
            QSKIP("the script sets owners: run as root");
        QTemporaryDir dir;
        const QString root = dir.filePath("newroot");
        const QString source = root + "/vivarium/config/files";
        QDir().mkpath(root + "/etc/systemd/system/multi-user.target.wants");
        QDir().mkpath(root + "/var/tmp");
        QFile::setPermissions(root + "/var/tmp", QFileDevice::Permissions(0x7777)); // rwx for all
        // What an earlier boot or the host left: an absolute link that points nowhere from the
        // initramfs, a link to /dev/null, a file.
        QVERIFY(QFile::link("/lib/systemd/system/redis-server.service",
            root + "/etc/systemd/system/redis.service"));
        QVERIFY(QFile::link("/dev/null", root + "/etc/systemd/system/getty@tty1.service"));
        QFile old(root + "/etc/motd");
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("old\n");
        old.close();

        QMap<QString, GuestFile> files {
            { "/etc/systemd/system/redis.service", { "[Service]\n", 0644, {} } },
            { "/etc/systemd/system/getty@tty1.service", { {}, 0644, {} } },
            { "/etc/motd", { "new\n", 0644, {} } },
            { "/usr/local/bin/go it", { "#!/bin/sh\n", 0755, "alice" } },
            { "/var/tmp/x", { "x", 0600, {} } },
            { "/etc/systemd/system-generators/gen", GuestFile::link("/dev/null") },
        };
        Accounts accounts = Accounts::fromFiles(hostPasswd, hostGroup);
        GuestUser alice;
        alice.name = "alice";
        alice.authorizedKeys = { "ssh-ed25519 AAAAC3Nza alice@test", "ssh-rsa AAAAB3 it's" };
        accounts.add(alice);
        GuestUser rootKeys;
        rootKeys.name = "root";
        rootKeys.authorizedKeys = { "ssh-ed25519 AAAAroot" };
        accounts.add(rootKeys);
        for (auto it = files.cbegin(); it != files.cend(); ++it) {
            if (!it->symlink.isEmpty())
                continue;
            QDir().mkpath(QFileInfo(source + it.key()).path());
            QFile f(source + it.key());
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(it->content.toUtf8());
        }
        MachineSpec machine;
        machine.users = { alice, rootKeys };
        machine.mounts = { { "/srv/nfs", "server:/", "nfs" } };
        const QByteArray script
            = filesScript(files, { "/etc/systemd/system/multi-user.target.wants" },
                "./vivarium/config/files", accounts, machine);
        // It runs in the new root, as in the initramfs.
        const QByteArray rooted = script;
        QProcess sh;
        sh.setWorkingDirectory(root);
        sh.start("busybox", { "sh", "-c", QString::fromUtf8(rooted) });
        QVERIFY(sh.waitForFinished(10000));
        QVERIFY2(sh.exitCode() == 0, (sh.readAllStandardError() + rooted).constData());

        const auto content = [&](const QString &path) {
            QFile f(root + path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
        };
        QVERIFY(!QFileInfo(root + "/etc/systemd/system/redis.service").isSymLink());
        QCOMPARE(content("/etc/systemd/system/redis.service"), QByteArray("[Service]\n"));
        QVERIFY(!QFileInfo(root + "/etc/systemd/system/getty@tty1.service").isSymLink());
        QCOMPARE(content("/etc/motd"), QByteArray("new\n"));
        QVERIFY(!QFileInfo::exists(root + "/etc/systemd/system/multi-user.target.wants"));
        struct stat st { };
        QCOMPARE(stat(QFile::encodeName(root + "/usr/local/bin/go it").constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0755);
        QCOMPARE(int(st.st_uid), accounts.user("alice")->uid);
        QCOMPARE(stat(QFile::encodeName(root + "/var/tmp/x").constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0600);
        QCOMPARE(int(st.st_uid), 0);
        // A directory on the way keeps its mode (cp -a would have given it the host's).
        QCOMPARE(stat(QFile::encodeName(root + "/var/tmp").constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0777);
        // The fstab's mount point is made.
        QVERIFY(QFileInfo(root + "/srv/nfs").isDir());
        // A mask is a link; owners and modes are not applied through it.
        QCOMPARE(QFileInfo(root + "/etc/systemd/system-generators/gen").symLinkTarget(),
            QString("/dev/null"));
        QCOMPARE(stat("/dev/null", &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0666);
        // The user's home, made once.
        QCOMPARE(stat(QFile::encodeName(root + "/home/alice").constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0700);
        QCOMPARE(int(st.st_uid), accounts.user("alice")->uid);
        // authorized_keys: the user's, 0600 in a 0700 ~/.ssh of theirs; root's in /root.
        QCOMPARE(content("/home/alice/.ssh/authorized_keys"),
            QByteArray("ssh-ed25519 AAAAC3Nza alice@test\nssh-rsa AAAAB3 it's\n"));
        QCOMPARE(stat(QFile::encodeName(root + "/home/alice/.ssh").constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0700);
        QCOMPARE(int(st.st_uid), accounts.user("alice")->uid);
        QCOMPARE(
            stat(QFile::encodeName(root + "/home/alice/.ssh/authorized_keys").constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0600);
        QCOMPARE(int(st.st_uid), accounts.user("alice")->uid);
        QCOMPARE(content("/root/.ssh/authorized_keys"), QByteArray("ssh-ed25519 AAAAroot\n"));
        // Again, as the next boot does: same result, no error.
        sh.start("busybox", { "sh", "-c", QString::fromUtf8(rooted) });
        QVERIFY(sh.waitForFinished(10000));
        QVERIFY2(sh.exitCode() == 0, sh.readAllStandardError().constData());
        QCOMPARE(content("/root/.ssh/authorized_keys"), QByteArray("ssh-ed25519 AAAAroot\n"));
    }

    void theHostsEnabledUnitsAndSysvLinksAreLeftOut()
    {
        // A host tree with a service enabled the systemd way and two SysV-only scripts started
        // in runlevels 2 and 5 (systemd-sysv-generator made each a unit of multi-user.target).
        QTemporaryDir host;
        QDir root(host.path());
        QVERIFY(root.mkpath("etc/systemd/system/multi-user.target.wants"));
        QVERIFY(root.mkpath("etc/rc2.d") && root.mkpath("etc/rc5.d") && root.mkpath("etc/rcS.d"));
        QVERIFY(root.mkpath("etc/init.d"));
        QVERIFY(QFile::link("../init.d/babeld", root.filePath("etc/rc2.d/S01babeld")));
        QVERIFY(QFile::link("../init.d/ipvsadm", root.filePath("etc/rc5.d/S01ipvsadm")));
        QVERIFY(QFile::link("../init.d/halt", root.filePath("etc/rc2.d/K01halt")));
        QVERIFY(QFile::link("../init.d/udev", root.filePath("etc/rcS.d/S01udev")));
        const QStringList links = hostUnitLinks(host.path());
        QVERIFY(links.contains("/etc/systemd/system/multi-user.target.wants"));
        QVERIFY(links.contains("/etc/rc2.d/S01babeld"));
        QVERIFY(links.contains("/etc/rc5.d/S01ipvsadm"));
        QVERIFY(!links.contains("/etc/rc2.d/K01halt")); // stop links start nothing
        QVERIFY(!links.contains("/etc/rcS.d/S01udev")); // early boot: systemd's own units
        QVERIFY(!links.contains("/etc/init.d/babeld")); // a machine may still list the service
    }

    void theSetUpWaitsForTmpfiles()
    {
        // Debian's `D /tmp` (systemd-tmpfiles-setup) empties /tmp: the shared directory's mount
        // point went with it in 3 of 33 boots when the set-up ran beside it.
        MachineSpec m;
        m.name = QStringLiteral("m");
        const QMap<QString, GuestFile> files = systemdFiles(m, QStringLiteral("/agent"));
        const QString setup
            = files.value(QStringLiteral("/etc/systemd/system/vivarium-setup.service")).content;
        QVERIFY2(
            setup.contains(QRegularExpression("\\nAfter=[^\\n]*systemd-tmpfiles-setup\\.service")),
            qPrintable(setup));
    }

    void actionArgumentsKeepTheCallsOrder()
    {
        ActionEvent e;
        e.action = "wait_for_open_port";
        e.arguments = { { "port", 6379 }, { "address", "localhost" } };
        QCOMPARE(e.argumentsText(false), QString("6379, \"localhost\""));
        QCOMPARE(e.argumentsText(true), QString("port=6379, address=\"localhost\""));
        const ActionEvent back = ActionEvent::fromJson(e.toJson());
        QCOMPARE(back.argumentsText(false), QString("6379, \"localhost\""));
        // events.jsonl of an earlier version: an object.
        QJsonObject old = e.toJson();
        old["arguments"] = QJsonObject { { "port", 22 } };
        QCOMPARE(ActionEvent::fromJson(old).argument("port").toInt(), 22);
        e.arguments = { { "command", "a\nb" } };
        QCOMPARE(e.argumentsText(false, 4), QString("\"a\\…"));
    }
};

QTEST_GUILESS_MAIN(TestMachineFiles)
#include "tst_machinefiles.moc"
