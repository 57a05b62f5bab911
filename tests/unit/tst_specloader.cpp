#include "core/spec/specloader.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

// Packages named "missing-*" are not installed; everything else is.
QStringList fakeMissing(const QStringList &packages)
{
    QStringList missing;
    for (const QString &p : packages) {
        if (p.startsWith("missing"))
            missing << p;
    }
    return missing;
}

} // namespace

class TestSpecLoader : public QObject {
    Q_OBJECT

private:
    std::optional<TestSpec> load(const QByteArray &toml, QStringList *errors = nullptr)
    {
        SpecLoader loader;
        loader.setPackageCheck(fakeMissing);
        auto spec = loader.loadString(toml, m_dir.filePath("t.toml"));
        if (errors)
            *errors = loader.errors();
        return spec;
    }

    QTemporaryDir m_dir;

private slots:
    // A base image carries its machine's packages: the host need not have them, and the
    // machine boots an image (snapshots work). A machine without a base still needs them.
    void aBaseImageTakesItsPackages()
    {
        QStringList errors;
        const auto spec = load("[machines.a]\nbase = \"debian-bookworm\"\n"
                               "packages = [\"missing-hello\"]\n",
            &errors);
        QVERIFY2(spec, qPrintable(errors.join('\n')));
        const MachineSpec *a = spec->machine("a");
        QCOMPARE(a->base, QString("debian-bookworm"));
        QCOMPARE(a->packages, QStringList { "missing-hello" });
        QVERIFY(a->root == RootKind::Image);
        // [defaults] packages matter for the machine without a base.
        QVERIFY(!load("[defaults]\npackages = [\"missing-x\"]\n[machines.a]\n"
                      "base = \"debian-bookworm\"\n[machines.b]\n",
            &errors));
        QVERIFY2(
            errors.join('\n').contains("apt-get install missing-x"), qPrintable(errors.join('\n')));
        QVERIFY(load("[defaults]\npackages = [\"missing-x\"]\nbase = \"debian-bookworm\"\n"
                     "[machines.a]\n[machines.b]\n",
            &errors));
        QVERIFY(!load("[machines.a]\nbase = \"debian-sid\"\n", &errors));
        QVERIFY2(errors.join('\n').contains("'base' must be one of debian-bullseye, "
                                            "debian-bookworm, debian-trixie, not \"debian-sid\""),
            qPrintable(errors.join('\n')));
    }

    // [property] forks: true or false, kept as given (unset: what the script's run() says).
    void propertyForksIsAYesOrNo()
    {
        QStringList errors;
        auto spec = load("[machines.a]\n[property]\nforks = false\n", &errors);
        QVERIFY2(spec, qPrintable(errors.join('\n')));
        QVERIFY(spec->property.forks.has_value() && !*spec->property.forks);
        spec = load("[machines.a]\n", &errors);
        QVERIFY(spec && !spec->property.forks.has_value());
        QVERIFY(!load("[machines.a]\n[property]\nforks = \"yes\"\n", &errors));
        QVERIFY2(errors.join('\n').contains("forks"), qPrintable(errors.join('\n')));
    }

    // [coverage]: `coverage = true` is the table's defaults; each key read, bad values named.
    void coverageTable()
    {
        QStringList errors;
        auto spec = load("coverage = true\n[machines.a]\n", &errors);
        QVERIFY2(spec, qPrintable(errors.join('\n')));
        QVERIFY(spec->coverage.enabled && spec->coverage.python && spec->coverage.powerOff);
        QCOMPARE(spec->coverage.flushSignal, QStringLiteral("USR2"));
        spec = load("[machines.a]\n", &errors);
        QVERIFY(spec && !spec->coverage.enabled);
        spec
            = load("[machines.a]\n[coverage]\npython = false\nflush = [\"my-long-server-name\"]\n"
                   "flush_signal = \"HUP\"\ninclude = [\"/src/*\"]\nllvm_programs = [\"/bin/sh\"]\n"
                   "power_off = false\n",
                &errors);
        QVERIFY2(spec, qPrintable(errors.join('\n')));
        QVERIFY(spec->coverage.enabled && !spec->coverage.python && !spec->coverage.powerOff);
        QCOMPARE(spec->coverage.flush, QStringList { "my-long-server-name" });
        QCOMPARE(spec->coverage.flushSignal, QStringLiteral("HUP"));
        QCOMPARE(spec->coverage.include, QStringList { "/src/*" });
        QCOMPARE(spec->coverage.llvmPrograms, QStringList { "/bin/sh" });
        spec = load("[machines.a]\n[coverage]\nenabled = false\n", &errors);
        QVERIFY(spec && !spec->coverage.enabled);
    }

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QFile script(m_dir.filePath("t.py"));
        QVERIFY(script.open(QIODevice::WriteOnly));
        QFile image(m_dir.filePath("disk.qcow2"));
        QVERIFY(image.open(QIODevice::WriteOnly));
        // A kernel and an initramfs of the machine's own start as theirs do.
        QFile kernel(m_dir.filePath("vmlinux"));
        QVERIFY(kernel.open(QIODevice::WriteOnly));
        kernel.write("\x7f"
                     "ELF\x02\x01");
        QFile initrd(m_dir.filePath("initrd.img"));
        QVERIFY(initrd.open(QIODevice::WriteOnly));
        initrd.write("070701000000");
        QVERIFY(QDir(m_dir.path()).mkpath("sub"));
        // A script that leads outside the folder.
        QFile outside(QDir(m_dir.path()).filePath("../vivarium-outside-row.py"));
        QVERIFY(outside.open(QIODevice::WriteOnly));
        QVERIFY(QFile::link(outside.fileName(), m_dir.filePath("outside.py")));
    }

    void everyKey()
    {
        QStringList errors;
        const auto spec = load(R"(
name = "full"
script = "t.py"
global_timeout = 120

[defaults]
memory = 512
cpus = 2

[machines.server]
vlans = [2, 1]
init = "systemd"
services = ["dbus.service", "systemd-journald"]
commands = ["echo one", "echo two"]
files = { "/etc/motd" = "hello\n", "/srv/a b" = "x", "/usr/local/bin/go" = { content = "#!/bin/sh\n", mode = "0755", owner = "alice:wheel" } }
users = [{ name = "alice", uid = 1500, groups = ["wheel"], password = "secret" }, { name = "bob", hashed_password = "$6$s$h", authorized_keys = ["ssh-ed25519 AAAAC3Nz bob@laptop"] }]
disks = [{ size_mb = 512, mount = "/data" }, { size_mb = 64 }]
mounts = { "/mnt" = { device = "server:/data", fs = "nfs", options = ["vers=4", "soft"] } }
environment = { ETCDCTL_API = "3", LANG = "C.UTF-8" }
packages = ["nginx"]
graphics = true
vnc = false
append = "loglevel=7"
qemu_options = ["-rtc", "base=utc"]

[machines.client-1]
memory = 300
desktop = "x11"
x11_commands = ["xterm -T one", "xclock"]

[machines.disk]
vlans = []
qemu_machine = "pc"

[machines.nixos]
kernel = "vmlinux"
initrd = "initrd.img"

[vlans.2]
delay_ms = 100
jitter_ms = 5.5
loss = 0.05
dup = 0.01
bandwidth_kbit = 1000
capture = true

[[link]]
machine = "client-1"
vlan = 1
loss = 0.5
)",
            &errors);
        QVERIFY2(spec.has_value(), qPrintable(errors.join('\n')));
        QCOMPARE(spec->name, QString("full"));
        QCOMPARE(spec->script, m_dir.filePath("t.py"));
        QCOMPARE(spec->globalTimeoutS, 120);
        QCOMPARE(spec->machines.size(), 4);
        // Sorted by name: the NixOS node numbers follow this order.
        QCOMPARE(spec->machines[0].name, QString("client-1"));
        QCOMPARE(spec->nodeNumber("server"), 4);
        QCOMPARE(spec->machines[0].pythonName(), QString("client_1"));
        const MachineSpec *server = spec->machine("server");
        QVERIFY(server);
        QCOMPARE(server->vlans, (QList<int> { 2, 1 }));
        QCOMPARE(server->memoryMiB, 512);
        QCOMPARE(server->cpus, 2);
        QCOMPARE(server->init, InitKind::Systemd);
        QCOMPARE(server->services,
            (QStringList { "dbus.service", "systemd-journald.service" })); // .service is implied
        QCOMPARE(server->commands, (QStringList { "echo one", "echo two" }));
        QCOMPARE(server->files.value("/etc/motd").content, QString("hello\n"));
        QCOMPARE(server->files.value("/srv/a b").content, QString("x"));
        QCOMPARE(server->files.value("/srv/a b").mode, 0644);
        QCOMPARE(server->files.value("/usr/local/bin/go"),
            (GuestFile { "#!/bin/sh\n", 0755, "alice:wheel" }));
        QCOMPARE(server->users.size(), 2);
        QCOMPARE(server->users[0].uid, 1500);
        QCOMPARE(server->users[0].groups, QStringList { "wheel" });
        QCOMPARE(server->users[1].group, QString()); // "users" when made
        QCOMPARE(server->users[1].uid, -1);
        QCOMPARE(server->users[1].hashedPassword, QString("$6$s$h"));
        QCOMPARE(
            server->users[1].authorizedKeys, QStringList { "ssh-ed25519 AAAAC3Nz bob@laptop" });
        QCOMPARE(server->disks,
            (QList<GuestDisk> { { 512, "ext4", "/data" }, { 64, QString(), QString() } }));
        QCOMPARE(server->fstab().size(), 2);
        QCOMPARE(server->fstab()[0].device, QString("/dev/vdb"));
        QCOMPARE(server->fstab()[1].options, (QStringList { "vers=4", "soft" }));
        QCOMPARE(server->environment.value("ETCDCTL_API"), QString("3"));
        QCOMPARE(server->packages, QStringList { "nginx" });
        QVERIFY(server->graphics);
        QVERIFY(!server->vnc);
        QVERIFY(spec->machine("client-1")->vnc); // the default
        QCOMPARE(spec->machine("client-1")->desktop, QString("x11"));
        QVERIFY(spec->machine("client-1")->graphics); // a desktop has a screen
        QCOMPARE(
            spec->machine("client-1")->x11Commands, (QStringList { "xterm -T one", "xclock" }));
        QVERIFY(server->desktop.isEmpty());
        QCOMPARE(server->append, QString("loglevel=7"));
        QCOMPARE(server->qemuOptions, (QStringList { "-rtc", "base=utc" }));
        QCOMPARE(server->location.line, 10);
        QCOMPARE(spec->machine("client-1")->memoryMiB, 300);
        QCOMPARE(spec->machine("client-1")->vlans, QList<int> { 1 });
        QVERIFY(spec->machine("disk")->vlans.isEmpty());
        QCOMPARE(spec->machine("disk")->qemuMachine, QemuMachineChoice::Pc);
        QCOMPARE(server->qemuMachine, QemuMachineChoice::Auto);
        QCOMPARE(spec->machine("nixos")->kernel, m_dir.filePath("vmlinux"));
        const LinkSettings vlan2 = spec->vlans.value(2);
        QCOMPARE(vlan2.delayMs, 100.0);
        QCOMPARE(vlan2.jitterMs, 5.5);
        QCOMPARE(vlan2.loss, 0.05);
        QCOMPARE(vlan2.dup, 0.01);
        QCOMPARE(vlan2.bandwidthKbit, 1000);
        QVERIFY(vlan2.capture);
        QCOMPARE(spec->linkSettings("client-1", 1).loss, 0.5);
        QCOMPARE(spec->linkSettings("server", 2).delayMs, 100.0);
        QCOMPARE(spec->linkSettings("server", 1), LinkSettings {});
    }

    void vlanCaptureIsOneFileNotOnePerNic()
    {
        const auto spec = load("[machines.a]\n[machines.b]\n[vlans.1]\ncapture = true\n"
                               "delay_ms = 5\n[[link]]\nmachine = \"b\"\nvlan = 1\nloss = 0.5\n");
        QVERIFY(spec);
        QVERIFY(spec->vlans.value(1).capture);
        QVERIFY(!spec->linkSettings("a", 1).capture);
        QVERIFY(!spec->linkSettings("b", 1).capture);
        QCOMPARE(spec->linkSettings("a", 1).delayMs, 5.0);
        QCOMPARE(spec->linkSettings("b", 1).delayMs, 5.0);
        QCOMPARE(spec->linkSettings("b", 1).loss, 0.5);
    }

    void defaults()
    {
        const auto spec = load("[machines.a]\n");
        QVERIFY(spec);
        QCOMPARE(spec->name, QString("t"));
        const MachineSpec &a = spec->machines.first();
        QCOMPARE(a.vlans, QList<int> { 1 });
        QCOMPARE(a.memoryMiB, 256);
        QCOMPARE(a.cpus, 1);
        QCOMPARE(a.init, InitKind::Minimal);
        QVERIFY(!a.graphics);
        QVERIFY(spec->vlans.contains(1));
    }

    void addressesReplaceANicsDefaults()
    {
        const auto spec
            = load("[machines.r]\nvlans = [1, 2]\n"
                   "addresses = { eth1 = [\"10.0.0.1/24\", \"fd00::1/64\"], eth2 = [] }\n");
        QVERIFY(spec);
        const MachineSpec *r = spec->machine("r");
        QCOMPARE(r->addresses.value("eth1"), (QStringList { "10.0.0.1/24", "fd00::1/64" }));
        QVERIFY(r->addresses.contains("eth2") && r->addresses.value("eth2").isEmpty());
    }

    void filesMergeWithTheDefaults()
    {
        // As NixOS merges environment.etc: path by path, the machine's entry winning.
        const auto spec = load("[defaults]\nfiles = { \"/etc/a\" = \"default a\", \"/etc/b\" = "
                               "\"default b\" }\n[machines.m]\nfiles = { \"/etc/b\" = \"own b\", "
                               "\"/etc/c\" = \"own c\" }\n[machines.n]\n");
        QVERIFY(spec);
        const MachineSpec *m = spec->machine("m");
        QCOMPARE(m->files.keys(), (QStringList { "/etc/a", "/etc/b", "/etc/c" }));
        QCOMPARE(m->files.value("/etc/a").content, QString("default a"));
        QCOMPARE(m->files.value("/etc/b").content, QString("own b"));
        QCOMPARE(spec->machine("n")->files.keys(), (QStringList { "/etc/a", "/etc/b" }));
    }

    void aScriptOutsideTheFolderIsTheTestsToAllow()
    {
        // A link to a file outside the test's folder (/etc/shadow, say) is read into log.html:
        // refused unless the test says so.
        QStringList errors;
        QVERIFY(!load("script = \"outside.py\"\n[machines.a]\n", &errors));
        QVERIFY2(
            errors.first().contains("script_outside_folder = true"), qPrintable(errors.first()));
        QVERIFY2(
            load("script = \"outside.py\"\nscript_outside_folder = true\n[machines.a]\n", &errors),
            qPrintable(errors.join('\n')));
        QVERIFY(load("script = \"t.py\"\n[machines.a]\n")); // inside: as before
    }

    void cleanupTestCase()
    {
        QFile::remove(QDir(m_dir.path()).filePath("../vivarium-outside-row.py"));
    }

    // kernel = "debian" / "vivarium" names one of Vivarium's kernels; "./debian" is a file of
    // that name; a named kernel brings its initramfs, so an initrd beside it is refused, and a
    // container has no kernel of its own.
    void aKernelByName()
    {
        QTemporaryDir dir;
        SpecLoader loader;
        const auto spec = loader.loadString(
            "[machines.a]\nkernel = \"debian\"\n[machines.b]\nkernel = \"vivarium\"\n"
            "[machines.c]\n",
            dir.filePath("t.toml"));
        QVERIFY2(spec, qPrintable(loader.errors().join('\n')));
        QCOMPARE(spec->machine("a")->kernelName, QString("debian"));
        QVERIFY(spec->machine("a")->kernel.isEmpty());
        QCOMPARE(spec->machine("b")->kernelName, QString("vivarium"));
        QVERIFY(spec->machine("c")->kernelName.isEmpty());

        SpecLoader file;
        QVERIFY(!file.loadString("[machines.a]\nkernel = \"./debian\"\n", dir.filePath("t.toml")));
        QVERIFY2(file.errors().join('\n').contains("debian"), qPrintable(file.errors().join('\n')));
        QVERIFY2(
            !file.errors().join('\n').contains("initramfs"), qPrintable(file.errors().join('\n')));

        QFile initrd(dir.filePath("initrd.cpio"));
        QVERIFY(initrd.open(QIODevice::WriteOnly));
        initrd.write("070701");
        initrd.close();
        SpecLoader both;
        QVERIFY(!both.loadString(
            "[machines.a]\nkernel = \"debian\"\ninitrd = \"" + initrd.fileName().toUtf8() + "\"\n",
            dir.filePath("t.toml")));
        QVERIFY2(both.errors().join('\n').contains(
                     "kernel = \"debian\", which brings its own initramfs, and an 'initrd'"),
            qPrintable(both.errors().join('\n')));

        SpecLoader container;
        QVERIFY(!container.loadString(
            "[machines.a]\nkind = \"container\"\nkernel = \"debian\"\n", dir.filePath("t.toml")));
        QVERIFY2(container.errors().join('\n').contains("which has no kernel"),
            qPrintable(container.errors().join('\n')));
    }

    // [hosts.NAME] and a machine's host (docs/scale-out.md): each mistake one message with
    // its place, the file's own settings read.
    void hostsAndWhereMachinesRun()
    {
        QTemporaryDir dir;
        QFile config(dir.filePath("ssh_config"));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.close();
        SpecLoader loader;
        const auto spec = loader.loadString("[hosts.h1]\nssh = \"root@10.0.0.5\"\nport = 2222\n"
                                            "ssh_config = \"ssh_config\"\nmemory = 4096\ncpus = 4\n"
                                            "[machines.a]\nhost = \"h1\"\n[machines.b]\n"
                                            "[machines.c]\nhost = \"local\"\n",
            dir.filePath("t.toml"));
        QVERIFY2(spec, qPrintable(loader.errors().join('\n')));
        QCOMPARE(spec->hosts.keys(), QStringList { "h1" });
        const HostSpec h1 = spec->hosts.value("h1");
        QCOMPARE(h1.ssh, QString("root@10.0.0.5"));
        QCOMPARE(h1.port, 2222);
        QCOMPARE(h1.sshConfig, dir.filePath("ssh_config"));
        QCOMPARE(h1.memoryMiB, 4096);
        QCOMPARE(h1.cpus, 4);
        QCOMPARE(spec->machine("a")->host, QString("h1"));
        QVERIFY(spec->machine("b")->host.isEmpty());
        // A VM on another host boots from the root image there; this host's stay on the share.
        QCOMPARE(spec->machine("a")->root, RootKind::Image);
        QCOMPARE(spec->machine("b")->root, RootKind::Share);
        SpecLoader added;
        QVERIFY(!added.loadAddedMachine("d", "host = \"h1\"\n", *spec));
        QVERIFY2(added.errors().join('\n').contains("a machine added while the test runs runs on "
                                                    "this host"),
            qPrintable(added.errors().join('\n')));
        QVERIFY2(added.loadAddedMachine("d", "host = \"local\"\n", *spec),
            qPrintable(added.errors().join('\n')));

        const auto refused = [&](const QByteArray &text, const QString &said) {
            SpecLoader bad;
            const bool loaded = bad.loadString(text, dir.filePath("t.toml")).has_value();
            const QString errors = bad.errors().join('\n');
            if (loaded || !errors.contains(said))
                qWarning() << text << errors;
            return !loaded && errors.contains(said) && errors.contains("t.toml:");
        };
        QVERIFY(refused("[machines.a]\nhost = \"h2\"\n",
            "machine 'a': host \"h2\" is not a [hosts.NAME] of the test (it has none)"));
        QVERIFY(refused("[hosts.h1]\nssh = \"x@y\"\n[machines.a]\nhost = \"h2\"\n", "(it has h1)"));
        QVERIFY(refused(
            "[hosts.h1]\nssh = \"-oProxyCommand=sh\"\n[machines.a]\n", "must be \"user@address\""));
        QVERIFY(refused("[hosts.h1]\nssh = \"a b\"\n[machines.a]\n", "must be \"user@address\""));
        QVERIFY(refused("[hosts.h1]\nport = 22\n[machines.a]\n", "host 'h1' needs 'ssh'"));
        QVERIFY(refused("[hosts.local]\nssh = \"x\"\n[machines.a]\n", "'local' is this host's"));
        QVERIFY(refused("[hosts.h1]\nssh = \"x\"\nuser = \"y\"\n[machines.a]\n",
            "unknown key 'user' of host 'h1'"));
        QVERIFY(refused(
            "[hosts.h1]\nssh = \"x\"\nssh_config = \"missing\"\n[machines.a]\n", "missing"));
        QVERIFY(
            refused("[hosts.h1]\nssh = \"x\"\n[machines.a]\nkind = \"container\"\nhost = \"h1\"\n",
                "containers run on this host"));
        QVERIFY(refused("[hosts.h1]\nssh = \"x\"\n[machines.a]\nhost = \"h1\"\nroot = \"share\"\n",
            "drop root = \"share\""));
    }

    void anImageRootKeepsVivariumsInitramfs()
    {
        QTemporaryDir dir;
        QFile initrd(dir.filePath("initrd.cpio"));
        QVERIFY(initrd.open(QIODevice::WriteOnly));
        initrd.write("070701");
        initrd.close();
        SpecLoader loader;
        QVERIFY(!loader.loadString(
            "[machines.a]\nroot = \"image\"\ninitrd = \"" + initrd.fileName().toUtf8() + "\"\n",
            dir.filePath("t.toml")));
        QVERIFY2(loader.errors().join('\n').contains("an image root needs Vivarium's initramfs"),
            qPrintable(loader.errors().join('\n')));
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("toml");
        QTest::addColumn<QString>("location");
        QTest::addColumn<QString>("message");
        QTest::newRow("syntax") << QByteArray("[machines.a]\nmemory = = 3\n") << "2:10"
                                << "";
        QTest::newRow("coverage type") << QByteArray("coverage = 1\n[machines.a]\n") << "1:12"
                                       << "'coverage' must be true, false or a table";
        QTest::newRow("coverage key")
            << QByteArray("[coverage]\nlines = true\n[machines.a]\n") << "2:1"
            << "unknown [coverage] key 'lines'";
        QTest::newRow("coverage flush path")
            << QByteArray("[coverage]\nflush = [\"/bin/server\"]\n[machines.a]\n") << "2:9"
            << "'flush': \"/bin/server\" must be a program's file name";
        QTest::newRow("coverage signal")
            << QByteArray("[coverage]\nflush_signal = \"KILL\"\n[machines.a]\n") << "2:16"
            << "'flush_signal' must be";
        QTest::newRow("coverage llvm program")
            << QByteArray("[coverage]\nllvm_programs = [\"bin/x\"]\n[machines.a]\n") << "2:17"
            << "'llvm_programs': bin/x is not an existing file named by its absolute path";
        QTest::newRow("no machines") << QByteArray("name = \"x\"\n") << "1:1"
                                     << "declares no machines";
        QTest::newRow("unknown top key") << QByteArray("[machines.a]\n[foo]\n") << "2:2"
                                         << "unknown key 'foo'";
        QTest::newRow("unknown machine key") << QByteArray("[machines.a]\nmemroy = 3\n") << "2:1"
                                             << "unknown machine key 'memroy'";
        QTest::newRow("root kind") << QByteArray("[machines.a]\nroot = \"disk\"\n") << "2:8"
                                   << "\"share\" or \"image\"";
        QTest::newRow("shared limit") << QByteArray("[machines.a]\nshared_limit_mb = 0\n") << "2:19"
                                      << "shared_limit_mb";
        QTest::newRow("bad name") << QByteArray("[machines.\"web.1\"]\n") << "1:11"
                                  << "must be a host name";
        QTest::newRow("name starts with digit") << QByteArray("[machines.1a]\n") << "1:11"
                                                << "must be a host name";
        QTest::newRow("names differ in case only")
            << QByteArray("[machines.Web]\n[machines.web]\n") << "2:11"
            << "taken by machine 'Web'";
        QTest::newRow("names differ in - and _")
            << QByteArray("[machines.a-b]\n[machines.a_b]\n") << "2:11"
            << "taken by machine 'a-b'";
        QTest::newRow("service names no unit")
            << QByteArray("[machines.a]\ninit = \"systemd\"\nservices = [\"nosuch\"]\n") << "1:11"
            << "\"nosuch.service\" names no unit";
        QTest::newRow("systemd too small")
            << QByteArray("[machines.a]\ninit = \"systemd\"\nmemory = 96\n") << "1:11"
            << "has memory = 96 but init = \"systemd\" needs at least 128 (MiB)";
        QTest::newRow("uid clash")
            << QByteArray("[machines.a]\nusers = [{ name = \"alice\", uid = 0 }]\n") << "1:11"
            << "uid 0 is taken by 'root'";
        QTest::newRow("gid clash")
            << QByteArray("[machines.a]\ngroups = [{ name = \"x1\", gid = 0 }]\n") << "1:11"
            << "gid 0 is taken by 'root'";
        QTest::newRow("user twice")
            << QByteArray("[machines.a]\nusers = [{ name = \"al\" }, { name = \"al\" }]\n")
            << "2:27"
            << "listed twice";
        QTest::newRow("user bad name")
            << QByteArray("[machines.a]\nusers = [{ name = \"Al ice\" }]\n") << "2:19"
            << "user name \"Al ice\"";
        QTest::newRow("user unknown key")
            << QByteArray("[machines.a]\nusers = [{ name = \"al\", isNormalUser = true }]\n")
            << "2:25"
            << "unknown user key 'isNormalUser'";
        QTest::newRow("user hashed password") << QByteArray(
            "[machines.a]\nusers = [{ name = \"al\", hashed_password = \"secret\" }]\n")
                                              << "2:43"
                                              << "'hashed_password' must be a crypt(3) hash";
        QTest::newRow("user both passwords")
            << QByteArray("[machines.a]\nusers = [{ name = \"al\", password = \"a\", "
                          "hashed_password = \"$6$s$h\" }]\n")
            << "2:10"
            << "user 'al' has both 'password' and 'hashed_password'";
        QTest::newRow("user authorized key")
            << QByteArray("[machines.a]\nusers = [{ name = \"al\", authorized_keys = "
                          "[\"-----BEGIN OPENSSH PRIVATE KEY-----\"] }]\n")
            << "2:43"
            << "'authorized_keys' entry 1 is not an OpenSSH public key line";
        QTest::newRow("file owner unknown") << QByteArray(
            "[machines.a]\nfiles = { \"/x\" = { content = \"\", owner = \"nobody2\" } }\n")
                                            << "1:11"
                                            << "owner \"nobody2\" of /x";
        QTest::newRow("file mode")
            << QByteArray("[machines.a]\nfiles = { \"/x\" = { content = \"\", mode = \"rwx\" } }\n")
            << "2:41"
            << "must be octal";
        QTest::newRow("file without content")
            << QByteArray("[machines.a]\nfiles = { \"/x\" = { mode = \"0755\" } }\n") << "2:18"
            << "a table with 'content'";
        QTest::newRow("disk size")
            << QByteArray("[machines.a]\ndisks = [{ size_mb = 0 }]\n") << "2:22"
            << "between 1 and";
        QTest::newRow("disk fs") << QByteArray(
            "[machines.a]\ndisks = [{ size_mb = 8, fs = \"nosuchfs\" }]\n")
                                 << "2:30"
                                 << "no mkfs.nosuchfs";
        QTest::newRow("disk mount")
            << QByteArray("[machines.a]\ndisks = [{ size_mb = 8, mount = \"data\" }]\n") << "2:33"
            << "absolute path";
        QTest::newRow("mount of a missing disk") << QByteArray(
            "[machines.a]\nmounts = { \"/m\" = { device = \"/dev/vdc\", fs = \"ext4\" } }\n")
                                                 << "1:11"
                                                 << "/dev/vdc is not one of the machine's disks";
        QTest::newRow("mount without fs")
            << QByteArray("[machines.a]\nmounts = { \"/m\" = { device = \"s:/d\" } }\n") << "2:19"
            << "'device' and 'fs'";
        QTest::newRow("mounted twice")
            << QByteArray("[machines.a]\ndisks = [{ size_mb = 8, mount = \"/m\" }]\n"
                          "mounts = { \"/m\" = { device = \"s:/d\", fs = \"nfs\" } }\n")
            << "1:11"
            << "/m is mounted twice";
        QTest::newRow("environment name")
            << QByteArray("[machines.a]\nenvironment = { \"A-B\" = \"1\" }\n") << "2:17"
            << "not a shell variable name";
        QTest::newRow("memory type") << QByteArray("[machines.a]\nmemory = \"lots\"\n") << "2:10"
                                     << "'memory' must be an integer";
        QTest::newRow("memory range") << QByteArray("[machines.a]\nmemory = 1\n") << "2:10"
                                      << "between 64 and 65536";
        QTest::newRow("vlan range") << QByteArray("[machines.a]\nvlans = [1, 255]\n") << "2:13"
                                    << "between 1 and 254";
        QTest::newRow("vlan twice") << QByteArray("[machines.a]\nvlans = [3, 3]\n") << "2:13"
                                    << "listed twice";
        QTest::newRow("vlans type") << QByteArray("[machines.a]\nvlans = 1\n") << "2:9"
                                    << "array of VLAN numbers";
        QTest::newRow("init value") << QByteArray("[machines.a]\ninit = \"sysv\"\n") << "2:8"
                                    << "\"minimal\" or \"systemd\"";
        QTest::newRow("services without systemd")
            << QByteArray("[machines.a]\nservices = [\"x\"]\n") << "1:11"
            << "set init = \"systemd\"";
        QTest::newRow("commands type") << QByteArray("[machines.a]\ncommands = [1]\n") << "2:13"
                                       << "only strings";
        QTest::newRow("graphics type") << QByteArray("[machines.a]\ngraphics = 1\n") << "2:12"
                                       << "true or false";
        QTest::newRow("vnc type") << QByteArray("[machines.a]\nvnc = \"no\"\n") << "2:7"
                                  << "true or false";
        QTest::newRow("desktop wayland")
            << QByteArray("[machines.a]\ndesktop = \"wayland\"\n") << "2:11"
            << "'desktop' must be \"x11\"";
        QTest::newRow("desktop without graphics")
            << QByteArray("[machines.a]\ndesktop = \"x11\"\ngraphics = false\n") << "1:11"
            << "has desktop = \"x11\" but graphics = false";
        QTest::newRow("x11_commands without desktop")
            << QByteArray("[machines.a]\nx11_commands = [\"xterm\"]\n") << "1:11"
            << "lists x11_commands but has no desktop";
        QTest::newRow("x11_commands type")
            << QByteArray("[machines.a]\ndesktop = \"x11\"\nx11_commands = \"xterm\"\n") << "3:16"
            << "must be an array of strings";
        QTest::newRow("relative file")
            << QByteArray("[machines.a]\nfiles = { \"etc/x\" = \"y\" }\n") << "2:11"
            << "must be absolute";
        QTest::newRow("file path with ..")
            << QByteArray("[machines.a]\nfiles = { \"/../..\" = \"y\" }\n") << "2:11"
            << "file path \"/../..\" must not contain \"..\"";
        QTest::newRow("addresses of no interface")
            << QByteArray("[machines.a]\naddresses = { eth0 = [\"10.0.0.1/24\"] }\n") << "2:15"
            << "\"eth0\" is not a VLAN interface";
        QTest::newRow("an address without its prefix")
            << QByteArray("[machines.a]\naddresses = { eth1 = [\"10.0.0.1\"] }\n") << "2:22"
            << "must be an address with its prefix length";
        QTest::newRow("addresses of a NIC the machine lacks")
            << QByteArray("[machines.a]\naddresses = { eth2 = [] }\n") << "1:11"
            << "sets 'addresses' of eth2, but it has 1 VLAN interface(s)";
        QTest::newRow("script is a directory")
            << QByteArray("script = \"sub\"\n[machines.a]\n") << "1:10"
            << "is a directory, not a Python script";
        QTest::newRow("script outside the folder")
            << QByteArray("script = \"outside.py\"\n[machines.a]\n") << "1:10"
            << "outside the test's folder";
        QTest::newRow("file content type")
            << QByteArray("[machines.a]\nfiles = { \"/etc/x\" = 3 }\n") << "2:22"
            << "must be a string";
        // A kind that is not one, and a container asking for what only a VM has.
        QTest::newRow("kind unknown") << QByteArray("[machines.a]\nkind = \"vz\"\n") << "2:8"
                                      << "'kind' must be \"vm\" or \"container\", not \"vz\"";
        QTest::newRow("container with a screen")
            << QByteArray("[machines.a]\nkind = \"container\"\ngraphics = true\n") << "1:11"
            << "machine 'a' is a container (kind = \"container\"), which has no graphics";
        QTest::newRow("container with an NFS mount")
            << QByteArray("[machines.a]\nkind = \"container\"\n"
                          "mounts.\"/data\" = { device = \"server:/data\", fs = \"nfs4\" }\n")
            << "1:11"
            << "which has no mounts of nfs4 (/data)";
        QTest::newRow("container with an image root")
            << QByteArray("[defaults]\nroot = \"image\"\n[machines.a]\nkind = \"container\"\n")
            << "3:11"
            << "which has no root = \"image\"";
        // An image that is missing or no image: at load time, with where.
        QTest::newRow("image missing")
            << QByteArray("[machines.a]\nimage = \"nope.qcow2\"\n") << "2:9"
            << "nope.qcow2 does not exist";
        QTest::newRow("image not one")
            << QByteArray("[machines.a]\nimage = \"t.py\"\n") << "2:9"
            << "t.py is not an ext2/3/4 or erofs file system image, a disk with a partition "
               "table, or qcow2";
        // A known key this version cannot run: at load time, with where (it failed at start).
        QTest::newRow("start_command")
            << QByteArray("[machines.a]\nstart_command = \"./run-a-vm\"\n") << "2:17"
            << "'start_command' machines are not supported";
        // Hostile files (each once accepted, crashed the loader or failed only at start).
        QTest::newRow("30000 dotted key parts") << (QByteArray("[machines.a]\n")
            + QByteArray(30000, 'x').replace("x", "x.") + "y = 1\n")
                                                << "2:64"
                                                << "more than 32 dotted parts";
        QTest::newRow("deep nesting") << (QByteArray("[machines.a]\ncommands = ")
            + QByteArray(40, '[') + QByteArray(40, ']') + "\n")
                                      << "2:44"
                                      << "nested more than 32 deep";
        QTest::newRow("NUL byte") << QByteArray("[machines.a]\n[vlans\0.1]\n", 23) << "2:7"
                                  << "a NUL byte";
        QTest::newRow("U+FE7F") << QByteArray("[machines.a]\nappend = \"\xef\xb9\xbf\"\n") << "2:11"
                                << "U+FE7F";
        QTest::newRow("huge file")
            << (QByteArray("[machines.a]\n") + QByteArray(1100000, '#')) << "1:1"
            << "larger than 1024 KiB";
        QTest::newRow("name with a path")
            << QByteArray("name = \"../../..\"\n[machines.a]\n") << "1:8"
            << "'name' \"../../..\" must be";
        QTest::newRow("NUL in a files path")
            << QByteArray("[machines.a]\nfiles = { \"/etc/x\\u0000y\" = \"z\" }\n") << "2:11"
            << "must not contain a NUL";
        QTest::newRow("NUL in append")
            << QByteArray("[machines.a]\nappend = \"a\\u0000b\"\n") << "2:10"
            << "'append' must not contain a NUL";
        QTest::newRow("NUL in qemu_options")
            << QByteArray("[machines.a]\nqemu_options = [\"-a\\u0000\"]\n") << "2:17"
            << "must not contain a NUL";
        QTest::newRow("long append")
            << (QByteArray("[machines.a]\nappend = \"") + QByteArray(5000, 'a') + "\"\n") << "2:10"
            << "'append' has 5000 characters";
        QTest::newRow("kernel that is not one")
            << QByteArray("[machines.a]\nkernel = \"/etc/passwd\"\n") << "2:10"
            << "/etc/passwd is not a Linux kernel";
        QTest::newRow("initrd that is not one")
            << QByteArray("[machines.a]\ninitrd = \"/etc/passwd\"\n") << "2:10"
            << "is not a initramfs";
        QTest::newRow("package as an option")
            << QByteArray("[machines.a]\npackages = [\"--admindir=/tmp\"]\n") << "2:12"
            << "\"--admindir=/tmp\" is not a Debian package name";
        QTest::newRow("monitor on every address") << QByteArray(
            "[machines.a]\nqemu_options = [\"-monitor\", \"tcp:0.0.0.0:4444,server\"]\n")
                                                  << "2:16"
                                                  << "would make QEMU listen on \"0.0.0.0\"";
        QTest::newRow("init unknown")
            << QByteArray("[machines.a]\ninit = \"openrc\"\n") << "2:8"
            << "'init' must be \"minimal\" or \"systemd\", not \"openrc\"";
        QTest::newRow("qemu_machine unknown")
            << QByteArray("[machines.a]\nqemu_machine = \"q35\"\n") << "2:16"
            << "'qemu_machine' must be \"auto\", \"pc\" or \"microvm\", not \"q35\"";
        QTest::newRow("microvm with a screen")
            << QByteArray("[machines.a]\nqemu_machine = \"microvm\"\ngraphics = true\n") << "1:11"
            << "has qemu_machine = \"microvm\" and a screen";
        QTest::newRow("chardev host") << QByteArray(
            "[machines.a]\nqemu_options = [\"-chardev\", \"socket,id=c,host=::,port=5\"]\n")
                                      << "2:16"
                                      << "listen on \"::\"";
        QTest::newRow("255 machines on a VLAN") <<
            [] {
                QByteArray toml;
                for (int i = 0; i < 255; ++i)
                    toml += QByteArray("[machines.m") + QByteArray::number(1000 + i) + "]\n";
                return toml;
            }() << "255:11"
                                                << "machine 'm1254' is number 255";
        QTest::newRow("missing package")
            << QByteArray("[machines.a]\npackages = [\"nginx\", \"missing-thing\"]\n") << "2:12"
            << "apt-get install missing-thing";
        QTest::newRow("missing script")
            << QByteArray("script = \"nope.py\"\n[machines.a]\n") << "1:10"
            << "does not exist";
        QTest::newRow("vlan table key") << QByteArray("[machines.a]\n[vlans.x]\n") << "2:8"
                                        << "number from 1 to 254";
        QTest::newRow("unused vlan") << QByteArray("[machines.a]\n[vlans.7]\n") << "2:8"
                                     << "no machine is on it";
        QTest::newRow("loss range") << QByteArray("[machines.a]\n[vlans.1]\nloss = 1.5\n") << "3:8"
                                    << "between 0 and 1";
        QTest::newRow("dup type") << QByteArray("[machines.a]\n[vlans.1]\ndup = \"x\"\n") << "3:7"
                                  << "must be a number";
        QTest::newRow("delay negative")
            << QByteArray("[machines.a]\n[vlans.1]\ndelay_ms = -1\n") << "3:12"
            << "between 0 and 60000";
        QTest::newRow("bandwidth")
            << QByteArray("[machines.a]\n[vlans.1]\nbandwidth_kbit = -1\n") << "3:18"
            << "between 0 and";
        QTest::newRow("bandwidth fraction")
            << QByteArray("[machines.a]\n[vlans.1]\nbandwidth_kbit = 1.5\n") << "3:18"
            << "must be an integer";
        // NaN compares false with any bound: it must not pass as "in range".
        QTest::newRow("loss nan") << QByteArray("[machines.a]\n[vlans.1]\nloss = nan\n") << "3:8"
                                  << "between 0 and 1, not nan";
        QTest::newRow("delay nan")
            << QByteArray("[machines.a]\n[vlans.1]\ndelay_ms = nan\n") << "3:12"
            << "not nan";
        QTest::newRow("jitter inf")
            << QByteArray("[machines.a]\n[vlans.1]\njitter_ms = inf\n") << "3:13"
            << "not inf";
        QTest::newRow("dup nan link")
            << QByteArray("[machines.a]\n[[link]]\nmachine = \"a\"\nvlan = 1\ndup = -nan\n")
            << "5:7"
            << "not";
        QTest::newRow("unknown link key")
            << QByteArray("[machines.a]\n[vlans.1]\nlatency = 3\n") << "3:1"
            << "unknown link key 'latency'";
        QTest::newRow("link unknown machine")
            << QByteArray("[machines.a]\n[[link]]\nmachine = \"b\"\nvlan = 1\n") << "2:1"
            << "unknown machine 'b'";
        QTest::newRow("link wrong vlan")
            << QByteArray("[machines.a]\n[[link]]\nmachine = \"a\"\nvlan = 2\n") << "2:1"
            << "not on VLAN 2";
        QTest::newRow("link incomplete")
            << QByteArray("[machines.a]\n[[link]]\nloss = 0.1\n") << "2:1"
            << "needs 'machine' and 'vlan'";
        QTest::newRow("global timeout")
            << QByteArray("global_timeout = 0\n[machines.a]\n") << "1:18"
            << "between 1 and";
    }

    void errors()
    {
        QFETCH(QByteArray, toml);
        QFETCH(QString, location);
        QFETCH(QString, message);
        QStringList errors;
        QVERIFY(!load(toml, &errors).has_value());
        QVERIFY(!errors.isEmpty());
        const QString expectedPrefix = m_dir.filePath("t.toml") + ':' + location + ": ";
        QVERIFY2(errors.first().startsWith(expectedPrefix),
            qPrintable(errors.join('\n') + "\nexpected " + expectedPrefix));
        QVERIFY2(errors.first().contains(message), qPrintable(errors.first()));
    }

    void collectsEveryError()
    {
        QStringList errors;
        QVERIFY(!load("[machines.a]\nmemory = 1\ncpus = 0\nfoo = 2\n", &errors));
        QCOMPARE(errors.size(), 3);
        // Each problem once, also inside a [[link]].
        QVERIFY(!load("[machines.a]\n[[link]]\nloss = 1.5\nmachine = \"a\"\nvlan = 1\n", &errors));
        QCOMPARE(errors.size(), 1);
    }

    void unreadableFile()
    {
        SpecLoader loader;
        QVERIFY(!loader.loadFile(m_dir.filePath("absent.toml")));
        QVERIFY(loader.errors().first().contains("cannot read the test file"));
    }

    void realPackageCheck()
    {
        QCOMPARE(SpecLoader::missingDebianPackages({ "coreutils" }), QStringList());
        QCOMPARE(SpecLoader::missingDebianPackages({ "coreutils", "no-such-package-xyz" }),
            QStringList { "no-such-package-xyz" });
    }
};

QTEST_APPLESS_MAIN(TestSpecLoader)
#include "tst_specloader.moc"
