// vivarium.stateful on real guests, through vivarium-test: a Boot/Shutdown/Crash/Ping property
// over fresh networks passes and leaves nothing behind; a minimal failing case written as a
// plain test replays the failure at its step.
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

class TestStateful : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    struct Outcome {
        int status = -1;
        QString output;
    };

    Outcome runTest(const QString &toml)
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.setWorkingDirectory(m_dir.path());
        process.start(
            QCoreApplication::applicationDirPath() + "/../../app/vivarium-test", { toml });
        if (!process.waitForFinished(400000))
            process.kill();
        return { process.exitCode(), QString::fromUtf8(process.readAll()) };
    }

    static int qemuProcesses()
    {
        int count = 0;
        for (const QString &pid : QDir("/proc").entryList(QDir::Dirs)) {
            QFile cmdline("/proc/" + pid + "/cmdline");
            // Every QEMU on the host: the count before and after the property must match.
            if (cmdline.open(QIODevice::ReadOnly)
                && cmdline.readAll().startsWith("/usr/bin/qemu-system"))
                ++count;
        }
        return count;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void aPropertyRunsOnFreshNetworks()
    {
        const int before = qemuProcesses();
        writeTestFile(m_dir.filePath("prop.py"),
            "from vivarium.stateful import Ping, networks, run, st\n"
            "class BootAndPing(Ping):\n"
            "    network = networks(min_machines=1, max_machines=2, memory=st.integers(96, 160))\n"
            "run(BootAndPing, examples=6, steps=4, derandomize=True)\n");
        writeTestFile(m_dir.filePath("prop.toml"), "script = \"prop.py\"\n");
        const Outcome outcome = runTest(m_dir.filePath("prop.toml"));
        QVERIFY2(outcome.status == 0, qPrintable(outcome.output));
        QVERIFY(outcome.output.contains("subtest property BootAndPing passed"));
        QVERIFY(outcome.output.contains("example-6: "));
        QCOMPARE(qemuProcesses(), before); // every example's machines are gone
    }

    // The case the property shrank to, replayed as a plain test, fails at its step.
    void aMinimalCaseReplaysItsFailure()
    {
        writeTestFile(m_dir.filePath("Quiet.toml"),
            "name = \"Quiet-falsified\"\nscript = \"Quiet.py\"\n[machines.n1]\nvlans = [1]\n"
            "memory = 96\ncommands = [\"echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all\"]\n");
        writeTestFile(m_dir.filePath("write.py"),
            "from vivarium.stateful import Ping, regression_test\n"
            "import os\n"
            "regression_test(Ping, {}, [('boot', {'node': 'n1'}),\n"
            "    ('ping', {'source': 'n1', 'destination': 'n1'})], os.getcwd() + '/w')\n");
        writeTestFile(m_dir.filePath("write.toml"), "script = \"write.py\"\n");
        const Outcome written = runTest(m_dir.filePath("write.toml"));
        QVERIFY2(written.status == 0, qPrintable(written.output));
        // The written steps with the planted network.
        QFile::copy(m_dir.filePath("w/Ping.py"), m_dir.filePath("Quiet.py"));
        const Outcome replay = runTest(m_dir.filePath("Quiet.toml"));
        QCOMPARE(replay.status, 1);
        QVERIFY2(
            replay.output.contains("AssertionError: ping n1 -> n1"), qPrintable(replay.output));
        QVERIFY2(replay.output.contains("Quiet.py:12: "), qPrintable(replay.output));
    }
};

QTEST_GUILESS_MAIN(TestStateful)
#include "tst_stateful.moc"
