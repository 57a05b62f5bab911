// Virtual networks on real vde_switch, wirefilter and QEMU guests: addressing, isolation,
// routing, block/unblock, live impairment, captures, and no process left behind.
#include "pcapreader.h"
#include "vmtestutil.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <mutex>

using namespace vivarium;

class TestNetwork : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<TestRun> m_run;
    Machine *client = nullptr; // node 1: VLAN 1
    Machine *router = nullptr; // node 2: VLANs 1 and 2
    Machine *server = nullptr; // node 3: VLAN 2
    std::mutex m_eventsMutex;
    QList<LinkState> m_linkEvents;

    // The RTTs in ms of count pings from machine to address, sorted; fails the test if none
    // answered.
    QList<double> rtts(Machine *from, const QString &address, int count = 5)
    {
        const QString out = from->succeed(
            QStringLiteral("ping -n -c %1 -i 0.2 -W 3 %2").arg(count).arg(address), 60);
        QList<double> times;
        static const QRegularExpression time(QStringLiteral("time=([0-9.]+) ms"));
        for (auto it = time.globalMatch(out); it.hasNext();)
            times << it.next().captured(1).toDouble();
        if (times.isEmpty())
            qFatal("no ping answered: %s", qPrintable(out));
        std::sort(times.begin(), times.end());
        return times;
    }

    bool reaches(Machine *from, const QString &address)
    {
        return from->execute(QStringLiteral("ping -4 -n -c 1 -W 1 %1").arg(address), 30).status
            == 0;
    }

    LinkState lastEventFor(const QString &machine)
    {
        std::lock_guard lock(m_eventsMutex);
        for (auto it = m_linkEvents.crbegin(); it != m_linkEvents.crend(); ++it) {
            if (it->machine == machine)
                return *it;
        }
        return {};
    }

    template<typename F> QString errorOf(F &&call)
    {
        try {
            call();
        } catch (const MachineError &e) {
            return QString::fromStdString(e.what());
        }
        return {};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const TestSpec spec = specFromToml(m_dir.path(), "network", R"toml(
[machines.client]
vlans = [1]
commands = ["ip route add 192.168.2.0/24 via 192.168.1.2"]

[machines.router]
vlans = [1, 2]
commands = ["sysctl -q -w net.ipv4.ip_forward=1"]

[machines.server]
vlans = [2]
commands = ["ip route add 192.168.1.0/24 via 192.168.2.2"]

# Node 4, after the others: its own addresses in place of 192.168.1.4 and 2001:db8:1::4.
[machines.zed]
vlans = [1]
addresses = { eth1 = ["10.9.0.4/24", "fd00:9::4/64"] }

[vlans.2]
capture = true

[[link]]
machine = "server"
vlan = 2
delay_ms = 40
)toml");
        m_run = makeRun(spec);
        QObject::connect(
            m_run->network(), &Network::linkChanged, m_run->network(),
            [this](const LinkState &link) {
                std::lock_guard lock(m_eventsMutex);
                m_linkEvents.append(link);
            },
            Qt::DirectConnection);
        client = m_run->machine("client");
        router = m_run->machine("router");
        server = m_run->machine("server");
        m_run->waitAllReady(300);
    }

    void nicsFollowTheNixosScheme()
    {
        QCOMPARE(
            router->succeed("cat /sys/class/net/eth1/address"), QString("52:54:00:12:01:02\n"));
        QCOMPARE(
            router->succeed("cat /sys/class/net/eth2/address"), QString("52:54:00:12:02:02\n"));
        QVERIFY(router->succeed("ip -4 -o addr show dev eth1").contains("192.168.1.2/24"));
        QVERIFY(router->succeed("ip -4 -o addr show dev eth2").contains("192.168.2.2/24"));
        QVERIFY(router->succeed("ip -6 -o addr show dev eth2").contains("2001:db8:2::2/64"));
        // eth0 stays QEMU's user-mode NIC.
        QVERIFY(client->succeed("ip -4 -o addr show dev eth0").contains("10.0.2.15/24"));
        // Names resolve to both families, as in NixOS tests.
        QCOMPARE(
            server->succeed("getent ahostsv4 client").split(' ').first(), QString("192.168.1.1"));
        QCOMPARE(
            server->succeed("getent ahostsv6 client").split(' ').first(), QString("2001:db8:1::1"));
        QVERIFY(server->succeed("cat /etc/hosts").contains("192.168.2.3 server"));
        const LinkState link = m_run->network()->link("router", 2);
        QCOMPARE(link.nic.interface, QString("eth2"));
        QVERIFY(link.up());
    }

    void aTestsOwnAddressesReplaceTheDefaults()
    {
        Machine *zed = m_run->machine("zed");
        const QString v4 = zed->succeed("ip -4 -o addr show dev eth1");
        QVERIFY2(v4.contains("10.9.0.4/24") && !v4.contains("192.168.1.4"), qPrintable(v4));
        const QString v6 = zed->succeed("ip -6 -o addr show dev eth1 scope global");
        QVERIFY2(v6.contains("fd00:9::4/64") && !v6.contains("2001:db8:1::4"), qPrintable(v6));
        QVERIFY2(!v6.contains("tentative") && !v6.contains("dadfailed"), qPrintable(v6));
        // Its name resolves to the addresses it has.
        QVERIFY(client->succeed("cat /etc/hosts").contains("10.9.0.4 zed\nfd00:9::4 zed\n"));
        // A test adds an address of its own beside none of ours: no duplicate detection clash.
        zed->succeed("ip -6 addr add 2001:db8:1::4/64 dev eth1 && sleep 2");
        QVERIFY(!zed->succeed("ip -6 -o addr show dev eth1").contains("dadfailed"));
        QVERIFY(!reaches(client, "192.168.1.4"));
    }

    void noRouteBeyondTheConnectedOnes()
    {
        // QEMU's user network sent router advertisements on eth0: every guest had a default
        // IPv6 route, and a test's own `ip -6 route add ::/0` failed with "File exists".
        QCOMPARE(client->succeed("ip -6 route show default"), QString());
        client->succeed("ip -6 route add ::/0 via 2001:db8:1::2 dev eth1");
        QCOMPARE(client->succeed("ip -4 route show default"), QString());
    }

    void machinesOnOneVlanReachEachOther()
    {
        client->succeed("ping -n -c 1 -W 5 router");
        client->succeed("ping -n -c 1 -W 5 192.168.1.2");
        client->succeed("ping -n -c 1 -W 5 2001:db8:1::2");
        router->succeed("ping -n -c 1 -W 5 client");
    }

    void vlansAreIsolated()
    {
        // The server is on VLAN 2 only. Even with an address in VLAN 1's subnet on its NIC (and
        // no route through the router), it cannot reach a machine on VLAN 1: the frames never
        // meet.
        server->succeed("ip route del 192.168.1.0/24 && ip addr add 192.168.1.99/24 dev eth1");
        QVERIFY(!reaches(server, "192.168.1.1"));
        server->succeed("ip addr del 192.168.1.99/24 dev eth1 && "
                        "ip route add 192.168.1.0/24 via 192.168.2.2");
    }

    void routerCarriesTrafficUntilBlocked()
    {
        QVERIFY(reaches(client, "192.168.2.3"));
        QVERIFY(reaches(server, "client"));
        router->block();
        QCOMPARE(router->succeed("cat /sys/class/net/eth1/carrier"), QString("0\n"));
        QVERIFY(!reaches(client, "192.168.2.3"));
        QVERIFY(!reaches(client, "192.168.1.2"));
        QCOMPARE(router->succeed("cat /sys/class/net/eth0/carrier"), QString("1\n"));
        QVERIFY(lastEventFor("router").blocked);
        QVERIFY(!m_run->network()->link("router", 1).up());
        router->unblock();
        QVERIFY(!lastEventFor("router").blocked);
        client->waitUntilSucceeds("ping -n -c 1 -W 1 192.168.2.3", 30);
    }

    void linkSettingsFromTheTestFileApply()
    {
        // server's link on VLAN 2 delays what the server sends by 40 ms.
        const double fastest = rtts(router, "192.168.2.3").first();
        QVERIFY2(fastest >= 39, qPrintable(QString::number(fastest)));
        QCOMPARE(m_run->network()->link("server", 2).settings.delayMs, 40.0);
    }

    void delaySetAtRuntimeShowsInTheRtt()
    {
        // Guests keep exact time (TSC), so a delay is a floor under every RTT.
        const QList<double> before = rtts(client, "192.168.1.2");
        QVERIFY2(before.first() < 50, qPrintable(QString::number(before.first())));
        LinkUpdate update;
        update.delayMs = 100;
        client->setLink(1, update);
        const QList<double> delayed = rtts(client, "192.168.1.2");
        QVERIFY2(delayed.first() >= 99.5 && delayed.first() < 400,
            qPrintable(QString("fastest RTT with a 100 ms delay: %1 ms").arg(delayed.first())));
        QCOMPARE(lastEventFor("client").settings.delayMs, 100.0);
        update.delayMs = 0;
        client->setLink(1, update);
        const double after = rtts(client, "192.168.1.2").first();
        QVERIFY2(after < 50, qPrintable(QString::number(after)));
    }

    void lossOneDropsEverythingAndZeroRestores()
    {
        LinkUpdate update;
        update.loss = 1.0;
        m_run->network()->setVlan(1, update);
        QVERIFY(client->fail("ping -n -c 3 -i 0.2 -W 1 192.168.1.2").contains("100% packet loss"));
        update.loss = 0;
        m_run->network()->setVlan(1, update);
        QVERIFY(
            client->succeed("ping -n -c 3 -i 0.2 -W 2 192.168.1.2").contains(" 0% packet loss"));
    }

    void badLinkValuesAreRejected()
    {
        LinkUpdate update;
        update.loss = 1.5;
        QString error = errorOf([&] { client->setLink(1, update); });
        QVERIFY2(error.contains("'loss' must be between 0 and 1, not 1.5"), qPrintable(error));
        QCOMPARE(m_run->network()->link("client", 1).settings.loss, 0.0);
        error = errorOf([&] { client->setLink(2, LinkUpdate { .delayMs = 5 }); });
        QVERIFY2(error.contains("machine client is not on VLAN 2"), qPrintable(error));
        error = errorOf([&] { m_run->network()->setVlan(7, LinkUpdate { .delayMs = 5 }); });
        QVERIFY2(error.contains("no machine is on VLAN 7"), qPrintable(error));
    }

    void capturesHoldThePingsPackets()
    {
        const QString nicFile = client->capture(1);
        const QString vlanFile = m_run->network()->startCapture(1);
        QCOMPARE(QFileInfo(nicFile).fileName(), QString("client-vlan1.pcap"));
        QCOMPARE(m_run->network()->link("client", 1).capturePath, nicFile);
        client->succeed("ping -n -c 3 -i 0.2 -W 2 192.168.1.2");
        client->stopCapture(1);
        m_run->network()->stopCapture(1);
        QVERIFY(m_run->network()->link("client", 1).capturePath.isEmpty());
        for (const QString &file : { nicFile, vlanFile }) {
            QString error;
            const QList<PcapPacket> packets = readPcap(file, &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QCOMPARE(countIcmp(packets, "192.168.1.1", "192.168.1.2", 8), 3);
            QCOMPARE(countIcmp(packets, "192.168.1.2", "192.168.1.1", 0), 3);
        }
        // [vlans.2] capture = true: the VLAN was captured from the start, routed pings included.
        QString error;
        const QList<PcapPacket> vlan2 = readPcap(m_run->outDir() + "/vlan2.pcap", &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(countIcmp(vlan2, "192.168.1.1", "192.168.2.3", 8) >= 1);
    }

    void aDyingFilterIsReported()
    {
        QString failure;
        QObject::connect(
            m_run->network(), &Network::failed, m_run->network(),
            [&](const QString &message) { failure = message; }, Qt::DirectConnection);
        const qint64 before = m_run->network()->processIds().size();
        QProcess::execute("pkill", { "-KILL", "-f", "wirefilter .*server.2.wf" });
        QTRY_VERIFY_WITH_TIMEOUT(!failure.isEmpty(), 5000);
        // "exited (status 9)" before: a signal is named as one.
        QVERIFY2(
            failure.startsWith("wirefilter for server on VLAN 2 was killed by signal 9 (SIGKILL)"),
            qPrintable(failure));
        QCOMPARE(m_run->network()->error(), failure);
        QVERIFY(!lastEventFor("server").up());
        QVERIFY(!m_run->network()->link("server", 2).filterRunning);
        QCOMPARE(m_run->network()->processIds().size(), before - 1);
        QVERIFY(!reaches(router, "192.168.2.3"));
        // Every later failure on that link names what died, not only the log's first line.
        const QString error = errorOf([&] { server->succeed("ping -c 1 -W 1 192.168.2.2", 30); });
        QVERIFY2(error.contains("(the network of machine server is broken: wirefilter for server "
                                "on VLAN 2 was killed by signal 9"),
            qPrintable(error));
        // A machine whose links all run is not told about it.
        const QString other = errorOf([&] { client->succeed("false"); });
        QVERIFY2(!other.contains("is broken"), qPrintable(other));
    }

    void noSwitchOrFilterOutlivesTheRun()
    {
        QList<qint64> pids = m_run->network()->processIds();
        // Per VLAN a switch; per NIC a switch and a filter (less the one killed above).
        QCOMPARE(pids.size(), 2 + 5 * 2 - 1);
        for (qint64 pid : pids) {
            QFile comm(QString("/proc/%1/comm").arg(pid));
            QVERIFY(comm.open(QIODevice::ReadOnly));
            const QByteArray name = comm.readAll().trimmed();
            QVERIFY2(name == "vde_switch" || name == "wirefilter", name.constData());
        }
        m_run.reset();
        for (qint64 pid : pids) {
            QFile stat(QString("/proc/%1/stat").arg(pid));
            QVERIFY2(!stat.open(QIODevice::ReadOnly) || stat.readAll().contains(") Z "),
                qPrintable(QString("process %1 is still running").arg(pid)));
        }
    }
};

QTEST_GUILESS_MAIN(TestNetwork)
#include "tst_network.moc"
