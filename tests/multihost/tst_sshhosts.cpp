// The other hosts of a run (core/remote/sshhost.h) on real ssh: hosts made by
// scripts/namespace-hosts (network namespaces with their own sshd, key-only), reached over a
// bridge. What must hold: a host answers or is named in one message saying why not; nothing
// the run started on a host outlives the run, a lost connection or a killed Vivarium; a host
// that goes away is said at once.
#include "buildpaths.h"
#include "core/event/machineerror.h"
#include "core/network/hostvlan.h"
#include "core/network/processsupervisor.h"
#include "core/network/vdemanagement.h"
#include "core/remote/sshhost.h"
#include "pcapreader.h"
#include "vmtestutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLocalSocket>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <unistd.h>

using namespace vivarium;

namespace {

const QString hostsScript = QStringLiteral(VIVARIUM_SOURCE_DIR "/scripts/namespace-hosts");
const QString hostExec = QStringLiteral(VIVARIUM_GUEST_DIR "/vivarium-host-exec");

bool shell(const QString &command, QString *output = nullptr)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral("bash"), { QStringLiteral("-c"), command });
    process.waitForFinished(120000);
    if (output)
        *output = QString::fromUtf8(process.readAll());
    return process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

// Processes on this machine (the namespace hosts share its process table) whose command line
// matches pattern. pgrep and pkill run directly: a shell around them would match itself.
bool anyProcessNames(const QString &pattern)
{
    return QProcess::execute(
               QStringLiteral("pgrep"), { QStringLiteral("-f"), QStringLiteral("--"), pattern })
        == 0;
}

void killProcesses(const QString &pattern)
{
    QProcess::execute(QStringLiteral("pkill"),
        { QStringLiteral("-KILL"), QStringLiteral("-f"), QStringLiteral("--"), pattern });
}

} // namespace

class TestSshHosts : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (geteuid() != 0)
            QSKIP("the namespace hosts need root (ip netns)");
        QVERIFY(m_dir.isValid());
        QString output;
        QVERIFY2(shell(QStringLiteral("bash %1 up 2 %2").arg(hostsScript, m_dir.filePath("hosts")),
                     &output),
            qPrintable(output));
        m_config = m_dir.filePath("hosts/ssh_config");
        QVERIFY(QFile::exists(m_config));
    }

    void cleanupTestCase()
    {
        if (geteuid() == 0)
            shell(QStringLiteral("bash %1 down %2").arg(hostsScript, m_dir.filePath("hosts")));
    }

    // A host answers, runs commands in the run's directory there, and once the run lets it go
    // nothing it started there is left, nor the directory.
    void aHostRunsCommandsAndCleansUp()
    {
        SshHost host(hostSpec("h1", "10.231.0.11"), { QStringLiteral("/bin/sh") });
        QString error;
        QVERIFY2(host.connectHost(15, &error), qPrintable(error));
        const QString dir = host.runDirectory();
        QVERIFY2(dir.contains("/vivarium-remote-"), qPrintable(dir));
        QString output;
        QVERIFY2(host.run("ip -br addr show eth0", &output, &error), qPrintable(error));
        QVERIFY2(output.contains("10.231.0.11"), qPrintable(output)); // it ran on that host
        QVERIFY2(
            host.run(
                QStringLiteral("nohup sh -c 'sleep 600' %1/sleeper > /dev/null 2>&1 &").arg(dir),
                nullptr, &error),
            qPrintable(error));
        QTRY_VERIFY(anyProcessNames(dir + "/sleeper"));
        QVERIFY(!host.run("exit 3", nullptr, &error));
        QVERIFY2(error.contains("host h1 (10.231.0.11)") && error.contains("status 3"),
            qPrintable(error));
        host.disconnectHost();
        QTRY_VERIFY(!anyProcessNames(dir + "/sleeper"));
        QVERIFY(!QFile::exists(dir));
    }

    // A VLAN crosses to another host: frames from this host's hub reach a hub there over the
    // host's ssh connection (a tap on each side: a ping goes across). The round trip is printed
    // beside the same on one host.
    void aVlanCrossesToAnotherHost()
    {
        SshHost host(hostSpec("h1", "10.231.0.11"), {}, hostExec);
        QString error;
        QVERIFY2(host.connectHost(15, &error), qPrintable(error));
        QTemporaryDir work(QStringLiteral("/tmp/vivarium-vlan-XXXXXX"));
        QThread io;
        io.start();
        QStringList ended;
        {
            ProcessSupervisor supervisor(
                &io, [&ended](ProcessSupervisor::Id, const QString &why) { ended << why; });
            const QString hub = work.filePath("hub");
            const ProcessSupervisor::Id hubId = supervisor.start(
                "hub", "vde_switch", { "--hub", "--sock", hub, "--mgmt", hub + ".mgmt" });
            VdeManagement session;
            supervisor.waitForManagement(hubId, hub + ".mgmt", &session);
            HostVlan vlan(&host, 1, hub, work.path());
            try {
                vlan.start(supervisor);
            } catch (const MachineError &e) {
                QFAIL(e.what());
            }
            QVERIFY(shell("ip tuntap add vivtapL mode tap && ip addr add 172.31.0.1/24 dev vivtapL "
                          "&& ip link set vivtapL up"));
            supervisor.start("local tap", "vde_plug", { "vde://" + hub, "tap://vivtapL" });
            QVERIFY2(host.run(QStringLiteral(
                                  "ip tuntap add vivtapR mode tap && ip addr add 172.31.0.2/24 "
                                  "dev vivtapR && ip link set vivtapR up && (nohup vde_plug "
                                  "vde://%1 tap://vivtapR > /dev/null 2>&1 &)")
                                  .arg(vlan.remoteHubDir()),
                         nullptr, &error),
                qPrintable(error));
            QTRY_VERIFY_WITH_TIMEOUT(shell("ping -c 1 -W 1 172.31.0.2 > /dev/null"), 30000);
            QString pings;
            QVERIFY(shell("ping -q -c 20 -i 0.05 172.31.0.2", &pings));
            qInfo("across hosts over ssh: %s", qPrintable(pings.section('\n', -2).trimmed()));
            QVERIFY(ended.isEmpty());
            supervisor.stopAll();
        }
        shell("ip link delete vivtapL");
        host.run("ip link delete vivtapR", nullptr, &error);
        const QString remoteDir = host.runDirectory();
        host.disconnectHost();
        QTRY_VERIFY(!anyProcessNames(remoteDir + "/vlan1"));
        io.quit();
        io.wait();
    }

    // A QEMU started on the host answers on its monitor socket there, reached from here
    // through the connection (a unix socket forward): the path remote machines will take. It
    // goes with the run.
    void aRemoteQemuAnswersThroughTheConnection()
    {
        SshHost host(hostSpec("h1", "10.231.0.11"), {});
        QString error;
        QVERIFY2(host.connectHost(15, &error), qPrintable(error));
        const QString remote = host.runDirectory() + "/qmp.sock";
        QVERIFY2(host.run(QStringLiteral("(nohup qemu-system-x86_64 -S -nodefaults -display none "
                                         "-qmp unix:%1,server=on,wait=off > /dev/null 2>&1 &)")
                              .arg(remote),
                     nullptr, &error, 60),
            qPrintable(error));
        QTemporaryDir here(QStringLiteral("/tmp/vivarium-qmp-XXXXXX"));
        const QString local = here.filePath("qmp.sock");
        // A forward to a socket not made yet would take connections and drop them.
        QVERIFY2(host.run(QStringLiteral("for i in $(seq 300); do [ -S %1 ] && exit 0; sleep 0.1; "
                                         "done; exit 1")
                              .arg(remote),
                     nullptr, &error),
            qPrintable(error));
        QVERIFY2(host.forwardSocket(local, remote, &error), qPrintable(error));
        QLocalSocket qmp;
        qmp.connectToServer(local);
        QVERIFY(qmp.waitForConnected(10000));
        QByteArray greeting;
        QTRY_VERIFY_WITH_TIMEOUT((greeting += qmp.readAll()).contains("\n"), 20000);
        QVERIFY2(
            greeting.contains("\"QMP\"") && greeting.contains("\"qemu\""), greeting.constData());
        qmp.write("{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"query-status\"}\n");
        QByteArray replies;
        QTRY_VERIFY_WITH_TIMEOUT((replies += qmp.readAll()).contains("\"status\""), 20000);
        QVERIFY2(replies.contains("\"prelaunch\""), replies.constData());
        qmp.disconnectFromServer();
        const QString dir = host.runDirectory();
        host.disconnectHost();
        QTRY_VERIFY(!anyProcessNames(dir + "/qmp.sock"));
    }

    // The connection killed (as when Vivarium is SIGKILLed: ssh dies with it): the host still
    // kills what the run started, and the run hears that the host is lost, by name.
    void aLostConnectionLeavesNothingAndIsSaid()
    {
        SshHost host(hostSpec("h2", "10.231.0.12"), {});
        QString error;
        QVERIFY2(host.connectHost(15, &error), qPrintable(error));
        const QString dir = host.runDirectory();
        QVERIFY(host.run(
            QStringLiteral("nohup sh -c 'sleep 600' %1/sleeper > /dev/null 2>&1 &").arg(dir),
            nullptr, &error));
        QTRY_VERIFY(anyProcessNames(dir + "/sleeper"));
        QSignalSpy lost(&host, &SshHost::lost);
        killProcesses(QStringLiteral("-M .*10.231.0.12"));
        QTRY_COMPARE(lost.count(), 1);
        QVERIFY2(lost.first().first().toString().contains("host h2 (10.231.0.12) was lost"),
            qPrintable(lost.first().first().toString()));
        QVERIFY(!host.isConnected());
        QTRY_VERIFY(!anyProcessNames(dir + "/sleeper"));
        QTRY_VERIFY(!QFile::exists(dir));
    }

    // The host itself goes away (every process of it killed, its sshd among them): said at
    // once, by name, not at a timeout.
    void aHostThatGoesAwayIsSaidAtOnce()
    {
        SshHost host(hostSpec("h2", "10.231.0.12"), {});
        QString error;
        QVERIFY2(host.connectHost(15, &error), qPrintable(error));
        QSignalSpy lost(&host, &SshHost::lost);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(shell(QStringLiteral("bash %1 kill 2").arg(hostsScript)));
        QTRY_COMPARE_WITH_TIMEOUT(lost.count(), 1, 60000);
        qInfo("the lost host was said after %lld ms", timer.elapsed());
        QVERIFY2(lost.first().first().toString().contains("host h2 (10.231.0.12) was lost"),
            qPrintable(lost.first().first().toString()));
        QVERIFY(!host.run("true", nullptr, &error));
        QVERIFY2(error.contains("host h2"), qPrintable(error));
        // The host back for the tests after this one.
        QVERIFY(shell(
            QStringLiteral("ip netns exec vivarium-host2 /usr/sbin/sshd -f %1 -E %2")
                .arg(m_dir.filePath("hosts/sshd_config.2"), m_dir.filePath("hosts/sshd.2.log"))));
    }

    // A run whose session on the host ended without its clean-up (the host's processes killed
    // outright): the next run there kills and removes what it left.
    void theNextRunCleansUpAfterAKilledOne()
    {
        auto first = std::make_unique<SshHost>(hostSpec("h1", "10.231.0.11"), QStringList {});
        QString error;
        QVERIFY2(first->connectHost(15, &error), qPrintable(error));
        const QString stale = first->runDirectory();
        QVERIFY(first->run(QStringLiteral("nohup setsid sh -c 'sleep 600' %1/sleeper > /dev/null "
                                          "2>&1 &")
                               .arg(stale),
            nullptr, &error));
        QTRY_VERIFY(anyProcessNames(stale + "/sleeper"));
        // The session's shell dies before it can clean up (its script is the only command
        // line with "flock -n 8"), then the connection; the sleeper lives on.
        killProcesses(QStringLiteral("flock -n 8"));
        killProcesses(QStringLiteral("-M .*10.231.0.11"));
        first.reset();
        QVERIFY(anyProcessNames(stale + "/sleeper"));
        SshHost next(hostSpec("h1", "10.231.0.11"), {});
        QVERIFY2(next.connectHost(15, &error), qPrintable(error));
        QTRY_VERIFY(!anyProcessNames(stale + "/sleeper"));
        QVERIFY(!QFile::exists(stale));
    }

    // Bad hosts: each one message naming the host and the cause.
    void aHostThatCannotServeIsNamed()
    {
        QString error;
        SshHost missing(hostSpec("h1", "10.231.0.11"), { QStringLiteral("/nonexistent/vmlinux") });
        QVERIFY(!missing.connectHost(15, &error));
        QVERIFY2(
            error.contains("host h1 (10.231.0.11) lacks /nonexistent/vmlinux"), qPrintable(error));

        HostSpec noKey = hostSpec("h2", "10.231.0.12");
        noKey.sshConfig = m_dir.filePath("no-key-config");
        QFile config(noKey.sshConfig);
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(QStringLiteral("UserKnownHostsFile %1\nIdentityFile %2\nIdentitiesOnly yes\n")
                         .arg(m_dir.filePath("hosts/known_hosts"), m_dir.filePath("none"))
                         .toUtf8());
        config.close();
        SshHost refused(noKey, {});
        QVERIFY(!refused.connectHost(15, &error));
        QVERIFY2(error.contains("host h2 (10.231.0.12) refused the login")
                && error.contains("keys only"),
            qPrintable(error));

        SshHost away(hostSpec("h9", "10.231.0.99"), {});
        QVERIFY(!away.connectHost(3, &error));
        QVERIFY2(error.contains("host h9 (10.231.0.99)"), qPrintable(error));
        QVERIFY2(
            error.contains("cannot reach") || error.contains("did not answer"), qPrintable(error));
    }

    // vivarium-test: a machine on another host is checked before any machine boots; a host that
    // cannot serve stops the run with the host's name, and no machine started. One that can
    // runs it, and --hosts places machines there.
    void aRunChecksItsHostsBeforeBooting()
    {
        QTemporaryDir dir;
        writeTestFile(dir.filePath("t.toml"),
            QStringLiteral("[hosts.far]\nssh = \"10.231.0.99\"\nssh_config = \"%1\"\n"
                           "[machines.local1]\n[machines.remote1]\nhost = \"far\"\n")
                .arg(m_config)
                .toUtf8());
        const ProgramRun away
            = runVivariumTest({ dir.filePath("t.toml"), "-o", dir.filePath("out") });
        QVERIFY(away.exitCode != 0);
        QVERIFY2(away.output.contains("host far (10.231.0.99)"), qPrintable(away.output));
        QVERIFY2(!away.output.contains("booting"), qPrintable(away.output));

        writeTestFile(dir.filePath("t.toml"),
            QStringLiteral("[hosts.near]\nssh = \"10.231.0.11\"\nssh_config = \"%1\"\n"
                           "[machines.local1]\n[machines.remote1]\nhost = \"near\"\n")
                .arg(m_config)
                .toUtf8());
        const ProgramRun near
            = runVivariumTest({ dir.filePath("t.toml"), "-o", dir.filePath("out") });
        QVERIFY2(passed(near), "a test with a machine on a reachable host failed: see above");
        // --hosts places the machines that name no host, says where, then checks those hosts.
        writeTestFile(dir.filePath("hosts.toml"),
            QStringLiteral("[hosts.roomy]\nssh = \"10.231.0.12\"\nssh_config = \"%1\"\n"
                           "memory = 10000000\ncpus = 64\n")
                .arg(m_config)
                .toUtf8());
        writeTestFile(dir.filePath("t.toml"), "[machines.a]\n[machines.b]\n");
        const ProgramRun placed = runVivariumTest({ dir.filePath("t.toml"), "--hosts",
            dir.filePath("hosts.toml"), "-o", dir.filePath("out") });
        QVERIFY2(passed(placed), "the placed test failed: see above");
        QVERIFY2(
            placed.output.contains("placement: roomy: a, b (512 of 10000000 MiB, 2 of 64 cores)"),
            qPrintable(placed.output));
        // Nothing of the run is left on the host.
        QTRY_VERIFY(!shell("ls -d /tmp/vivarium-remote-$(id -u)/run-* 2>/dev/null | grep -q ."));
    }

    // What a user writes: a machine with host = "near" boots there (its QEMU in that host's
    // namespace), shares VLAN 1 with a machine here and one on a third host, and block(),
    // set_link() and a crash and restart work on it as on any machine; after the run nothing
    // of it is left on the host.
    void aMachineBootsOnAnotherHost()
    {
        QTemporaryDir dir;
        writeHostTest(dir, "near", "10.231.0.11",
            QStringLiteral("[hosts.far]\nssh = \"10.231.0.12\"\nssh_config = \"%1\"\n"
                           "[machines.local1]\nvlans = [1]\n"
                           "[machines.remote1]\nhost = \"near\"\nvlans = [1]\n"
                           "[machines.remote2]\nhost = \"far\"\nvlans = [1]\n")
                .arg(m_config));
        writeTestFile(dir.filePath("t.py"), R"py(import re, subprocess
start_all()
remote1.wait_for_ready()  # start_all() returns at once: the machines may still be booting
remote2.wait_for_ready()
local1.succeed("ping -c 1 -W 5 remote1")
remote1.succeed("ping -c 1 -W 5 local1")
remote1.succeed("ping -c 1 -W 5 remote2")  # near to far, through this host's hub
remote1.capture(1)  # a link there, captured here through a mirror of its switch
local1.succeed("ping -4 -n -c 3 -i 0.2 -W 2 192.168.1.2")
remote1.stop_capture(1)
# remote1's QEMU is a process of host near: in its network namespace, not this host's
pids = subprocess.check_output(["ip", "netns", "pids", "vivarium-host1"], text=True).split()
commands = []
for pid in pids:
    try:
        commands.append(open(f"/proc/{pid}/cmdline", "rb").read())
    except OSError:
        pass
assert any(b"qemu-system-x86_64" in c and b"remote1" in c for c in commands), commands
remote1.block()
local1.fail("ping -c 1 -W 1 remote1")
remote1.unblock()
local1.wait_until_succeeds("ping -c 1 -W 1 remote1", timeout=60)
remote1.set_link(1, delay_ms=200)
out = local1.succeed("ping -c 3 -i 0.3 remote1")
rtts = [float(t) for t in re.findall(r"time=([0-9.]+)", out)]
assert rtts and min(rtts) >= 190, out
print(f"remote-rtt-ms {min(rtts)}")
remote1.succeed("echo kept > /root/kept && sync")
remote1.crash()
remote1.start()
assert "kept" in remote1.succeed("cat /root/kept")
)py");
        const ProgramRun run
            = runVivariumTest({ dir.filePath("t.toml"), "-o", dir.filePath("out") }, {}, 900);
        QVERIFY2(passed(run), "the run with a machine on another host failed: its output is above");
        QString error;
        const QList<PcapPacket> captured = readPcap(dir.filePath("out/remote1-vlan1.pcap"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(countIcmp(captured, "192.168.1.1", "192.168.1.2", 8), 3);
        QCOMPARE(countIcmp(captured, "192.168.1.2", "192.168.1.1", 0), 3);
        QFile log(dir.filePath("out/remote1.qemu.log"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        const QByteArray first = log.readLine();
        QVERIFY2(first.contains("ssh") && first.contains("vivarium-host-exec"), first.constData());
        QTRY_VERIFY(!shell("ls -d /tmp/vivarium-remote-$(id -u)/run-* 2>/dev/null | grep -q ."));
        QVERIFY(!anyProcessNames("vivarium-remote-.*/remote1"));
    }

    // A host that goes away during the run fails its machine at once, naming the host, not at a
    // timeout; the run fails with that message and leaves nothing here.
    void aLostHostFailsItsMachineAtOnce()
    {
        QTemporaryDir dir;
        writeHostTest(
            dir, "far", "10.231.0.12", QStringLiteral("[machines.remote2]\nhost = \"far\"\n"));
        writeTestFile(dir.filePath("t.py"),
            QStringLiteral("import subprocess, time\n"
                           "remote2.succeed('true')\n"
                           "subprocess.run(['bash', '%1', 'kill', '2'], check=True)\n"
                           "t = time.monotonic()\n"
                           "try:\n"
                           "    remote2.succeed('sleep 600')\n"
                           "finally:\n"
                           "    print(f'lost-after-s {time.monotonic() - t:.2f}')\n")
                .arg(hostsScript)
                .toUtf8());
        const ProgramRun run
            = runVivariumTest({ dir.filePath("t.toml"), "-o", dir.filePath("out") }, {}, 600);
        // The host back for the tests after this one.
        QVERIFY(shell(
            QStringLiteral("ip netns exec vivarium-host2 /usr/sbin/sshd -f %1 -E %2")
                .arg(m_dir.filePath("hosts/sshd_config.2"), m_dir.filePath("hosts/sshd.2.log"))));
        QVERIFY2(run.exitCode != 0, qPrintable(scriptOutput(run)));
        QVERIFY2(
            scriptOutput(run).contains("host far (10.231.0.12)"), qPrintable(scriptOutput(run)));
        static const QRegularExpression after(QStringLiteral("lost-after-s ([0-9.]+)"));
        const QRegularExpressionMatch m = after.match(run.output);
        QVERIFY2(m.hasMatch(), qPrintable(scriptOutput(run)));
        qInfo("the machine on the lost host failed after %s s", qPrintable(m.captured(1)));
        QVERIFY2(m.captured(1).toDouble() < 60, qPrintable(m.captured(1))); // not sleep's 600 s
        QVERIFY(!anyProcessNames("vivarium-remote-.*/remote2"));
    }

private:
    // t.toml in dir: the script t.py, one [hosts.NAME] at address, then machines.
    void writeHostTest(
        const QTemporaryDir &dir, const char *name, const char *address, const QString &machines)
    {
        writeTestFile(dir.filePath("t.toml"),
            QStringLiteral("script = \"t.py\"\n[hosts.%1]\nssh = \"%2\"\nssh_config = \"%3\"\n%4")
                .arg(QLatin1String(name), QLatin1String(address), m_config, machines)
                .toUtf8());
    }

    HostSpec hostSpec(const char *name, const char *address) const
    {
        HostSpec spec;
        spec.name = QString::fromLatin1(name);
        spec.ssh = QString::fromLatin1(address);
        spec.sshConfig = m_config;
        return spec;
    }

    QTemporaryDir m_dir { QStringLiteral("/tmp/vivarium-hosts-XXXXXX") };
    QString m_config;
};

QTEST_MAIN(TestSshHosts)
#include "tst_sshhosts.moc"
