// The script engine without guests: results, failing lines, Python errors, breakpoints,
// stepping, pausing, stopping and the global timeout. (tests/vm/tst_script drives real guests.)
#include "core/machine/testrun.h"
#include "core/report/eventrecorder.h"
#include "core/report/reports.h"
#include "core/script/machineapi.h"
#include "core/script/runtimenetworks.h"
#include "core/script/scriptengine.h"
#include "core/script/scriptstubs.h"
#include "core/spec/specloader.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <mutex>

using namespace vivarium;

namespace {

struct Pause {
    int line;
    QString reason;
};

} // namespace

class TestScriptEngine : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<TestRun> m_run;
    std::unique_ptr<ScriptEngine> m_engine;
    std::mutex m_mutex;
    QList<Pause> m_pauses;

    ScriptResult run(const QString &source)
    {
        m_engine->startSource(source, m_dir.filePath("script.py"));
        return m_engine->wait();
    }

    // run(), with every event the run posted meanwhile in *events.
    ScriptResult runCollecting(QList<Event> *events, const QString &source)
    {
        std::mutex mutex;
        const auto connection = connect(
            m_run->events(), &EventLog::happened, this,
            [&](const Event &e) {
                std::lock_guard lock(mutex);
                events->append(e);
            },
            Qt::DirectConnection);
        const ScriptResult result = run(source);
        disconnect(connection);
        return result;
    }

    // A run of its own (output in m_dir/outName), for a test whose machines must not reach
    // the shared run.
    std::unique_ptr<TestRun> runOf(const TestSpec &spec, const QString &outName)
    {
        TestRun::Options options;
        options.outDir = m_dir.filePath(outName);
        QString error;
        std::unique_ptr<TestRun> run = TestRun::create(spec, options, &error);
        if (!run)
            qFatal("cannot make a run: %s", qPrintable(error));
        return run;
    }

    // What `--check` finds in script (as m_dir/NAME.py of a test whose machines are
    // machinesToml): its errors as "LINE: message".
    QStringList typeErrors(
        const QString &name, const QByteArray &script, const QByteArray &machinesToml)
    {
        QFile file(m_dir.filePath(name + ".py"));
        if (!file.open(QIODevice::WriteOnly) || file.write(script) != script.size())
            qFatal("cannot write %s", qPrintable(file.fileName()));
        file.close();
        SpecLoader loader;
        auto spec = loader.loadString("script = \"" + name.toUtf8() + ".py\"\n" + machinesToml,
            m_dir.filePath(name + ".toml"));
        if (!spec)
            qFatal("%s", qPrintable(loader.errors().join('\n')));
        QString error;
        const QList<ScriptFinding> findings = checkScript(*spec, &error);
        if (!error.isEmpty())
            qFatal("%s", qPrintable(error));
        QStringList seen;
        for (const ScriptFinding &f : findings)
            if (f.severity == "error")
                seen << QString("%1: %2").arg(f.line).arg(f.message);
        return seen;
    }

    // Waits until the engine paused n times in all.
    bool waitForPauses(qsizetype n)
    {
        for (int i = 0; i < 500; ++i) {
            {
                std::lock_guard lock(m_mutex);
                if (m_pauses.size() >= n)
                    return true;
            }
            QTest::qWait(10);
        }
        return false;
    }

    QList<int> pausedLines()
    {
        std::lock_guard lock(m_mutex);
        QList<int> lines;
        for (const Pause &p : std::as_const(m_pauses))
            lines << p.line;
        return lines;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        SpecLoader loader;
        auto spec = loader.loadString("[machines.idle]\n", m_dir.filePath("t.toml"));
        QVERIFY(spec);
        m_run = runOf(*spec, "out");
        m_engine = std::make_unique<ScriptEngine>(m_run.get());
        connect(
            m_engine.get(), &ScriptEngine::paused, this,
            [this](const QString &, int line, const QString &reason) {
                std::lock_guard lock(m_mutex);
                m_pauses.append({ line, reason });
            },
            Qt::DirectConnection);
    }

    void init()
    {
        std::lock_guard lock(m_mutex);
        m_pauses.clear();
        m_engine->setBreakpoints({});
        m_engine->setGlobalTimeout(0);
    }

    // vivarium.forks' decisions, with a fake network whose "machine" is one number (the Forks
    // class alone: the real networks are tst_forks'): calls an earlier example made are
    // answered until it parts, then the network goes back to the last snapshot passed; the
    // last steps and every failure run live; another network parks this one; a live answer
    // that differs drops what was recorded below it; before any snapshot the network is made
    // afresh.
    void forksAnswerSharedCallsAndRestoreWhereExamplesPart()
    {
        const ScriptResult result = run(R"(import vivarium.forks as forks
class Fake:
    MachineError, Timeout = MachineError, Timeout
    def __init__(self):
        self.log, self.value, self.saved = [], 0, {}
    def network_create(self, label, toml):
        self.log.append("create " + label); self.value = 0; return ["n1"]
    def network_destroy(self, label): self.log.append("destroy " + label)
    def network_park(self, label): self.log.append("park " + label)
    def network_unpark(self, label): self.log.append("unpark " + label)
    def network_snapshot(self, label, name):
        self.saved[name] = self.value; return True
    def network_rewind(self, label, name):
        self.log.append("rewind " + name); self.value = self.saved[name]
    def network_delete_snapshot(self, label, name):
        self.log.append("delete " + name); del self.saved[name]
fake = forks._vivarium = Fake()
live = []
bump = []
def add(n):
    if n < 0:
        raise MachineError("negative")
    live.append(n); fake.value += n + (bump.pop() if bump and n == 2 else 0); return fake.value
fake.add = add  # a re-run call is the driver's function of that name
f = forks.Forks("P")
image = {"n1": {"root": "image"}}
def example(toml, *steps, ended=True):
    f.network("ex", image, toml, fake.network_create)
    got = []
    for n in steps:
        f.checkpoint()
        try:
            got.append(f.call("add", add, (n,)))
        except MachineError:
            got.append("error")
    if ended:
        f.example_ended()
    return got
assert example("T", 1, 2, 4) == [1, 3, 7] and live == [1, 2, 4]
# The same first two calls: answered; the third is the last of the recorded run: live, from
# the snapshot taken before it.
live.clear(); fake.log.clear()
assert example("T", 1, 2, 4) == [1, 3, 7], f.summary()
assert live == [4] and fake.log == ["rewind fork-2"], (live, fake.log)
# Parting after the first call: back to the snapshot taken after it.
live.clear(); fake.log.clear()
assert example("T", 1, 5) == [1, 6] and live == [5] and fake.log == ["rewind fork-1"], fake.log
# Another network parks this one; drawing it again unparks it and forks from it.
assert example("U", 3) == [3]
live.clear(); fake.log.clear()
assert example("T", 1, 2, 8) == [1, 3, 11] and live == [8], live
assert fake.log[:3] == ["park ex", "unpark ex", "rewind fork-2"], fake.log
# A failure is never answered from the record: the failing call runs again.
example("T", 1, -1); live.clear(); fake.log.clear()
assert example("T", 1, -1) == [1, "error"] and fake.log == ["rewind fork-1"], fake.log
# Parting at the first call, before any snapshot: the network is made afresh.
fake.log.clear()
assert example("T", 9) == [9] and fake.log == ["destroy ex", "create ex-again1"], fake.log
# A call answered since the last snapshot runs again live when the example parts; an answer
# unlike the recorded one drops the snapshots recorded below it.
f.network("ex", image, "V", fake.network_create)
f.call("add", add, (1,)); f.checkpoint(); f.call("add", add, (2,)); f.call("add", add, (3,))
f.checkpoint(); f.call("add", add, (4,)); f.example_ended()
bump.append(100)  # what the machine gives now is not what it gave
live.clear(); fake.log.clear()
f.network("ex", image, "V", fake.network_create)
assert f.call("add", add, (1,)) == 1 and f.call("add", add, (2,)) == 3 and live == []
assert f.call("add", add, (7,)) == 110 and live == [2, 7], live
assert fake.log[-2].startswith("rewind") and fake.log[-1].startswith("delete"), fake.log
f.close()
print("FORKS OK")
)");
        QVERIFY2(result.outcome == ScriptResult::Outcome::Passed,
            qPrintable(QString::number(result.line) + ": " + result.message));
    }

    void passingScriptHasTheDriverGlobals()
    {
        const ScriptResult result = run("assert [m.name for m in machines] == ['idle']\n"
                                        "assert idle.name == 'idle' and vlan1.nr == 1\n"
                                        "assert [v.nr for v in vlans] == [1]\n"
                                        "t.assertEqual(1 + 1, 2)\n"
                                        "with subtest('nothing'):\n"
                                        "    log.info('inside')\n"
                                        "import hypothesis\n");
        QCOMPARE(ScriptResult::outcomeName(result.outcome), QString("passed"));
        QVERIFY2(result.message.isEmpty(), qPrintable(result.message));
    }

    void everyApiRowIsAMachineMethod()
    {
        // The table is the API: each row is a method with the row's argument names and
        // defaults (NixOS's: timeout=900, addr="localhost"), whether driver.py writes it or not.
        // driver.py's own methods may take more (execute's check_return), never less; a
        // *commands stands for the row's command (succeed, fail).
        QString checks = "import inspect\n"
                         "def takes(method, names):\n"
                         "    ps = inspect.signature(method).parameters.values()\n"
                         "    if any(p.kind == p.VAR_POSITIONAL for p in ps):\n"
                         "        return True\n"
                         "    return set(names) <= {p.name for p in ps}\n";
        for (const ApiMethod &method : machineApi()) {
            QStringList names;
            for (const ApiArgument &a : method.arguments)
                names << QString("'%1'").arg(a.name);
            checks += QString("assert takes(Machine.%1, [%2]), inspect.signature(Machine.%1)\n")
                          .arg(method.name, names.join(", "));
        }
        checks += "s = inspect.signature(idle.wait_for_open_port)\n"
                  "assert str(s) == \"(port, addr='localhost', timeout=900.0)\", str(s)\n"
                  "assert Machine.copy_from_vm is Machine.copy_from_machine\n";
        const ScriptResult result = run(checks);
        QVERIFY2(result.passed(), qPrintable(result.message + result.traceback));
    }

    void apiArgumentsAreChecked()
    {
        // Bad arguments fail in Python, at the caller's line, before anything reaches a machine.
        ScriptResult result = run("x = 1\nidle.wait_for_open_port('eighty')\n");
        QCOMPARE(result.line, 2);
        QVERIFY2(result.message.contains("TypeError: wait_for_open_port(): 'port' must be an "
                                         "integer (or a string of one), not 'eighty'"),
            qPrintable(result.message));
        result = run("idle.wait_for_open_port(80, timeout=[1])\n");
        QVERIFY2(
            result.message.contains("'timeout' must be a number (or a string of one), not list"),
            qPrintable(result.message));
        result = run("idle.mouse_move(1.5, 2)\n");
        QVERIFY2(result.message.contains("'x' must be an integer (or a string of one), not float"),
            qPrintable(result.message));
        result = run("idle.wait_for_file()\n");
        QVERIFY2(result.message.contains("missing a required argument: 'filename'"),
            qPrintable(result.message));
        result = run("idle.is_up(3)\n");
        QVERIFY2(
            result.message.contains("too many positional arguments"), qPrintable(result.message));
        result = run("idle.set_link(1, latency=3)\n");
        QVERIFY2(result.message.contains("unknown link setting 'latency' (known: delay_ms"),
            qPrintable(result.message));
        result = run("idle.set_link(1, loss=float('nan'))\n");
        QVERIFY2(result.message.contains("'loss' must be between 0 and 1, not nan"),
            qPrintable(result.message));
        // A machine that is off is not up; keywords and None-for-default work as in NixOS.
        result = run("assert idle.is_up() is False\n"
                     "try:\n"
                     "    idle.wait_for_shutdown(timeout=None)\n"
                     "except MachineError:\n"
                     "    pass\n");
        QVERIFY2(result.passed(), qPrintable(result.message));
    }

    void argumentsAsNixosTakesThem()
    {
        // NixOS formats ports, coordinates and timeouts into commands, so a string of a number
        // works there: here it reaches the machine (which is off and never started: it refuses
        // or returns, but no TypeError), one call per type rule.
        const ScriptResult result = run(
            "def reaches(call):\n"
            "    try:\n"
            "        call()\n"
            "    except TypeError:\n"
            "        return False\n"
            "    except Exception:\n" // the machine's own refusal: it is off, or not systemd
            "        return True\n"
            "    return True\n"
            // None of these starts the machine (a command would boot it): each is refused by
            // the machine that is off, after its arguments were taken.
            "assert reaches(lambda: idle.mouse_move('10', '20'))\n" // Int from str
            "assert reaches(lambda: idle.mouse_move(10.0, 20.0))\n" // Int from integral float
            "assert reaches(lambda: idle.forward_port(' 8080 ', '80'))\n"
            "assert reaches(lambda: idle.wait_for_shutdown(timeout='0.1'))\n" // Float from str
            "assert reaches(lambda: idle.wait_for_shutdown(timeout=0))\n" // Float from int
            "assert reaches(lambda: idle.send_chars(42))\n" // String from anything
            "assert not reaches(lambda: idle.mouse_move('ten', 20))\n"
            "assert not idle.is_up()\n"
            "try:\n"
            "    idle.wait_for_open_port('8200', timeout='soon')\n"
            "except TypeError as e:\n"
            "    assert \"'timeout' must be a number (or a string of one), not 'soon'\" in str(e), "
            "e\n"
            "else:\n"
            "    raise AssertionError('a timeout of soon was taken')\n");
        QVERIFY2(result.passed(), qPrintable(result.message + result.traceback));
    }

    void scriptsHaveNixosGlobals()
    {
        // NixOS's test_symbols, and the modules its older driver let scripts use unimported.
        const ScriptResult result
            = run("assert re.match('a+', 'aa') and os.path.join('a', 'b') == 'a/b'\n"
                  "for name in ['os', 're', 'sys', 'time', 'shlex', 'shutil', 'subprocess',\n"
                  "             'tempfile', 'json', 'base64', 'pathlib']:\n"
                  "    assert globals()[name].__name__ == name, name\n"
                  "for name in ['start_all', 'test_script', 'machines', 'vlans', 'driver', 'log',\n"
                  "             'create_machine', 'subtest', 'run_tests', 'join_all', 'retry',\n"
                  "             'serial_stdout_off', 'serial_stdout_on', 'polling_condition',\n"
                  "             'Machine', 't', 'debug', 'dump_machine_ssh']:\n"
                  "    assert name in globals(), name\n"
                  "assert machine is idle and driver.machines == [idle]\n"
                  "try:\n"
                  "    test_script()\n"
                  "except RuntimeError as e:\n"
                  "    assert 'this test has no script' in str(e), e\n");
        QVERIFY2(result.passed(), qPrintable(result.message + result.traceback));
    }

    void osExitFailsTheRunInsteadOfEndingIt()
    {
        // os._exit would end the process with no reports; in a forked child it still exits.
        const ScriptResult result = run("import os\n"
                                        "pid = os.fork()\n"
                                        "if pid == 0:\n"
                                        "    os._exit(7)\n"
                                        "assert os.waitpid(pid, 0)[1] >> 8 == 7\n"
                                        "os._exit(0)\n");
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QCOMPARE(result.line, 6);
        QVERIFY2(result.message.contains("os._exit(0) would end Vivarium without its reports"),
            qPrintable(result.message));
    }

    void globalTimeoutEndsTimeSleep()
    {
        // A script blocked in time.sleep, not in a driver call: the timeout still holds.
        m_engine->setGlobalTimeout(0.5);
        QElapsedTimer clock;
        clock.start();
        const ScriptResult result = run("import time\ntime.sleep(600)\n");
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(result.outcome, ScriptResult::Outcome::TimedOut);
        QCOMPARE(result.line, 2);
        m_engine->setGlobalTimeout(0);
        QVERIFY(run("import time\ntime.sleep(0.01)\n").passed());
        QVERIFY(
            run("import time\ntry:\n    time.sleep(-1)\nexcept ValueError:\n    pass\n").passed());
    }

    void theScriptsThreadsEndBeforeTheRun()
    {
        // Threads of the script that call machines must not outlive the run (two threads
        // starting machines during the teardown crashed the driver): the script's end waits
        // for its threads, and stops its daemon threads.
        const QString flag = m_dir.filePath("thread-done");
        QFile::remove(flag);
        QElapsedTimer clock;
        clock.start();
        const ScriptResult result
            = run(QString("import threading, time\n"
                          "def worker():\n"
                          "    time.sleep(0.5)\n"
                          "    open(%1, 'w').write('done')\n"
                          "def spinner():\n"
                          "    while True:\n"
                          "        idle.sleep(0.2)\n"
                          "threading.Thread(target=worker).start()\n"
                          "threading.Thread(target=spinner, daemon=True).start()\n")
                      .arg("'" + flag + "'"));
        QVERIFY2(result.passed(), qPrintable(result.message));
        QVERIFY(QFile::exists(flag));
        QVERIFY2(clock.elapsed() < 15000, qPrintable(QString::number(clock.elapsed())));
        // The next script runs as usual, and its end stops nothing (the threads that ran the
        // earlier scripts, which Python lists as dummy threads, are not the script's): a
        // machine call after it is not cancelled.
        QVERIFY(run("idle.sleep(0.01)\n").passed());
        QVERIFY(!m_engine->stopRequested());
    }

    void stubsCoverTheDriver()
    {
        // Every public method of the script's Machine is in the stub (the table's rows are
        // generated; driver.py's own are listed beside them and must not drift).
        QFile stub(m_dir.filePath("vivarium_driver.pyi"));
        QVERIFY(stub.open(QIODevice::WriteOnly));
        stub.write(driverStub().toUtf8());
        stub.close();
        const ScriptResult result
            = run(QString("stub = open(%1).read()\n"
                          "missing = [n for n in dir(Machine) if not n.startswith('_')\n"
                          "           and f'def {n}(' not in stub]\n"
                          "assert not missing, missing\n"
                          "for name in ['start_all', 'subtest', 'retry', 'polling_condition',\n"
                          "             'add_machine', 'test_script']:\n"
                          "    assert f'def {name}(' in stub, name\n")
                      .arg("'" + stub.fileName() + "'"));
        QVERIFY2(result.passed(), qPrintable(result.message));
        QVERIFY(driverStub().contains(
            "def wait_for_open_port(self, port: int | str, addr: object = ..., timeout: float | "
            "str | None = ...) -> None: ..."));
    }

    void checkFindsTypeErrorsAtTheScriptsLines()
    {
        if (QStandardPaths::findExecutable("mypy").isEmpty())
            QSKIP("mypy is not installed (scripts/setup installs it)");
        const QStringList seen = typeErrors("typed",
            "import re\n"
            "web.wait_for_open_port('80', timeout='30')\n"
            "status, out = web.execute('true')\n"
            "web.wait_for_unit('x', 'root', 5, 6)\n"
            "vlan1.set_link(loss=0.5)\n"
            "n: int = web.succeed('echo 1')\n"
            "from vivarium.stateful import networks, run\n"
            "networks(1, 4)\n"
            "run()\n"
            "run(object, examples='many')\n",
            "[machines.web]\n");
        // The property-based modules are checked by their own signatures and types:
        // networks(1, 4) is right, run() lacks its machine, examples is an int.
        QCOMPARE(seen.size(), 4);
        QVERIFY2(seen.at(0).startsWith("4: Too many arguments"), qPrintable(seen.join('\n')));
        QVERIFY2(seen.at(1).startsWith("6: Incompatible types in assignment"),
            qPrintable(seen.join('\n')));
        QVERIFY2(seen.at(2).startsWith("9: Missing positional argument \"machine\""),
            qPrintable(seen.join('\n')));
        QVERIFY2(
            seen.at(3).startsWith("10: Argument \"examples\" to \"run\" has incompatible type"),
            qPrintable(seen.join('\n')));
    }

    // A container machine is typed as one: what only a VM has is a finding at its line, before
    // the run, and the same call on a VM is none.
    void checkFindsWhatAContainerHasNot()
    {
        if (QStandardPaths::findExecutable("mypy").isEmpty())
            QSKIP("mypy is not installed (scripts/setup installs it)");
        const QStringList seen = typeErrors("kinds",
            "box.succeed('true')\n"
            "box.forward_port(8080, 80)\n"
            "box.screenshot('x')\n"
            "vm.screenshot('y')\n"
            "box.send_key('ret')\n",
            "[machines.box]\nkind = \"container\"\n[machines.vm]\n");
        QCOMPARE(seen,
            QStringList({ "3: \"Container\" has no attribute \"screenshot\"  [attr-defined]",
                "5: \"Container\" has no attribute \"send_key\"  [attr-defined]" }));
    }

    void pythonErrorNamesItsLineAndTraceback()
    {
        const ScriptResult result = run("x = 1\n"
                                        "def f():\n"
                                        "    return 1 / 0\n"
                                        "f()\n");
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QCOMPARE(result.message, QString("ZeroDivisionError: division by zero"));
        QCOMPARE(result.line, 3);
        QVERIFY(result.file.endsWith("script.py"));
        QVERIFY2(result.traceback.contains("line 4, in <module>"), qPrintable(result.traceback));
    }

    // An error inside a driver method: one traceback, the script's frames only.
    void tracebacksLeaveTheDriverOut()
    {
        const ScriptResult result = run("x = 1\nidle.sleep('soon')\n");
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QCOMPARE(result.line, 2);
        QVERIFY2(result.traceback.contains("line 2, in <module>"), qPrintable(result.traceback));
        QVERIFY2(!result.traceback.contains("driver.py"), qPrintable(result.traceback));
        QCOMPARE(result.traceback.count("ValueError"), 1);
    }

    void assertionFailureIsATestFailure()
    {
        const ScriptResult result = run("t.assertEqual(idle.name, 'other')\n");
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QVERIFY2(result.message.startsWith("AssertionError: 'idle' != 'other'"),
            qPrintable(result.message));
        QCOMPARE(result.line, 1);
    }

    void unsupportedCallsSaySo()
    {
        const ScriptResult result = run("create_machine({})\n");
        QVERIFY2(result.message.contains("declare the machine in the test file"),
            qPrintable(result.message));
    }

    void badLinkValuesRaise()
    {
        const ScriptResult result = run("vlan1.set_link(loss=2)\n");
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QVERIFY2(result.message.contains("'loss' must be between 0 and 1, not 2"),
            qPrintable(result.message));
        const ScriptResult unknown = run("vlan1.set_link(latency=2)\n");
        QVERIFY2(unknown.message.contains("unknown link setting 'latency'"),
            qPrintable(unknown.message));
    }

    void breakpointsPauseAtTheirLines()
    {
        m_engine->setBreakpoints({ 2, 4 });
        m_engine->startSource("a = 1\nb = 2\nc = 3\nd = 4\n", m_dir.filePath("script.py"));
        QVERIFY(waitForPauses(1));
        QVERIFY(m_engine->isPaused());
        QCOMPARE(pausedLines(), QList<int>({ 2 }));
        m_engine->resume();
        QVERIFY(waitForPauses(2));
        QCOMPARE(pausedLines(), QList<int>({ 2, 4 }));
        m_engine->resume();
        QCOMPARE(m_engine->wait().outcome, ScriptResult::Outcome::Passed);
    }

    void aBreakpointOnTheFirstLineHoldsInEveryRun()
    {
        QCOMPARE(run("a = 1\n").outcome, ScriptResult::Outcome::Passed); // ends on line 1
        m_engine->setBreakpoints({ 1 });
        m_engine->startSource("a = 1\nb = 2\n", m_dir.filePath("script.py"));
        QVERIFY(waitForPauses(1));
        QCOMPARE(pausedLines(), QList<int>({ 1 }));
        m_engine->resume();
        QCOMPARE(m_engine->wait().outcome, ScriptResult::Outcome::Passed);
    }

    void steppingGoesLineByLine()
    {
        m_engine->setBreakpoints({ 1 });
        m_engine->startSource(
            "a = 1\nfor i in range(2):\n    b = i\nc = 3\n", m_dir.filePath("script.py"));
        QVERIFY(waitForPauses(1));
        for (int n = 2; n <= 6; ++n) {
            m_engine->stepLine();
            QVERIFY(waitForPauses(n));
        }
        QCOMPARE(pausedLines(), QList<int>({ 1, 2, 3, 2, 3, 2 }));
        m_engine->resume();
        QCOMPARE(m_engine->wait().outcome, ScriptResult::Outcome::Passed);
    }

    // Step Action pauses before the next driver call at the script line that made it, also
    // when a driver helper (start_all) makes the call.
    void stepActionNamesTheScriptLine()
    {
        m_engine->setBreakpoints({ 2 });
        m_engine->startSource("x = 1\nstart_all()\n", m_dir.filePath("script.py"));
        QVERIFY(waitForPauses(1));
        // A console entry while paused runs on the script's thread: the line stays the script's.
        m_engine->evaluate("x + 1");
        QTest::qWait(200);
        m_engine->stepAction();
        QVERIFY(waitForPauses(2));
        {
            std::lock_guard lock(m_mutex);
            QCOMPARE(m_pauses.at(1).line, 2);
            QCOMPARE(m_pauses.at(1).reason, QString("before idle.start"));
        }
        // Stop while paused before the call: the call is not made.
        m_engine->stop();
        QCOMPARE(m_engine->wait().outcome, ScriptResult::Outcome::Stopped);
        QVERIFY(!m_run->machine("idle")->isUp());
        m_run->crashAll();
    }

    void syntaxErrorNamesItsLine()
    {
        const ScriptResult result = run("a = 1\nif True\n    b = 2\n");
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QVERIFY2(result.message.startsWith("SyntaxError: "), qPrintable(result.message));
        QCOMPARE(result.line, 2);
    }

    // A failure the user skips lets the script go on, but the run does not pass.
    void aSkippedFailureIsNotAPass()
    {
        m_engine->setPauseOnFailure(true);
        m_engine->startSource(
            "x = 1\nidle.wait_for_ready(timeout=0.1)\ny = 2\n", m_dir.filePath("script.py"));
        QTRY_VERIFY_WITH_TIMEOUT(m_engine->isPaused(), 10000);
        m_engine->resolveFailure(ScriptEngine::FailureChoice::Skip);
        const ScriptResult result = m_engine->wait();
        m_engine->setPauseOnFailure(false);
        m_run->crashAll();
        QCOMPARE(result.outcome, ScriptResult::Outcome::Passed);
        QVERIFY(!result.passed());
        QCOMPARE(result.skipped.size(), 1);
        QVERIFY2(
            result.skipped.first().contains("script.py:2: "), qPrintable(result.skipped.first()));
        QCOMPARE(result.verdict(), QString("passed with 1 skipped failure"));
        // The next run starts with none.
        QVERIFY(run("z = 3\n").passed());
    }

    void aReplacedLineIsNotAPass()
    {
        // Line 2 fails; the user retries it as an edited line the file does not have: the run
        // goes on, but its verdict and reports say what ran instead, and it is no pass.
        m_engine->setPauseOnFailure(true);
        m_engine->startSource(
            "x = 1\nidle.wait_for_ready(timeout=0.1)\ny = 2\n", m_dir.filePath("script.py"));
        QTRY_VERIFY_WITH_TIMEOUT(m_engine->isPaused(), 10000);
        m_engine->resolveFailure(ScriptEngine::FailureChoice::Retry, "x = 5");
        const ScriptResult result = m_engine->wait();
        m_engine->setPauseOnFailure(false);
        m_run->crashAll();
        QCOMPARE(result.outcome, ScriptResult::Outcome::Passed);
        QVERIFY(!result.passed());
        QCOMPARE(result.replaced,
            QStringList { m_dir.filePath("script.py")
                + ":2: `idle.wait_for_ready(timeout=0.1)` replaced by `x = 5`" });
        QCOMPARE(result.verdict(), QString("passed with 1 replaced line"));
        ReportInput input { "t", m_dir.filePath("script.py"), "", {}, result };
        QCOMPARE(writeJunit(m_dir.filePath("replaced.xml"), input), QString());
        QFile junit(m_dir.filePath("replaced.xml"));
        QVERIFY(junit.open(QIODevice::ReadOnly));
        const QByteArray xml = junit.readAll();
        QVERIFY2(
            xml.contains("failures=\"1\"") && xml.contains("t (replaced lines)"), xml.constData());
        QVERIFY(run("z = 3\n").passed());
    }

    // vivarium.stateful without booting: the network strategy shrinks to one default machine,
    // what it draws passes the loader, a bad key gets the loader's message, and the regression
    // test writer emits a test the loader accepts.
    void statefulNetworksAndRegressionTests()
    {
        const QString out = m_dir.filePath("falsified");
        const ScriptResult result = run(QString(
            "from vivarium.stateful import networks, to_toml, regression_test, Ping, st\n"
            "from hypothesis import find, settings\n"
            "smallest = find(networks(memory=st.integers(96, 256)), lambda n: True,\n"
            "                settings=settings(database=None))\n"
            "assert smallest == {'n1': {'vlans': [1], 'memory': 96}}, smallest\n"
            "big = find(networks(memory=st.integers(96, 256)), lambda n: len(n) >= 3,\n"
            "           settings=settings(database=None))\n"
            "assert list(big) == ['n1', 'n2', 'n3'], big\n"
            "import _vivarium\n"
            "assert _vivarium.network_create('ex', to_toml(big)) == ['n1', 'n2', 'n3']\n"
            "assert Machine('n2').is_up() is False\n" // the API reaches the example's machines
            "_vivarium.network_destroy('ex')\n"
            "try:\n"
            "    _vivarium.network_create('bad', to_toml({'n1': {'memroy': 128}}))\n"
            "    raise AssertionError('a bad key was taken')\n"
            "except ValueError as error:\n"
            "    assert \"unknown machine key 'memroy'\" in str(error), str(error)\n"
            "    assert '<bad>:2:' in str(error), str(error)\n"
            "try:\n"
            "    _vivarium.network_create('clash', to_toml({'idle': {}}))\n"
            "    raise AssertionError('a taken name was taken')\n"
            "except ValueError as error:\n"
            "    assert 'there is a machine idle already' in str(error), str(error)\n"
            "from vivarium.stateful import Step\n"
            "regression_test(Ping, {'n1': {'vlans': [1], 'memory': 200}},\n"
            "    [Step('boot', {'node': 'n1'}, ['n1.start()', 'n1.wait_for_ready()']),\n"
            "     Step('ping', {'source': 'n1', 'destination': 'n1'}, None)], %1)\n")
                                            .arg(QString("'%1'").arg(out)));
        QVERIFY2(result.passed(), qPrintable(result.message + "\n" + result.traceback));
        SpecLoader loader;
        const auto spec = loader.loadFile(out + "/Ping.toml");
        QVERIFY2(spec, qPrintable(loader.errors().join("\n")));
        QCOMPARE(spec->machines.size(), 1);
        QCOMPARE(spec->machines.first().memoryMiB, 200);
        QFile script(out + "/Ping.py");
        QVERIFY(script.open(QIODevice::ReadOnly));
        const QByteArray text = script.readAll();
        QVERIFY2(text.contains("# step: boot(node='n1')\nn1.start()\nn1.wait_for_ready()\n"),
            text.constData());
        QVERIFY(text.contains("raise NotImplementedError('rule ping has no @replays_as lines')"));
        QVERIFY(m_engine->networks()->labels().isEmpty()); // nothing outlives the script
    }

    // A whole property run without booting: a rule that fails only for n2 with >= 150 MiB is
    // found and shrunk to exactly that (2 machines, n2 at 150 MiB, one step), the minimal case
    // is written, the events tell each example and the end, and the seed is the one given.
    void aPropertyShrinksToItsMinimalCase()
    {
        QList<Event> events;
        const ScriptResult result = runCollecting(&events,
            "from vivarium.stateful import NetworkStateMachine, networks, replays_as, rule, run, "
            "st\n"
            "class Planted(NetworkStateMachine):\n"
            "    network = networks(min_machines=1, max_machines=3, memory=st.integers(96, 256))\n"
            "    @rule(node=NetworkStateMachine.nodes)\n"
            "    @replays_as(lambda self, node: [f'assert {self.spec[node][\"memory\"]} < 150'])\n"
            "    def touch(self, node):\n"
            "        assert not (node == 'n2' and self.spec[node]['memory'] >= 150), 'planted'\n"
            "    @rule()\n"
            "    def idle(self):\n"
            "        pass\n"
            "run(Planted, examples=200, steps=5, seed=3)\n");
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QVERIFY2(result.message.contains("planted"), qPrintable(result.message));
        std::optional<event::PropertyFinished> finished;
        QStringList phases;
        for (const Event &e : std::as_const(events)) {
            if (const auto *f = std::get_if<event::PropertyFinished>(&e))
                finished = *f;
            if (const auto *example = std::get_if<event::PropertyExample>(&e))
                phases << example->phase;
        }
        QVERIFY(finished);
        QVERIFY(!finished->passed);
        QCOMPARE(finished->seed, QString("3"));
        QCOMPARE(finished->steps, QStringList { "touch(node='n2')" });
        QCOMPARE(finished->network,
            QString(
                R"({"n1": {"vlans": [1], "memory": 96}, "n2": {"vlans": [1], "memory": 150}})"));
        QVERIFY(finished->failing >= 1);
        QVERIFY(finished->regressionTest.endsWith("/falsified/Planted.toml"));
        QVERIFY(phases.contains("generate"));
        QCOMPARE(phases.last(), QString("final"));
        QVERIFY2(phases.contains("shrink"), qPrintable(phases.join(' ')));
        QFile script(QFileInfo(finished->regressionTest).absolutePath() + "/Planted.py");
        QVERIFY(script.open(QIODevice::ReadOnly));
        QVERIFY2(script.readAll().contains("# step: touch(node='n2')\nassert 150 < 150\n"),
            "the replay line holds the model's value at that step");
        QVERIFY(QDir(m_run->outDir() + "/hypothesis").exists()); // the example database
        QVERIFY(m_engine->networks()->labels().isEmpty());
    }

    // The parallel mode without booting: a counter kept in the script whose increment reads,
    // waits and writes (a lost update when two run at once). Sequentially (one list) it passes;
    // two lists at once find it, shrunk to one increment on each client.
    void theParallelModeFindsARace()
    {
        QList<Event> events;
        // On disk too, as a user's script is: the regression test loads the property from it.
        const QString source
            = "import time\n"
              "from vivarium.stateful import ParallelProperty, command, networks, run_parallel, "
              "st\n"
              "class Counter(ParallelProperty):\n"
              "    network = networks(min_machines=3, max_machines=3)\n"
              "    def setup(self):\n"
              "        self.count = 0\n"
              "    def initial_state(self):\n"
              "        return 0\n"
              "    @command()\n"
              "    def incr(self, client):\n"
              "        seen = self.count; time.sleep(0.05); self.count = seen + 1\n"
              "        return self.count\n"
              "    @incr.model\n"
              "    def incr_model(self, state, result):\n"
              "        return state + 1, result == state + 1\n"
              "    @command(twice=st.booleans())\n"
              "    def read(self, client, twice):\n"
              "        return self.count\n"
              "    @read.model\n"
              "    def read_model(self, state, result, twice):\n"
              "        return state, result == state\n"
              "run_parallel(Counter, examples=30, prefix=2, length=3, threads=1, seed=1)\n"
              "print('sequential passed')\n"
              "run_parallel(Counter, examples=30, prefix=2, length=3, threads=2, seed=1)\n";
        QFile script(m_dir.filePath("script.py"));
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write(source.toUtf8());
        script.close();
        const ScriptResult result = runCollecting(&events, source);
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QVERIFY2(result.message.contains("no interleaving of the parallel commands is allowed by "
                                         "the model: [n3: incr() -> 1] || [n2: incr() -> 1]"),
            qPrintable(result.message));
        QList<event::PropertyFinished> finished;
        for (const Event &e : std::as_const(events)) {
            if (const auto *f = std::get_if<event::PropertyFinished>(&e))
                finished << *f;
        }
        QCOMPARE(finished.size(), 2);
        QVERIFY(finished.first().passed); // one list at a time cannot lose an update
        QVERIFY(!finished.last().passed);
        QCOMPARE(finished.last().steps, QStringList { "[n3: incr() -> 1] || [n2: incr() -> 1]" });
        QVERIFY(m_engine->networks()->labels().isEmpty());
        // Its regression test: the minimal network as the test's machines, the lists at once
        // through the property's own code, failing the same way.
        const QString regression = finished.last().regressionTest;
        QVERIFY2(regression.endsWith("/falsified/Counter.toml"), qPrintable(regression));
        SpecLoader loader;
        const auto spec = loader.loadFile(regression);
        QVERIFY2(spec, qPrintable(loader.errors().join('\n')));
        QCOMPARE(spec->machines.size(), 3);
        std::unique_ptr<TestRun> replayRun = runOf(*spec, "replayed");
        ScriptEngine replay(replayRun.get());
        QFile replayScript(spec->script);
        QVERIFY(replayScript.open(QIODevice::ReadOnly));
        const QString replaySource = QString::fromUtf8(replayScript.readAll());
        QVERIFY2(replaySource.contains("lists=[[('incr', {})], [('incr', {})]]"),
            qPrintable(replaySource));
        replay.startSource(replaySource, spec->script);
        const ScriptResult replayed = replay.wait();
        QCOMPARE(replayed.outcome, ScriptResult::Outcome::Failed);
        QVERIFY2(replayed.message.contains("no interleaving of the parallel commands is allowed by "
                                           "the model: [n3: incr() -> 1] || [n2: incr() -> 1]"),
            qPrintable(replayed.message));
        QCOMPARE(replayed.line,
            replaySource.split('\n').indexOf(QRegularExpression("^replay\\(.*")) + 1);
        // A command without a model is named.
        const ScriptResult bad
            = run("from vivarium.stateful import ParallelProperty, command, run_parallel\n"
                  "class P(ParallelProperty):\n"
                  "    @command()\n"
                  "    def go(self, client):\n"
                  "        pass\n"
                  "run_parallel(P)\n");
        QVERIFY2(bad.message.contains("command go of P has no model: add @go.model"),
            qPrintable(bad.message));
    }

    // What a property gets wrong is named, and no minimal case is written for it.
    void aBadPropertyIsNamed()
    {
        ScriptResult result = run("from vivarium.stateful import NetworkStateMachine, run\n"
                                  "class Empty(NetworkStateMachine):\n"
                                  "    pass\n"
                                  "run(Empty)\n");
        QVERIFY2(
            result.message.contains("property Empty has no rules"), qPrintable(result.message));
        result = run("from vivarium.stateful import Ping, networks, run, st\n"
                     "class Typo(Ping):\n"
                     "    network = networks(memroy=st.just(128))\n"
                     "run(Typo, examples=3)\n");
        QVERIFY2(result.message.contains("the network strategy of Typo drew a network that cannot "
                                         "be made: <example-"),
            qPrintable(result.message));
        QVERIFY2(
            result.message.contains("unknown machine key 'memroy'"), qPrintable(result.message));
        QVERIFY(!QFile::exists(m_run->outDir() + "/falsified/Typo.toml"));
        // A teardown check that fails: its error, at its line, and the networks are gone.
        result = run("from vivarium.stateful import NetworkStateMachine, networks, rule, run\n"
                     "class Checked(NetworkStateMachine):\n"
                     "    @rule()\n"
                     "    def idle(self):\n"
                     "        pass\n"
                     "    def final_check(self):\n"
                     "        raise RuntimeError('the final check failed')\n"
                     "run(Checked, examples=3, seed=1)\n");
        QVERIFY2(result.message.contains("RuntimeError: the final check failed"),
            qPrintable(result.message));
        QCOMPARE(result.line, 7);
        QVERIFY(m_engine->networks()->labels().isEmpty());
        result = run("from vivarium.stateful import Ping, networks, run, st\n"
                     "class Huge(Ping):\n"
                     "    network = networks(min_machines=4, memory=st.just(65536))\n"
                     "run(Huge, examples=2)\n");
        QVERIFY2(result.message.contains("is too large for this host: its 4 machine(s) ask "
                                         "262144 MiB"),
            qPrintable(result.message));
        QVERIFY(m_engine->networks()->labels().isEmpty());
    }

    void pauseStopsAtTheNextLine()
    {
        m_engine->startSource(
            "import time\nwhile True:\n    time.sleep(0.01)\n", m_dir.filePath("script.py"));
        QTest::qWait(100);
        m_engine->pause();
        QVERIFY(waitForPauses(1));
        QCOMPARE(m_pauses.first().reason, QString("paused"));
        m_engine->stop();
        const ScriptResult result = m_engine->wait();
        QCOMPARE(result.outcome, ScriptResult::Outcome::Stopped);
    }

    // The console: entries keep their globals, show values and errors, run in the paused
    // script's globals, and never pause on a failing driver call.
    void consoleEvaluatesAgainstTheScript()
    {
        std::mutex mutex;
        QStringList outputs;
        connect(
            m_engine.get(), &ScriptEngine::consoleOutput, this,
            [&](const QString &, const QString &output) {
                std::lock_guard lock(mutex);
                outputs << output;
            },
            Qt::DirectConnection);
        const auto evaluate = [&](const QString &source) {
            qsizetype before;
            {
                std::lock_guard lock(mutex);
                before = outputs.size();
            }
            m_engine->evaluate(source);
            for (int i = 0; i < 1000; ++i) {
                {
                    std::lock_guard lock(mutex);
                    if (outputs.size() > before)
                        return outputs.last();
                }
                QTest::qWait(10);
            }
            return QString("(no output)");
        };
        QCOMPARE(evaluate("1 + 2"), QString("3\n"));
        QCOMPARE(evaluate("x = 5"), QString());
        QCOMPARE(evaluate("print(x * 2); idle.name"), QString("10\n'idle'\n"));
        QVERIFY(evaluate("1 / 0").contains("ZeroDivisionError: division by zero"));
        // execute()'s tuple shows its output's lines as lines; the value is still _.
        QCOMPARE(evaluate("(0, 'one\\ntwo\\n')"), QString("exit status 0, output:\none\ntwo\n"));
        QCOMPARE(evaluate("_[0] + 1"), QString("1\n"));
        m_engine->setPauseOnFailure(true);
        const QString failed = evaluate("idle.stop_capture(7)"); // fails at once, no pause
        QVERIFY2(failed.startsWith("MachineError: "), qPrintable(failed));

        m_engine->setBreakpoints({ 2 });
        m_engine->startSource("a = 41\nb = a + 1\nc = 3\n", m_dir.filePath("script.py"));
        QVERIFY(waitForPauses(1));
        QCOMPARE(evaluate("a + 1"), QString("42\n"));
        QCOMPARE(evaluate("a = 99"), QString());
        m_engine->resume();
        QCOMPARE(m_engine->wait().outcome, ScriptResult::Outcome::Passed);
        QCOMPARE(evaluate("b"), QString("100\n")); // the last script's globals

        m_engine->setBreakpoints({});
        m_engine->startSource("import time\ntime.sleep(0.5)\n", m_dir.filePath("script.py"));
        QVERIFY(evaluate("1").startsWith("The script is running"));
        QCOMPARE(m_engine->wait().outcome, ScriptResult::Outcome::Passed);
        m_engine->setPauseOnFailure(false);
        disconnect(m_engine.get(), &ScriptEngine::consoleOutput, this, nullptr);
    }

    void stopEndsASleepAtOnce()
    {
        m_engine->startSource("idle.sleep(60)\n", m_dir.filePath("script.py"));
        QTest::qWait(200);
        QElapsedTimer clock;
        clock.start();
        m_engine->stop();
        const ScriptResult result = m_engine->wait();
        QVERIFY(clock.elapsed() < 1000);
        QCOMPARE(result.outcome, ScriptResult::Outcome::Stopped);
        QCOMPARE(result.line, 1);
    }

    void stopIsNotSwallowedByExcept()
    {
        m_engine->startSource(
            "while True:\n    try:\n        idle.sleep(1)\n    except Exception:\n        pass\n",
            m_dir.filePath("script.py"));
        QTest::qWait(200);
        m_engine->stop();
        QCOMPARE(m_engine->wait().outcome, ScriptResult::Outcome::Stopped);
    }

    void globalTimeoutStopsTheScript()
    {
        m_engine->setGlobalTimeout(0.5);
        QElapsedTimer clock;
        clock.start();
        const ScriptResult result = run("x = 0\nwhile True:\n    x += 1\n");
        QVERIFY(clock.elapsed() < 3000);
        QCOMPARE(result.outcome, ScriptResult::Outcome::TimedOut);
        QVERIFY2(result.message.startsWith("the global timeout of 0.5 s was reached at "),
            qPrintable(result.message));
    }

    void eventsCarryTheScriptLine()
    {
        EventRecorder recorder({});
        recorder.watch(m_run->events());
        const ScriptResult result
            = run("log.info('one')\n\nprint('two')\nidle.wait_for_ready(timeout=0.1)\n");
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QCOMPARE(result.line, 4);
        QStringList logs;
        int actionLine = 0;
        for (const RecordedEvent &e : recorder.events()) {
            if (const auto *log = std::get_if<event::Log>(&e.event))
                logs << log->text;
            if (const auto *finished = std::get_if<event::ActionFinished>(&e.event))
                actionLine = finished->action.line;
        }
        QCOMPARE(logs, QStringList({ "one", "two" }));
        QCOMPARE(actionLine, 4);
    }

    void machineKeysKeepEachInitsFloor()
    {
        // Random init and memory together: a systemd machine is never drawn below what it
        // boots in (the loader refuses it), and the network shrinks to one minimal machine.
        const ScriptResult result = run(
            "from hypothesis import find, given, settings\n"
            "from vivarium.stateful import machine_keys, networks, st, to_toml\n"
            "seen = set()\n"
            "@settings(max_examples=150, database=None, derandomize=True)\n"
            "@given(networks(max_machines=3, machine=machine_keys(), cpus=st.just(1)))\n"
            "def check(network):\n"
            "    for keys in network.values():\n"
            "        least = 128 if keys['init'] == 'systemd' else 96\n"
            "        assert least <= keys['memory'] <= 256, keys\n"
            "        assert keys['cpus'] == 1 and keys['vlans'] == [1], keys\n"
            "        seen.add(keys['init'])\n"
            "check()\n"
            "assert seen == {'minimal', 'systemd'}, seen\n"
            "simplest = find(networks(machine=machine_keys()), lambda network: True)\n"
            "assert simplest == {'n1': {'vlans': [1], 'init': 'minimal', 'memory': 96}}, simplest\n"
            "systemd = find(networks(machine=machine_keys()), lambda n: n['n1']['init'] == "
            "'systemd')\n"
            "assert systemd['n1']['memory'] == 128, systemd\n");
        QVERIFY2(result.outcome == ScriptResult::Outcome::Passed,
            qPrintable(QString("line %1: %2").arg(result.line).arg(result.message)));
    }

    void addedMachinesJoinTheTest()
    {
        // A run of its own: the machines added here must not reach the other tests' run.
        SpecLoader loader;
        auto spec = loader.loadString("[defaults]\nmemory = 300\n[machines.idle]\n[machines.zed]\n",
            m_dir.filePath("a.toml"));
        QVERIFY(spec);
        std::unique_ptr<TestRun> run = runOf(*spec, "added");
        ScriptEngine engine(run.get());
        QList<Event> events;
        connect(
            run->events(), &EventLog::happened, this, [&](const Event &e) { events.append(e); },
            Qt::DirectConnection);
        engine.startSource(R"py(
web = add_machine("web-2", vlans=[1, 3], environment={"GREETING": "hi"})
assert web is web_2 and web in machines and web.name == "web-2", web
assert [v.nr for v in vlans] == [1, 3] and [m.name for m in vlan3.machines] == ["web-2"]
assert [m.name for m in vlan1.machines] == ["idle", "zed", "web-2"]
add_machine("alone", vlans=[])
def call(name):
    return f"add_machine({chr(34)}{name}{chr(34)}): "
for name, keys, words in [
    ("WEB-2", {}, "machine name {q}WEB-2{q} is taken by machine {q}web-2{q}"),
    ("web_2", {}, "machine name {q}web_2{q} is taken by machine {q}web-2{q}"),
    ("idle", {}, "machine name {q}idle{q} is taken by machine {q}idle{q}"),
    ("bad", {"memory": "lots"}, "{q}memory{q} must be an integer"),
    ("bad", {"colour": "red"}, "unknown machine key {q}colour{q}"),
    ("9bad", {}, "a machine name must be a host name"),
    ("bad", {"vlans": [300]}, "{q}vlans{q}"),
    ("bad", {"memory": float("nan")}, "{q}memory{q}"),
]:
    words = call(name) + words.format(q=chr(39))
    try:
        add_machine(name, **keys)
        raise AssertionError(f"no error for {words}")
    except MachineError as e:
        assert str(e).startswith(words), str(e)
        assert ":1:" not in str(e), str(e)  # no place in a text the user never wrote
try:
    create_machine({"startCommand": "qemu"})
    raise AssertionError("create_machine did not raise")
except NotImplementedError as e:
    assert "add_machine(name, **keys)" in str(e), str(e)
assert "bad" not in [m.name for m in machines]
)py",
            m_dir.filePath("added.py"));
        const ScriptResult result = engine.wait();
        QVERIFY2(result.outcome == ScriptResult::Outcome::Passed,
            qPrintable(QString("line %1: %2").arg(result.line).arg(result.message)));
        // Numbered after every machine the test has, [defaults] applied; the file's spec kept.
        const auto live = run->live().snapshot();
        QCOMPARE(live->nodeNumber("web-2"), 3);
        QCOMPARE(live->machine("web-2")->memoryMiB, 300);
        QCOMPARE(run->spec().machines.size(), 2);
        QCOMPARE(run->network()->link("web-2", 3).nic.ipv4, QString("192.168.3.3"));
        QCOMPARE(run->network()->link("web-2", 1).nic.mac, QString("52:54:00:12:01:03"));
        QCOMPARE(run->network()->link("idle", 1).nic.ipv4, QString("192.168.1.1"));
        QVERIFY(run->machine("alone"));
        QStringList added;
        for (const Event &e : std::as_const(events)) {
            if (const auto *a = std::get_if<event::MachineAdded>(&e))
                added << a->text();
        }
        QCOMPARE(added,
            QStringList({ "added machine web-2 (300 MiB, minimal, VLANs 1, 3)",
                "added machine alone (300 MiB, minimal, no VLAN)" }));
    }
};

QTEST_GUILESS_MAIN(TestScriptEngine)
#include "tst_scriptengine.moc"
