// The NixOS address scheme, the guest's NIC set-up, /etc/hosts, link values and the wirefilter
// commands they become.
#include "core/network/addressing.h"
#include "core/network/linkstate.h"

#include <QSet>
#include <QTest>

using namespace vivarium;

namespace {

TestSpec specWith(int machines, int vlansEach)
{
    TestSpec spec;
    for (int i = 0; i < machines; ++i) {
        MachineSpec m;
        m.name = QStringLiteral("m%1").arg(i, 3, 10, QLatin1Char('0'));
        m.vlans.clear();
        // Different orders, so ethK follows each machine's own list.
        for (int v = 0; v < vlansEach; ++v)
            m.vlans << 1 + (i + v * 37) % 254;
        spec.machines << m;
    }
    return spec;
}

} // namespace

class TestAddressing : public QObject {
    Q_OBJECT

private slots:
    void macFollowsVlanAndNode_data()
    {
        QTest::addColumn<int>("vlan");
        QTest::addColumn<int>("node");
        QTest::addColumn<QString>("mac");
        QTest::newRow("first") << 1 << 1 << "52:54:00:12:01:01";
        QTest::newRow("hex") << 10 << 26 << "52:54:00:12:0a:1a";
        QTest::newRow("largest") << 254 << 254 << "52:54:00:12:fe:fe";
    }
    void macFollowsVlanAndNode()
    {
        QFETCH(int, vlan);
        QFETCH(int, node);
        QFETCH(QString, mac);
        QCOMPARE(vlanMac(vlan, node), mac);
    }

    void nodesAreSortedPositions()
    {
        TestSpec spec;
        for (const char *name : { "alpha", "beta", "web-1" }) {
            MachineSpec m;
            m.name = QString::fromLatin1(name);
            spec.machines << m;
        }
        spec.machines[2].vlans = { 3, 1 };
        const QList<NicAddress> nics = machineNics(spec, "web-1");
        QCOMPARE(nics.size(), 2);
        QCOMPARE(nics[0].interface, QString("eth1"));
        QCOMPARE(nics[0].vlan, 3);
        QCOMPARE(nics[0].ipv4, QString("192.168.3.3"));
        QCOMPARE(nics[0].ipv6, QString("2001:db8:3::3"));
        QCOMPARE(nics[0].mac, QString("52:54:00:12:03:03"));
        QCOMPARE(nics[1].interface, QString("eth2"));
        QCOMPARE(nics[1].ipv4, QString("192.168.1.3"));
        QVERIFY(machineNics(spec, "nobody").isEmpty());
    }

    void manyMachinesGetDistinctAddresses()
    {
        const TestSpec spec = specWith(200, 4);
        QSet<QString> macs, addresses;
        int count = 0;
        for (const MachineSpec &m : spec.machines) {
            const QList<NicAddress> nics = machineNics(spec, m.name);
            QCOMPARE(nics.size(), 4);
            for (int k = 0; k < nics.size(); ++k) {
                QCOMPARE(nics[k].interface, QStringLiteral("eth%1").arg(k + 1));
                QCOMPARE(nics[k].vlan, m.vlans[k]);
                QVERIFY(nics[k].ipv4.endsWith(QStringLiteral(".%1").arg(spec.nodeNumber(m.name))));
                macs << nics[k].mac;
                addresses << nics[k].ipv4 << nics[k].ipv6;
                ++count;
            }
        }
        QCOMPARE(macs.size(), count);
        QCOMPARE(addresses.size(), 2 * count);
    }

    void hostsNameEveryMachineByItsFirstVlan()
    {
        TestSpec spec = specWith(3, 2);
        spec.machines[1].vlans.clear(); // no VLAN NIC: not in the hosts file
        const QString hosts = QString::fromUtf8(hostsFile(spec));
        QVERIFY(hosts.startsWith("127.0.0.1 localhost\n"));
        QVERIFY(
            hosts.contains(QStringLiteral("192.168.%1.1 m000\n").arg(spec.machines[0].vlans[0])));
        QVERIFY(
            hosts.contains(QStringLiteral("2001:db8:%1::1 m000\n").arg(spec.machines[0].vlans[0])));
        QVERIFY(!hosts.contains("m001"));
        QVERIFY(!hosts.contains("127.0.0.2"));
        QVERIFY(QString::fromUtf8(hostsFile(spec, "m002")).contains("\n127.0.0.2 m002\n"));
        QVERIFY(
            hosts.contains(QStringLiteral("192.168.%1.3 m002\n").arg(spec.machines[2].vlans[0])));
    }

    void setupScriptNamesNicsByMac()
    {
        TestSpec spec = specWith(1, 2);
        spec.machines[0].vlans = { 2, 5 };
        const QString script = QString::fromUtf8(nicSetupScript(machineNics(spec, "m000")));
        // Two steps: every NIC to a temporary name, then to its final one.
        const qsizetype lastTemporary = script.lastIndexOf("name vivarium-");
        const qsizetype firstFinal = script.indexOf("name eth");
        QVERIFY(lastTemporary >= 0 && firstFinal > lastTemporary);
        QVERIFY(script.contains("nic 52:54:00:12:02:01\n"));
        QVERIFY(script.contains("link set dev ${dev[52:54:00:12:34:56]} name vivarium-eth0\n"));
        QVERIFY(script.contains("link set dev vivarium-eth2 name eth2\n"));
        QVERIFY(script.contains("addr add 192.168.5.1/24 dev eth2\n"));
        QVERIFY(script.contains("addr add 2001:db8:5::1/64 dev eth2 nodad\n"));
        QVERIFY(script.contains("addr add 10.0.2.15/24 dev eth0\n"));
        QVERIFY(script.contains("[ \"${dev[52:54:00:12:05:01]}\" = eth2 ] || rename=1\n"));
        QCOMPARE(script.count("ip -batch"), 2); // renames only when needed, then the rest
        QVERIFY(script.startsWith("set -e\n"));
    }

    void aMachinesOwnAddressesReplaceTheDefaults()
    {
        TestSpec spec = specWith(1, 2);
        spec.machines[0].vlans = { 2, 5 };
        spec.machines[0].addresses
            = { { "eth1", { "10.0.0.1/24", "fd00::1/64" } }, { "eth2", {} } };
        const QList<NicAddress> nics = machineNics(spec, "m000");
        QCOMPARE(nics.at(0).ipv4, QString("10.0.0.1"));
        QCOMPARE(nics.at(0).ipv6, QString("fd00::1"));
        QVERIFY(nics.at(1).ipv4.isEmpty() && nics.at(1).cidrs.isEmpty());
        const QString script = QString::fromUtf8(nicSetupScript(nics));
        QVERIFY(script.contains("addr add 10.0.0.1/24 dev eth1\n"));
        QVERIFY(script.contains("addr add fd00::1/64 dev eth1 nodad\n"));
        QVERIFY(script.contains("link set dev eth2 up\n"));
        QVERIFY2(!script.contains("192.168.") && !script.contains("2001:db8:"), qPrintable(script));
        const QString hosts = QString::fromUtf8(hostsFile(spec));
        QVERIFY(hosts.contains("10.0.0.1 m000\nfd00::1 m000\n"));
    }

    void linkValuesAreValidated_data()
    {
        QTest::addColumn<LinkSettings>("settings");
        QTest::addColumn<QString>("error");
        QTest::newRow("defaults") << LinkSettings {} << "";
        QTest::newRow("all in range") << LinkSettings { 100, 10, 0.5, 0.1, 1000, true } << "";
        QTest::newRow("negative delay") << LinkSettings { -1, 0, 0, 0, 0, false }
                                        << "'delay_ms' must be between 0 and 60000, not -1";
        QTest::newRow("huge jitter") << LinkSettings { 0, 70000, 0, 0, 0, false }
                                     << "'jitter_ms' must be between 0 and 60000, not 70000";
        QTest::newRow("loss above 1")
            << LinkSettings { 0, 0, 1.5, 0, 0, false } << "'loss' must be between 0 and 1, not 1.5";
        QTest::newRow("negative dup") << LinkSettings { 0, 0, 0, -0.1, 0, false }
                                      << "'dup' must be between 0 and 1, not -0.1";
        QTest::newRow("negative bandwidth") << LinkSettings { 0, 0, 0, 0, -5,
            false } << "'bandwidth_kbit' must be between 0 and 100000000, not -5";
        QTest::newRow("not a number") << LinkSettings { qQNaN(), 0, 0, 0, 0, false }
                                      << "'delay_ms' must be between 0 and 60000, not nan";
    }
    void linkValuesAreValidated()
    {
        QFETCH(LinkSettings, settings);
        QFETCH(QString, error);
        QCOMPARE(settings.validate(), error);
    }

    void updatesChangeOnlyWhatTheyName()
    {
        const LinkSettings start { 10, 2, 0.1, 0, 500, true };
        LinkUpdate update;
        QVERIFY(update.isEmpty());
        QCOMPARE(update.appliedTo(start), start);
        update.loss = 0.25;
        const LinkSettings changed = update.appliedTo(start);
        QCOMPARE(changed.loss, 0.25);
        QCOMPARE(changed.delayMs, 10.0);
        QCOMPARE(changed.bandwidthKbit, 500);
        QVERIFY(changed.capture);
    }

    void wirefilterCommandsActOnWhatTheMachineSends()
    {
        QCOMPARE(wirefilterCommands({}),
            QStringList({ "delay LR 0", "loss LR 0", "dup LR 0", "bandwidth LR 0" }));
        QCOMPARE(wirefilterCommands({ 50, 5, 0.125, 0.02, 1000, false }),
            QStringList({ "delay LR 50+5", "loss LR 12.5", "dup LR 2", "bandwidth LR 125000" }));
    }

    void impairmentIsDescribedForLabels()
    {
        QCOMPARE(describeImpairment({}), QString());
        QCOMPARE(describeImpairment({ 100, 0, 0.05, 0, 0, false }), QString("100 ms · 5 % loss"));
        QCOMPARE(describeImpairment({ 20, 5, 0, 0.01, 2000, false }),
            QString("20 ms ± 5 · 1 % dup · 2000 kbit/s"));
    }
};

QTEST_GUILESS_MAIN(TestAddressing)
#include "tst_addressing.moc"
