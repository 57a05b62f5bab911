// The network layer on real vde_switch and wirefilter processes, without guests: the test joins
// each NIC's switch the way QEMU does and sends Ethernet frames itself.
#include "core/machine/machine.h"
#include "core/network/network.h"
#include "core/network/vdemanagement.h"
#include "core/network/vdeport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <poll.h>
#include <sys/socket.h>

using namespace vivarium;

namespace {

QByteArray frame(int from, int to, const QByteArray &payload)
{
    QByteArray f = QByteArray::fromHex("525400120100") + QByteArray::fromHex("525400120100");
    f[5] = char(to);
    f[11] = char(from);
    return f + QByteArray::fromHex("88b5") + payload; // local experimental EtherType
}

// The next frame on the port within timeoutMs, or empty.
QByteArray receive(const VdePort &port, int timeoutMs)
{
    pollfd ready { port.dataSocket(), POLLIN, 0 };
    if (::poll(&ready, 1, timeoutMs) != 1)
        return {};
    char buffer[2048];
    const ssize_t n = ::recv(port.dataSocket(), buffer, sizeof buffer, 0);
    return n > 0 ? QByteArray(buffer, n) : QByteArray();
}

// How long a frame from one port takes to the other, in ms; -1 when it never arrives.
qint64 transit(const VdePort &from, const VdePort &to, const QByteArray &payload)
{
    const QByteArray f = frame(1, 2, payload);
    QElapsedTimer clock;
    clock.start();
    if (::send(from.dataSocket(), f.constData(), f.size(), 0) != f.size())
        return -1;
    while (clock.elapsed() < 1500) {
        const QByteArray got = receive(to, 100);
        if (got == f)
            return clock.elapsed();
    }
    return -1;
}

} // namespace

class TestVdeNetwork : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QThread m_io;
    TestSpec m_spec;
    std::unique_ptr<Network> m_network;
    VdePort m_a, m_b;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_io.start();
        for (const char *name : { "a", "b" }) {
            MachineSpec m;
            m.name = QString::fromLatin1(name);
            m_spec.machines << m;
        }
        m_spec.vlans.insert(1, {});
        m_network = std::make_unique<Network>(&m_spec, m_dir.path(), m_dir.path(), &m_io);
        m_network->start();
        QString error;
        QVERIFY2(m_a.open(m_network->nicSwitchDir("a", 1), m_network->nicPortSocket("a", 1), "a",
                     &error),
            qPrintable(error));
        QVERIFY2(m_b.open(m_network->nicSwitchDir("b", 1), m_network->nicPortSocket("b", 1), "b",
                     &error),
            qPrintable(error));
    }

    void cleanupTestCase()
    {
        m_network.reset();
        m_io.quit();
        m_io.wait();
    }

    void framesCrossTheVlan()
    {
        const qint64 ms = transit(m_a, m_b, "hello");
        QVERIFY2(ms >= 0 && ms < 100, qPrintable(QString::number(ms)));
        QVERIFY(transit(m_b, m_a, "back") >= 0);
        QVERIFY(m_network->link("a", 1).filterRunning);
    }

    void delayActsOnWhatTheMachineSends()
    {
        m_network->setLink("a", 1, LinkUpdate { .delayMs = 150 });
        const qint64 out = transit(m_a, m_b, "slow");
        const qint64 in = transit(m_b, m_a, "fast");
        m_network->setLink("a", 1, LinkUpdate { .delayMs = 0 });
        QVERIFY2(out >= 145 && out < 600, qPrintable(QString::number(out)));
        QVERIFY2(in >= 0 && in < 100, qPrintable(QString::number(in)));
        QVERIFY(transit(m_a, m_b, "quick again") < 100);
    }

    void lossDropsAndBandwidthQueues()
    {
        m_network->setVlan(1, LinkUpdate { .loss = 1.0 });
        QCOMPARE(transit(m_a, m_b, "lost"), -1);
        QCOMPARE(transit(m_b, m_a, "lost"), -1);
        m_network->setVlan(1, LinkUpdate { .loss = 0.0 });
        QVERIFY(transit(m_a, m_b, "found") >= 0);
        // 80 kbit/s: 10 kB/s, so a 1000-byte frame behind another takes about 100 ms.
        m_network->setLink("a", 1, LinkUpdate { .bandwidthKbit = 80 });
        const QByteArray filler(1000, 'x');
        const QByteArray first = frame(1, 2, filler);
        ::send(m_a.dataSocket(), first.constData(), first.size(), 0);
        const qint64 queued = transit(m_a, m_b, filler + "second");
        m_network->setLink("a", 1, LinkUpdate { .bandwidthKbit = 0 });
        while (!receive(m_b, 200).isEmpty()) { }
        QVERIFY2(queued >= 60, qPrintable(QString::number(queued)));
    }

    void captureSeesTheVlansFrames()
    {
        const QString path = m_network->startCapture(1);
        QCOMPARE(m_network->startCapture(1), path); // already running: the same file
        QVERIFY(transit(m_a, m_b, "captured-1") >= 0);
        QVERIFY(transit(m_b, m_a, "captured-2") >= 0);
        QTest::qWait(100);
        m_network->stopCapture(1);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QCOMPARE(bytes.left(4), QByteArray::fromHex("d4c3b2a1"));
        QVERIFY(bytes.contains("captured-1"));
        QVERIFY(bytes.contains("captured-2"));
        // A second capture in the same run gets a file of its own.
        const QString second = m_network->startCapture(1);
        QVERIFY(second.endsWith("vlan1.2.pcap"));
        m_network->stopCapture(1);
    }

    void managementReportsBadCommands()
    {
        VdeManagement session;
        QString error;
        QVERIFY2(session.open(m_dir.path() + "/net/a.1.wf", 2000, &error), qPrintable(error));
        QString output;
        QVERIFY(session.command("showinfo", &output, &error));
        QVERIFY2(output.contains("WireFilter"), qPrintable(output));
        QVERIFY(!session.command("no-such-command", nullptr, &error));
        QVERIFY2(error.contains("1038"), qPrintable(error));
        QVERIFY(!session.open(m_dir.path() + "/net/none", 100, &error));
        QVERIFY2(error.contains("nothing answers on"), qPrintable(error));
    }

    void badValuesChangeNothing()
    {
        QVERIFY_THROWS_EXCEPTION(
            MachineError, m_network->setVlan(1, LinkUpdate { .delayMs = 1e9 }));
        QCOMPARE(m_network->link("a", 1).settings.delayMs, 0.0);
        QVERIFY_THROWS_EXCEPTION(MachineError, m_network->link("c", 1));
        QVERIFY_THROWS_EXCEPTION(MachineError, m_network->startCapture(9));
    }

    void stoppingEndsEveryProcess()
    {
        const QList<qint64> pids = m_network->processIds();
        QCOMPARE(pids.size(), 1 + 2 * 2);
        m_a.close();
        m_b.close();
        m_network.reset();
        for (qint64 pid : pids)
            QVERIFY(!QFile::exists(QString("/proc/%1").arg(pid)));
    }
};

QTEST_GUILESS_MAIN(TestVdeNetwork)
#include "tst_vdenetwork.moc"
