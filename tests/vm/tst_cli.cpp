// vivarium-test end to end, as a user runs it: the demo, a failing line, a Python error, a bad
// test file, the global timeout and the interactive prompt, with their exit codes and reports.
#include "buildpaths.h"
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <cstring>
#include <unistd.h>

class TestCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    using Run = ProgramRun;

    Run vivariumTest(const QStringList &arguments, const QByteArray &input = {}, int timeoutS = 300)
    {
        return runVivariumTest(arguments, {}, timeoutS, input);
    }

    QString writeTest(const QString &name, const QByteArray &toml, const QByteArray &script)
    {
        writeTestFile(m_dir.filePath(name + ".py"), script);
        writeTestFile(
            m_dir.filePath(name + ".toml"), "script = \"" + name.toUtf8() + ".py\"\n" + toml);
        return m_dir.filePath(name + ".toml");
    }

    static QByteArray readAll(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    // Reads process's output until it has said marker (at most 2 minutes); what it said.
    static QByteArray outputUntil(QProcess &process, const QByteArray &marker)
    {
        QByteArray seen;
        QElapsedTimer clock;
        clock.start();
        while (!seen.contains(marker) && clock.elapsed() < 120000) {
            process.waitForReadyRead(1000);
            seen += process.readAll();
        }
        return seen;
    }

    // Starts vivarium-test on a script that boots one machine and then waits in a command, with
    // run directories under runDir; returns once the machine is up.
    void startWaitingRun(QProcess &process, const QString &runDir, const QString &out)
    {
        const QString test = writeTest("waits", "[machines.m]\n",
            "m.start()\nm.wait_for_ready()\nprint('machine-is-up')\nm.succeed('sleep 600')\n");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VIVARIUM_RUN_DIR", runDir);
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(vivariumTestProgram(), { "-o", out, test });
        QVERIFY(process.waitForStarted());
        const QByteArray seen = outputUntil(process, "machine-is-up");
        QVERIFY2(seen.contains("machine-is-up"), seen.constData());
        QCOMPARE(QDir(runDir).entryList({ "vivarium-*" }, QDir::Dirs).size(), 1);
    }

    static int qemuProcessesUnder(const QString &runDir)
    {
        int count = 0;
        for (const QString &pid : QDir("/proc").entryList(QDir::Dirs)) {
            if (readAll("/proc/" + pid + "/cmdline").contains(runDir.toUtf8()))
                ++count;
        }
        return count;
    }

private slots:
    void signalsStopTheRunAndKeepTheReports_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGINT") << SIGINT;
        QTest::newRow("SIGTERM") << SIGTERM;
        QTest::newRow("SIGHUP") << SIGHUP;
    }

    void signalsStopTheRunAndKeepTheReports()
    {
        QFETCH(int, signal);
        QTemporaryDir runDir;
        const QString out = m_dir.filePath(QString("signal-%1").arg(signal));
        QProcess process;
        startWaitingRun(process, runDir.path(), out);
        QElapsedTimer clock;
        clock.start();
        ::kill(pid_t(process.processId()), signal);
        QVERIFY(process.waitForFinished(30000));
        // At once (the running command is cancelled, not waited for), with 128 + N.
        QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(process.exitCode(), 128 + signal);
        const QString name = QString("SIG") + sigabbrev_np(signal);
        const QByteArray output = process.readAll();
        QVERIFY2(
            output.contains("waits.py:4: interrupted by " + name.toUtf8()), output.constData());
        QVERIFY(!output.contains("Traceback"));
        const QByteArray html = readAll(out + "/log.html");
        QVERIFY(html.contains("interrupted by " + name.toUtf8()));
        QVERIFY(html.contains("#line-4"));
        QVERIFY(readAll(out + "/junit.xml").contains("<failure message=\"interrupted by "));
        QVERIFY(readAll(out + "/events.jsonl").contains("\"type\":\"finished\""));
        // Nothing left behind: no QEMU, no run directory with its disk.
        QCOMPARE(qemuProcessesUnder(runDir.path()), 0);
        QCOMPARE(QDir(runDir.path()).entryList({ "vivarium-*" }, QDir::Dirs), QStringList());
    }

    void afterSigkillTheNextRunCleansUp()
    {
        QTemporaryDir runDir;
        const QString out = m_dir.filePath("sigkill");
        QProcess process;
        startWaitingRun(process, runDir.path(), out);
        process.kill(); // SIGKILL: nothing of Vivarium's runs any more
        QVERIFY(process.waitForFinished(10000));
        // QEMU dies with its parent (PR_SET_PDEATHSIG); the run directory stays...
        QTRY_COMPARE_WITH_TIMEOUT(qemuProcessesUnder(runDir.path()), 0, 10000);
        QCOMPARE(QDir(runDir.path()).entryList({ "vivarium-*" }, QDir::Dirs).size(), 1);
        // ...until --clean (or the next run) removes it, its owner being gone.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VIVARIUM_RUN_DIR", runDir.path());
        QProcess clean;
        clean.setProcessEnvironment(env);
        clean.start(vivariumTestProgram(), { "--clean" });
        QVERIFY(clean.waitForFinished(30000));
        QCOMPARE(clean.exitCode(), 0);
        QVERIFY(clean.readAllStandardOutput().contains("1 stale run directories removed"));
        QCOMPARE(QDir(runDir.path()).entryList({ "vivarium-*" }, QDir::Dirs), QStringList());
        // The reports come back from events.jsonl, saying the run did not finish.
        QVERIFY(!QFile::exists(out + "/log.html"));
        const Run rebuilt = vivariumTest({ "--report-from", out });
        QVERIFY2(passed(rebuilt), "the run failed: its output is above");
        const QByteArray html = readAll(out + "/log.html");
        QVERIFY(html.contains("the run did not finish"));
        QVERIFY(html.contains("machine-is-up"));
        QVERIFY(readAll(out + "/junit.xml").contains("<failure"));
        QCOMPARE(vivariumTest({ "--report-from", m_dir.filePath("nothing-here") }).exitCode, 2);
    }

    // tests/suite plus a failing test, in 3 shards one after another: each test in one shard,
    // then merged into one report (junit.xml counts the failure, index.html links each
    // log.html); the merge's timings balance the next sharding; -j 2 runs the same at once.
    void aSuiteRunsShardedAndMerges()
    {
        const QString failing = writeTest("suite-fails",
            "name = \"suite-fails\"\n[machines.f]\nkind = \"container\"\n",
            "f.succeed('exit 3')\n");
        const QString suite = QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/suite");
        QStringList shardDirs;
        QStringList ran;
        for (int k = 1; k <= 3; ++k) {
            const QString out = m_dir.filePath(QString("shard-%1").arg(k));
            shardDirs << out;
            const Run shard = vivariumTest(
                { "--shard", QString("%1/3").arg(k), suite, failing, "--no-video", "-o", out }, {},
                600);
            QVERIFY2(shard.exitCode == 0 || shard.exitCode == 1, qPrintable(shard.output));
            QVERIFY2(shard.output.contains(QString("suite: shard %1/3 runs").arg(k)),
                qPrintable(shard.output));
            for (const QString &name : QDir(out).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
                ran << name;
        }
        ran.sort();
        QCOMPARE(ran,
            (QStringList {
                "suite-fails", "suite-files", "suite-ping", "suite-shell", "suite-vm" }));

        const QString merged = m_dir.filePath("merged");
        const Run merge
            = vivariumTest(QStringList { "--merge" } + shardDirs + QStringList { "-o", merged });
        QCOMPARE(merge.exitCode, 1); // one test failed
        QVERIFY2(merge.output.contains("4 of 5 tests passed"), qPrintable(merge.output));
        const QByteArray junit = readAll(merged + "/junit.xml");
        QVERIFY2(junit.contains("tests=\"5\" failures=\"1\" errors=\"0\""), junit.constData());
        QVERIFY(junit.contains("name=\"suite-fails\""));
        const QByteArray index = readAll(merged + "/index.html");
        QVERIFY(index.contains("<a href=\"suite-vm/log.html\">suite-vm</a>"));
        QVERIFY(QFile::exists(merged + "/suite-vm/log.html"));
        QVERIFY(index.contains("exit 3") || index.contains("status 3"));

        // The timings balance a second split: still each test once.
        QStringList again;
        for (int k = 1; k <= 2; ++k) {
            const QString out = m_dir.filePath(QString("timed-%1").arg(k));
            const Run shard = vivariumTest({ "--shard", QString("%1/2").arg(k), "--timings",
                                               merged + "/timings.json", suite, "-o", out },
                {}, 600);
            QVERIFY2(shard.exitCode == 0, qPrintable(shard.output));
            QVERIFY(shard.output.contains("balanced by"));
            again << QDir(out).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        }
        QCOMPARE(again.size(), 4);

        const Run parallel
            = vivariumTest({ "-j", "2", suite, "-o", m_dir.filePath("parallel") }, {}, 600);
        QVERIFY2(parallel.exitCode == 0, qPrintable(parallel.output));
        QVERIFY(parallel.output.contains("suite-shell | "));
        QVERIFY(parallel.output.contains("suite: 4 of 4 passed"));
    }

    // Bad suites stop before anything runs, saying why; a signal stops a running suite, its
    // test stops as a test stops, and the reports are written.
    void aSuiteRefusesBadInputAndStopsOnASignal()
    {
        const Run same = vivariumTest({ writeTest("twin-a", "name = \"twin\"\n[machines.a]\n", ""),
            writeTest("twin-b", "name = \"twin\"\n[machines.a]\n", ""), "-o",
            m_dir.filePath("twins") });
        QCOMPARE(same.exitCode, 2);
        QVERIFY2(same.output.contains("its name \"twin\" is the name of"), qPrintable(same.output));
        QVERIFY(!QDir(m_dir.filePath("twins")).exists());
        const Run shard = vivariumTest(
            { "--shard", "4/3", QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/suite") });
        QCOMPARE(shard.exitCode, 2);
        QVERIFY(shard.output.contains("--shard takes K/N"));
        const Run interactive
            = vivariumTest({ "-I", QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/suite") });
        QCOMPARE(interactive.exitCode, 2);
        QVERIFY(interactive.output.contains("--interactive is for one test, not a suite"));
        const Run notSuite = vivariumTest({ "--merge", m_dir.path(), "-o", m_dir.filePath("m") });
        QCOMPARE(notSuite.exitCode, 2);
        QVERIFY(notSuite.output.contains("is not a suite's output directory"));

        QTemporaryDir runDir;
        const QString waits = writeTest("stop-first", "name = \"stop-first\"\n[machines.m]\n",
            "m.start()\nm.wait_for_ready()\nprint('machine-is-up')\nm.succeed('sleep 600')\n");
        const QString later
            = writeTest("stop-second", "name = \"stop-second\"\n[machines.m]\n", "");
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VIVARIUM_RUN_DIR", runDir.path());
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        const QString out = m_dir.filePath("stopped-suite");
        process.start(vivariumTestProgram(), { waits, later, "-o", out });
        QByteArray seen = outputUntil(process, "machine-is-up");
        QVERIFY2(seen.contains("machine-is-up"), seen.constData());
        ::kill(pid_t(process.processId()), SIGTERM);
        QVERIFY(process.waitForFinished(60000));
        seen += process.readAll();
        QCOMPARE(process.exitCode(), 128 + SIGTERM);
        const QByteArray junit = readAll(out + "/junit.xml");
        QVERIFY2(junit.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            junit.constData());
        QVERIFY(readAll(out + "/stop-first/log.html").contains("interrupted by SIGTERM"));
        QVERIFY(readAll(out + "/index.html").contains("the suite was stopped before it started"));

        // The suite killed outright: its running test gets SIGTERM from the kernel and cleans
        // up as a stopped test does (no QEMU, no run directory, its reports written).
        QProcess killed;
        killed.setProcessEnvironment(env);
        killed.setProcessChannelMode(QProcess::MergedChannels);
        const QString killedOut = m_dir.filePath("killed-suite");
        killed.start(vivariumTestProgram(), { waits, later, "-o", killedOut });
        seen = outputUntil(killed, "machine-is-up");
        QVERIFY2(seen.contains("machine-is-up"), seen.constData());
        killed.kill();
        QVERIFY(killed.waitForFinished(10000));
        QTRY_VERIFY_WITH_TIMEOUT(
            readAll(killedOut + "/stop-first/log.html").contains("interrupted by SIGTERM"), 60000);
        QTRY_COMPARE_WITH_TIMEOUT(qemuProcessesUnder(runDir.path()), 0, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(
            QDir(runDir.path()).entryList({ "vivarium-*" }, QDir::Dirs), QStringList(), 30000);
        QCOMPARE(qemuProcessesUnder(runDir.path()), 0);
        QCOMPARE(QDir(runDir.path()).entryList({ "vivarium-*" }, QDir::Dirs), QStringList());
    }

    void demoPasses()
    {
        const QString out = testOutputDir("cli-demo");
        const Run run = vivariumTest({ "-o", out, "--junit-xml", m_dir.filePath("demo-junit.xml"),
            QString(VIVARIUM_SOURCE_DIR) + "/resources/demo/demo.toml" });
        QVERIFY2(passed(run), "the run failed: its output is above");
        QVERIFY(run.output.contains("demo passed in"));
        const QByteArray junit = readAll(m_dir.filePath("demo-junit.xml"));
        QCOMPARE(junit.count("<testcase "), 5);
        QVERIFY(junit.contains("failures=\"0\""));
        const QByteArray html = readAll(out + "/log.html");
        QVERIFY(html.contains("<span class=\"passed\">passed</span>"));
        QVERIFY(html.contains("data:image/png;base64,")); // the screenshot, inline
        QVERIFY(html.contains("client.screenshot("));
        int events = 0;
        for (const QByteArray &line : readAll(out + "/events.jsonl").split('\n')) {
            if (line.isEmpty())
                continue;
            const QJsonObject event = QJsonDocument::fromJson(line).object();
            QVERIFY2(event.contains("type") && event.contains("t"), line.constData());
            ++events;
        }
        QVERIFY(events > 50);
    }

    void anAddedMachineJoinsTheRunningNetwork()
    {
        // Added while alpha runs: numbered after alpha and gamma (declared), on VLAN 1 with
        // them and on VLAN 2, new to the test; a second added machine meets it there.
        const QString test = writeTest("added", "[machines.alpha]\n[machines.gamma]\n", R"py(
alpha.start()
beta = add_machine("beta", memory=200, vlans=[1, 2], files={"/etc/added-file": "made at run time\n"})
beta.start()
assert beta.succeed("cat /etc/added-file") == "made at run time\n"
assert beta.succeed("ip -4 -o addr show dev eth1").split()[3] == "192.168.1.3/24"
assert beta.succeed("ip -4 -o addr show dev eth2").split()[3] == "192.168.2.3/24"
alpha.succeed("ping -c 1 -W 10 192.168.1.3")
beta.succeed("ping -c 1 -W 10 alpha")
beta.block()
alpha.fail("ping -c 1 -W 2 192.168.1.3")
beta.unblock()
delta = add_machine("delta", memory=200, vlans=[2])
delta.start()
delta.succeed("ping -c 1 -W 10 192.168.2.3")
assert [m.name for m in vlan2.machines] == ["beta", "delta"]
)py");
        const QString out = testOutputDir("cli-added");
        const Run run = vivariumTest({ "-o", out, test }, {}, 600);
        QVERIFY2(passed(run), "the run failed: its output is above");
        QVERIFY2(run.output.contains("added machine beta (200 MiB, minimal, VLANs 1, 2)"),
            qPrintable(run.output));
        QVERIFY(
            readAll(out + "/log.html").contains("added machine delta (200 MiB, minimal, VLAN 2)"));
        QStringList added;
        for (const QByteArray &line : readAll(out + "/events.jsonl").split('\n')) {
            const QJsonObject event = QJsonDocument::fromJson(line).object();
            if (event.value("type") == "machine_added")
                added << event.value("machine").toString();
        }
        QCOMPARE(added, QStringList({ "beta", "delta" }));
        QVERIFY(readAll(out + "/beta.serial.log").size() > 0);
    }

    void failingLineIsNamedEverywhere()
    {
        const QString out = testOutputDir("cli-failing");
        const QString test = writeTest("failing", "[machines.idle]\n",
            "start_all()\nidle.succeed('true')\nidle.succeed('echo reason >&2; exit 5')\n"
            "idle.succeed('true')\n");
        const Run run = vivariumTest({ "-o", out, test });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(
            run.output.contains("failing.py:3: machine idle: command `echo reason >&2; exit 5` "
                                "failed (exit code 5)"),
            qPrintable(run.output));
        QVERIFY(run.output.contains("stderr: reason"));
        const QByteArray junit = readAll(out + "/junit.xml");
        QVERIFY(junit.contains("failures=\"1\""));
        QVERIFY2(junit.contains("failing.py:3)"), junit.constData());
        const QByteArray html = readAll(out + "/log.html");
        QVERIFY(html.contains("id=\"line-3\" data-line=\"3\" class=\"failing\""));
        QVERIFY(!html.contains("id=\"line-2\" data-line=\"2\" class=\"failing\""));
    }

    // --history keeps each run in its own directory and the newest --keep-runs of them;
    // --compare names the first step where two runs differ, from each call's recorded output.
    void historyKeepsRunsAndComparesThem()
    {
        const QString history = testOutputDir("cli-history");
        QDir(history).removeRecursively();
        const QString word = m_dir.filePath("word");
        const QString test = writeTest("history", "[machines.idle]\n",
            "start_all()\nidle.copy_from_host('" + word.toUtf8()
                + "', '/root/word')\nidle.succeed('cat /root/word')\n");
        for (const QByteArray text : { "one", "two", "three" }) {
            writeTestFile(word, text);
            const Run run = vivariumTest({ "--history", history, "--keep-runs", "2", test });
            QVERIFY2(run.exitCode == 0, qPrintable(run.output));
        }
        const QStringList runs
            = QDir(history).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        QCOMPARE(runs.size(), 2); // the oldest of three went
        const QString a = history + "/" + runs.at(0), b = history + "/" + runs.at(1);
        QVERIFY(readAll(a + "/log.html").contains("two"));
        QVERIFY(readAll(b + "/log.html").contains("three"));
        Run compared = vivariumTest({ "--compare", a, "--compare", b });
        QCOMPARE(compared.exitCode, 1);
        QVERIFY2(compared.output.contains(
                     ": history.py:3 idle.succeed(\"cat /root/word\"): other output"),
            qPrintable(compared.output));
        QVERIFY(compared.output.contains("other output"));
        QVERIFY(compared.output.contains("run A: ok two"));
        QVERIFY(compared.output.contains("run B: ok three"));
        compared = vivariumTest({ "--compare", a, "--compare", a });
        QCOMPARE(compared.exitCode, 0);
        QVERIFY(compared.output.contains("the same steps with the same results"));
        // What is refused.
        QCOMPARE(vivariumTest({ "--compare", a }).exitCode, 2);
        QCOMPARE(vivariumTest({ "--compare", a, "--compare", m_dir.path() }).exitCode, 2);
        const Run both = vivariumTest({ "--history", history, "-o", history, test });
        QCOMPARE(both.exitCode, 2);
        QVERIFY(both.output.contains("give --history or -o, not both"));
    }

    void pythonErrorShowsItsTraceback()
    {
        const QString test = writeTest("pyerror", "[machines.idle]\n",
            "def broken():\n    return {}['missing']\n\nbroken()\n");
        const Run run = vivariumTest({ "-o", testOutputDir("cli-pyerror"), test });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.output.contains("Traceback (most recent call last):"), qPrintable(run.output));
        QVERIFY(run.output.contains("pyerror.py:2: KeyError: 'missing'"));
        QVERIFY(run.output.contains("line 4, in <module>"));
    }

    void badTestFileSaysWhere()
    {
        writeTestFile(m_dir.filePath("bad.toml"), "[machines.a]\nmemory = \"lots\"\n");
        const Run run = vivariumTest({ m_dir.filePath("bad.toml") });
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(QRegularExpression("bad\\.toml:2:\\d+: 'memory' must be an integer")
                     .match(run.output)
                     .hasMatch(),
            qPrintable(run.output));
        const Run usage = vivariumTest({ "--accel", "fast", m_dir.filePath("bad.toml") });
        QCOMPARE(usage.exitCode, 2);
        const Run timeout
            = vivariumTest({ "--global-timeout", "soon", m_dir.filePath("bad.toml") });
        QCOMPARE(timeout.exitCode, 2);
    }

    void globalTimeoutEndsTheRun()
    {
        const QString test = writeTest(
            "slow", "[machines.idle]\n", "start_all()\nidle.wait_until_succeeds('false')\n");
        QElapsedTimer clock;
        clock.start();
        const Run run
            = vivariumTest({ "-o", testOutputDir("cli-slow"), "--global-timeout", "8", test });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.output.contains("TIMED OUT")
                && run.output.contains("the global timeout of 8 s was reached at "),
            qPrintable(run.output));
        QVERIFY(clock.elapsed() < 30000);
    }

    void aScriptBlockedInPythonStillEnds()
    {
        // time.sleep is stopped at once by the global timeout (it ran 600 s past a 30 s limit);
        // a subprocess cannot be, and the run ends without it 20 s later, with its reports.
        const QString sleeping
            = writeTest("sleeping", "[machines.idle]\n", "import time\ntime.sleep(600)\n");
        QElapsedTimer clock;
        clock.start();
        Run run = vivariumTest(
            { "-o", testOutputDir("cli-sleeping"), "--global-timeout", "2", sleeping });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.output.contains("the global timeout of 2 s was reached at "),
            qPrintable(run.output));
        QVERIFY2(clock.elapsed() < 20000, qPrintable(QString::number(clock.elapsed())));

        const QString out = testOutputDir("cli-stuck");
        const QString stuck = writeTest(
            "stuck", "[machines.idle]\n", "import subprocess\nsubprocess.run(['sleep', '600'])\n");
        clock.restart();
        run = vivariumTest({ "-o", out, "--global-timeout", "2", stuck }, {}, 120);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.output.contains("the global timeout of 2 s was reached; the script did not "
                                     "stop within 20 s of it"),
            qPrintable(run.output));
        QVERIFY(clock.elapsed() < 60000);
        QVERIFY(readAll(out + "/log.html").contains("did not stop within 20 s"));
        QVERIFY(readAll(out + "/junit.xml").contains("failures=\"1\""));
        // Its subprocess did not outlive it.
        QProcess pgrep;
        pgrep.start("pgrep", { "-f", "^sleep 600$" });
        QVERIFY(pgrep.waitForFinished());
        QCOMPARE(pgrep.readAll().trimmed(), QByteArray());
    }

    void aDeadFilterFailsTheRun()
    {
        // The script kills its machine's wirefilter and then asks nothing of the network: the
        // run still fails, and says why.
        const QString out = testOutputDir("cli-deadfilter");
        const QString test = writeTest("deadfilter", "[machines.idle]\n",
            "import os, signal, subprocess\n"
            "start_all()\nidle.wait_for_ready()\n"
            "pids = subprocess.run(['pgrep', '-P', str(os.getpid()), 'wirefilter'],\n"
            "                      capture_output=True, text=True).stdout.split()\n"
            "assert pids, 'no wirefilter child'\n"
            "os.kill(int(pids[0]), signal.SIGKILL)\n"
            "idle.sleep(2)\n");
        const Run run = vivariumTest({ "-o", out, test });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.output.contains("the test's network broke while it ran: wirefilter for idle "
                                     "on VLAN 1 was killed by signal 9"),
            qPrintable(run.output));
        QVERIFY(readAll(out + "/junit.xml").contains("failures=\"1\""));
    }

    void reportsThatCannotBeWrittenFailTheRun()
    {
        // -o a regular file: refused before anything starts, with the environment's code.
        writeTestFile(m_dir.filePath("not-a-dir"), "x");
        const QString test = writeTest("quick", "[machines.idle]\n", "print('ok')\n");
        Run run = vivariumTest({ "-o", m_dir.filePath("not-a-dir"), test });
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.output.contains("not-a-dir is not a directory"), qPrintable(run.output));
        // A directory of the user's keeps its mode (-o /tmp once made /tmp 0700).
        const QString mine = m_dir.filePath("mine");
        QDir().mkpath(mine);
        QFile::setPermissions(mine, QFile::permissions(mine) | QFile::ReadOther | QFile::ExeOther);
        const QFile::Permissions before = QFile::permissions(mine);
        run = vivariumTest({ "-o", mine, test });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(QFile::permissions(mine), before);
        if (::geteuid() != 0)
            QSKIP("a full file system is made with a tmpfs mount, as root");
        // A full output directory: the run passed, but it cannot say so, and exits 3.
        const QString full = m_dir.filePath("full");
        QDir().mkpath(full);
        QVERIFY(
            QProcess::execute("mount", { "-t", "tmpfs", "-o", "size=64k", "tmpfs", full }) == 0);
        const QString bulky = writeTest(
            "bulky", "[machines.idle]\n", "for i in range(2000):\n    print('x' * 100)\n");
        run = vivariumTest({ "-o", full, bulky });
        QProcess::execute("umount", { full });
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.output.contains("No space left on device")
                && run.output.contains("its reports in " + full + " are not whole"),
            qPrintable(run.output));
    }

    void interactivePromptTakesPipedCommands()
    {
        const QString test
            = writeTest("repl", "[machines.idle]\n", "raise SystemExit('not run')\n");
        const Run run = vivariumTest({ "-o", testOutputDir("cli-repl"), "--interactive", test },
            "print('machines:', len(machines))\n"
            "idle.start()\n"
            "print(idle.succeed('echo hi-from-$((40+2))').strip())\n");
        QVERIFY2(passed(run), "the run failed: its output is above");
        QVERIFY2(run.output.contains("machines: 1"), qPrintable(run.output));
        QVERIFY(run.output.contains("hi-from-42"));
        QVERIFY(!run.output.contains("not run"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
