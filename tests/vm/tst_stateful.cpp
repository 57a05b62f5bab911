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

    ProgramRun runTest(const QString &toml) { return runVivariumTest({ toml }, m_dir.path(), 400); }

    // Writes NAME.py and NAME.toml (the script, then tables); returns the test file.
    QString writeTest(const QString &name, const QByteArray &script, const QByteArray &tables = {})
    {
        writeTestFile(m_dir.filePath(name + ".py"), script);
        writeTestFile(
            m_dir.filePath(name + ".toml"), "script = \"" + name.toUtf8() + ".py\"\n" + tables);
        return m_dir.filePath(name + ".toml");
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
        const ProgramRun outcome = runTest(writeTest("prop",
            "from vivarium.stateful import Ping, networks, run, st\n"
            "class BootAndPing(Ping):\n"
            "    network = networks(min_machines=1, max_machines=2, memory=st.integers(96, 160))\n"
            "run(BootAndPing, examples=6, steps=4, derandomize=True)\n"));
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.output));
        QVERIFY(outcome.output.contains("subtest property BootAndPing passed"));
        QVERIFY(outcome.output.contains("example-6: "));
        QCOMPARE(qemuProcesses(), before); // every example's machines are gone
    }

    // The case the property shrank to, replayed as a plain test, fails at its step.
    void aMinimalCaseReplaysItsFailure()
    {
        const ProgramRun written = runTest(writeTest("write",
            "from vivarium.stateful import Ping, regression_test\n"
            "import os\n"
            "regression_test(Ping, {}, [('boot', {'node': 'n1'}),\n"
            "    ('ping', {'source': 'n1', 'destination': 'n1'})], os.getcwd() + '/w')\n"));
        QVERIFY2(written.exitCode == 0, qPrintable(written.output));
        // The written steps with the planted network.
        QFile script(m_dir.filePath("w/Ping.py"));
        QVERIFY(script.open(QIODevice::ReadOnly));
        const ProgramRun replay = runTest(writeTest("Quiet", script.readAll(),
            "[machines.n1]\nvlans = [1]\nmemory = 96\n"
            "commands = [\"echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all\"]\n"));
        QCOMPARE(replay.exitCode, 1);
        QVERIFY2(
            replay.output.contains("AssertionError: ping n1 -> n1"), qPrintable(replay.output));
        QVERIFY2(replay.output.contains("Quiet.py:12: "), qPrintable(replay.output));
    }
};

QTEST_GUILESS_MAIN(TestStateful)
#include "tst_stateful.moc"
