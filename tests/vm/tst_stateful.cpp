// vivarium.stateful on real guests, through vivarium-test: a Boot/Shutdown/Crash/Ping property
// over fresh networks passes and leaves nothing behind; pause/resume and the fault rules hold
// against the model. (tst_pbtdemo, label pbt: the planted-bug demo from start to minimal case.)
#include "core/util/rundirectory.h"
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

class TestStateful : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QStringList runDirectories()
    {
        return QDir(RunDirectory::base()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    }

    ProgramRun runTest(const QString &toml) { return runVivariumTest({ toml }, m_dir.path(), 400); }

    // Writes NAME.py and NAME.toml (the script, then tables); returns the test file.
    QString writeTest(const QString &name, const QByteArray &script, const QByteArray &tables = {})
    {
        writeTestFile(m_dir.filePath(name + ".py"), script);
        writeTestFile(
            m_dir.filePath(name + ".toml"), "script = \"" + name.toUtf8() + ".py\"\n" + tables);
        return m_dir.filePath(name + ".toml");
    }

    // The QEMUs of this test's runs: those whose sockets are under its own run directory base
    // (other tests or a soak on the host start and end theirs meanwhile).
    static int qemuProcesses()
    {
        const QByteArray base = RunDirectory::base().toUtf8();
        int count = 0;
        for (const QString &pid : QDir("/proc").entryList(QDir::Dirs)) {
            QFile cmdline("/proc/" + pid + "/cmdline");
            if (!cmdline.open(QIODevice::ReadOnly))
                continue;
            const QByteArray line = cmdline.readAll();
            if (line.startsWith("/usr/bin/qemu-system") && line.contains(base))
                ++count;
        }
        return count;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // A run directory base of this test's own: its listing and QEMU count see only the runs
        // this test makes.
        QVERIFY(QDir(m_dir.path()).mkpath("run"));
        qputenv("VIVARIUM_RUN_DIR", m_dir.filePath("run").toUtf8());
    }

    void aPropertyRunsOnFreshNetworks()
    {
        const int before = qemuProcesses();
        const QStringList directories = runDirectories();
        const ProgramRun outcome = runTest(writeTest("prop",
            "from vivarium.stateful import Ping, networks, run, st\n"
            "class BootAndPing(Ping):\n"
            "    network = networks(min_machines=1, max_machines=2, memory=st.integers(96, 160))\n"
            "run(BootAndPing, examples=30, steps=4, derandomize=True)\n"));
        QVERIFY2(passed(outcome), "the run failed: its output is above");
        QVERIFY(outcome.output.contains("subtest property BootAndPing passed"));
        QVERIFY(outcome.output.contains("example-30: "));
        QCOMPARE(qemuProcesses(), before); // every example's machines are gone
        QCOMPARE(runDirectories(), directories); // and their run directories
    }

    // A network with a minix disk, which this host's mkfs.minix cannot make as Vivarium asks
    // (and Vivarium's own kernel could not mount), is the environment's fault, not the
    // system's: the property stops at once with that cause, nothing shrunk, no minimal case
    // written (it used to be shrunk and written up as a bug).
    void anEnvironmentFaultIsNotAFalsifiedProperty()
    {
        const QString test = writeTest("Minix",
            "from vivarium.stateful import Lifecycle, networks, run, st\n"
            "class BootMinix(Lifecycle):\n"
            "    network = networks(min_machines=1, max_machines=2,\n"
            "        disks=st.just([{'size_mb': 8, 'fs': 'minix', 'mount': '/data'}]))\n"
            "run(BootMinix, examples=10, steps=3, derandomize=True)\n");
        const QString out = m_dir.filePath("minix");
        const ProgramRun outcome = runVivariumTest({ test, "-o", out }, m_dir.path(), 400);
        QVERIFY2(outcome.exitCode != 0, "the property cannot pass: no machine boots");
        QVERIFY2(outcome.output.contains(
                     "could not come up because of the host or the guest kernel, not the system "
                     "under test: "),
            qPrintable(scriptOutput(outcome).right(3000)));
        QVERIFY(outcome.output.contains("mkfs.minix")
            || outcome.output.contains("vivarium-init: FAILED: mount -a"));
        QVERIFY(outcome.output.contains("nothing is shrunk"));
        QCOMPARE(outcome.output.count("property BootMinix: example "), 1);
        QVERIFY(!QFile::exists(out + "/falsified/BootMinix.toml"));
    }

    // A property that fails without booting anything (n2 with >= 150 MiB is "wrong"), for the
    // settings, reports and replays below.
    QString plantedModel(const QByteArray &tables = {})
    {
        return writeTest("Planted",
            "from vivarium.stateful import NetworkStateMachine, networks, replays_as, rule, run, "
            "st\n"
            "class Planted(NetworkStateMachine):\n"
            "    network = networks(min_machines=1, max_machines=3, memory=st.integers(96, 256))\n"
            "    @rule(node=NetworkStateMachine.nodes)\n"
            "    @replays_as(\"assert '{node}' != 'n2'\")\n"
            "    def touch(self, node):\n"
            "        assert not (node == 'n2' and self.spec[node]['memory'] >= 150), 'planted'\n"
            "run(Planted, examples=3, steps=2)\n",
            tables);
    }

    // run()'s arguments, then the test file's [property], then the command line; bad values are
    // refused with where they are.
    void settingsComeFromTheFileAndTheCommandLine()
    {
        const QString test = plantedModel("[property]\nexamples = 200\nsteps = 5\n");
        const QString out = m_dir.filePath("settings");
        ProgramRun run = runVivariumTest({ test, "--seed", "42", "-o", out }, m_dir.path(), 300);
        QVERIFY2(run.output.contains("property Planted: 200 example(s), up to 5 step(s), seed 42"),
            qPrintable(run.output));
        QVERIFY(run.output.contains("again with vivarium-test --seed 42"));
        run = runVivariumTest(
            { test, "--examples", "7", "--steps", "3", "--derandomize", "-o", out }, m_dir.path(),
            300);
        QVERIFY2(
            run.output.contains("property Planted: 7 example(s), up to 3 step(s), derandomized"),
            qPrintable(run.output));
        run = runVivariumTest({ test, "--seed", "x" }, m_dir.path(), 60);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(
            run.output.contains("--seed must be a whole number from 0 to"), qPrintable(run.output));
        run = runVivariumTest({ test, "--derandomize", "--replay" }, m_dir.path(), 60);
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.output.contains("--derandomize takes neither --seed nor --replay"));
        run = runVivariumTest(
            { plantedModel("[property]\nexamples = 0\nshrink = true\n") }, m_dir.path(), 60);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.output.contains(
                     "Planted.toml:3:12: 'examples' must be between 1 and 1000000, not 0"),
            qPrintable(run.output));
        QVERIFY(run.output.contains("Planted.toml:4:1: unknown [property] key 'shrink'"));
    }

    // A falsified property in every report; the failing example kept, and --replay runs it
    // alone (failing again at once); a replay with nothing kept says so.
    void aFalsifiedPropertyIsReportedAndReplayed()
    {
        const QString test = plantedModel("[property]\nexamples = 200\nsteps = 4\nseed = 3\n");
        const QString out = m_dir.filePath("reported");
        ProgramRun run = runVivariumTest({ test, "-o", out }, m_dir.path(), 300);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.output.contains("property Planted falsified: minimal case 2 machine(s), 1 "
                                     "step(s): touch(node='n2')"),
            qPrintable(run.output.right(3000)));
        QFile html(out + "/log.html");
        QVERIFY(html.open(QIODevice::ReadOnly));
        const QByteArray page = html.readAll();
        QVERIFY(page.contains("<h2>Properties</h2>"));
        QVERIFY(page.contains("<h3>Planted: <span class=\"failed\">falsified</span></h3>"));
        QVERIFY(page.contains("<h4>Minimal failing case</h4>"));
        QVERIFY(page.contains("<code>touch(node='n2')</code>"));
        QVERIFY(page.contains("href=\"falsified/Planted.toml\""));
        QVERIFY(page.contains("Shrinking: "));
        QFile junit(out + "/junit.xml");
        QVERIFY(junit.open(QIODevice::ReadOnly));
        const QByteArray xml = junit.readAll();
        QVERIFY2(xml.contains("property Planted falsified: "), xml.constData());
        QVERIFY(xml.contains("seed 3"));
        QVERIFY(xml.contains("regression test: " + out.toUtf8() + "/falsified/Planted.toml"));
        QFile events(out + "/events.jsonl");
        QVERIFY(events.open(QIODevice::ReadOnly));
        const QByteArray jsonl = events.readAll();
        for (const char *type :
            { "property_started", "property_step", "property_example", "property_finished" })
            QVERIFY2(jsonl.contains(QByteArray("\"type\":\"") + type + "\""), type);
        QVERIFY(QDir(out + "/hypothesis").exists());

        run = runVivariumTest({ test, "--replay", "-o", out }, m_dir.path(), 300);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.output.contains("property Planted: 200 example(s), up to 4 step(s), replay"),
            qPrintable(run.output));
        static const QRegularExpression examples("property Planted falsified after (\\d+) example");
        const QRegularExpressionMatch match = examples.match(run.output);
        QVERIFY2(match.hasMatch(), qPrintable(run.output));
        QVERIFY2(match.captured(1).toInt() <= 3,
            "a replay runs the kept examples and the final one, no search");
        QVERIFY(QFile::exists(out + "/falsified/Planted.toml"));

        run = runVivariumTest(
            { test, "--replay", "-o", m_dir.filePath("nothing") }, m_dir.path(), 300);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.output.contains("nothing to replay: no failing example of property Planted is "
                                     "saved in"),
            qPrintable(run.output));
    }

    // Pause and resume (QMP stop/cont): a paused machine answers no ping and runs no command
    // (at once, saying so, not after a timeout); resumed, it does both again.
    void aPausedMachineNeitherRunsNorAnswers()
    {
        const ProgramRun outcome = runTest(writeTest("paused",
            "a.wait_for_ready(); b.wait_for_ready()\n"
            "a.pause()\n"
            "assert b.execute('ping -4 -c 1 -W 2 a', timeout=30)[0] != 0\n"
            "import time\n"
            "started = time.monotonic()\n"
            "try:\n"
            "    a.succeed('true')\n"
            "    raise AssertionError('a paused machine ran a command')\n"
            "except MachineError as error:\n"
            "    assert 'machine a is paused' in str(error), str(error)\n"
            "assert time.monotonic() - started < 5\n"
            "a.resume()\n"
            "b.succeed('ping -4 -c 1 -W 2 a')\n"
            "a.succeed('true')\n",
            "[machines.a]\nvlans = [1]\n[machines.b]\nvlans = [1]\n"));
        QVERIFY2(passed(outcome), "the run failed: its output is above");
    }

    // Every built-in rule (lifecycle, crashes, ping, partitions, link faults, pauses) in one
    // fixed sequence against real machines: each ping's outcome is what the model says (the
    // rule asserts it), and heal_faults() undoes them all. (A property's examples draw them at
    // random; this makes sure each is met.)
    void theBuiltInRulesMatchTheModel()
    {
        const ProgramRun outcome = runTest(writeTest("rules",
            "import _vivarium\n"
            "from vivarium.stateful import Crashes, LinkFaults, Partitions, Pauses, Ping\n"
            "class Faults(Ping, Crashes, Partitions, LinkFaults, Pauses):\n"
            "    pass\n"
            "m = Faults()\n"
            "m.spec = {'n1': {'vlans': [1]}, 'n2': {'vlans': [1]}}\n"
            "from vivarium.stateful import to_toml\n"
            "m.machines = {n: Machine(n) for n in _vivarium.network_create('rules', "
            "to_toml(m.spec))}\n"
            "F = Faults\n"
            "F.boot(m, node='n1'); F.boot(m, node='n2'); m.settle()\n"
            "F.ping(m, source='n1', destination='n2')\n"
            "F.partition(m, node='n2')\n"
            "F.ping(m, source='n1', destination='n2')\n" // no answer, as the model says
            "F.ping(m, source='n2', destination='n2')\n" // its own address needs no link
            "F.heal_partition(m, node='n2')\n"
            "F.ping(m, source='n1', destination='n2')\n"
            "F.pause(m, node='n2')\n"
            "F.ping(m, source='n1', destination='n2')\n"
            "F.shutdown(m, node='n2')\n" // a paused machine: nothing happens
            "F.resume(m, node='n2')\n"
            "F.impair_link(m, node='n2', delay_ms=300, dup=0.5)\n"
            "F.ping(m, source='n1', destination='n2')\n"
            "F.partition(m, node='n1'); F.pause(m, node='n2')\n"
            "F.crash(m, node='n1')\n"
            "assert 'n1' not in m.blocked and 'n1' not in m.running\n"
            "F.boot(m, node='n1'); m.settle()\n"
            "F.ping(m, source='n1', destination='n1')\n" // a new QEMU: its links are up
            "F.reboot(m, node='n1')\n"
            "m.heal_faults()\n"
            "assert not (m.paused or m.blocked or m.impaired)\n"
            "F.ping(m, source='n1', destination='n2')\n"
            "assert m.machines['n2'].link(1)['delay_ms'] == 0\n"
            "F.shutdown(m, node='n2')\n"
            "F.ping(m, source='n1', destination='n2')\n"
            "print('rules done')\n"));
        QVERIFY2(passed(outcome), "the run failed: its output is above");
        QVERIFY(outcome.output.contains("rules done"));
    }
};

QTEST_GUILESS_MAIN(TestStateful)
#include "tst_stateful.moc"
