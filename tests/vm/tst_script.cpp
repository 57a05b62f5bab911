// Test scripts on real guests: each method family keeps the NixOS driver's semantics (return
// values, what raises, timeouts), stop cancels a wait at once, and a failure pauses the script
// with the machines running until the user retries or skips.
#include "core/script/scriptengine.h"
#include "vmtestutil.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <mutex>

using namespace vivarium;

class TestScript : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<TestRun> m_run;
    std::unique_ptr<ScriptEngine> m_engine;

    // Runs a script; the test fails with the script's error if it did not pass.
    void passes(const QByteArray &source)
    {
        m_engine->startSource(QString::fromUtf8(source), m_dir.filePath("script.py"));
        const ScriptResult result = m_engine->wait();
        QVERIFY2(result.outcome == ScriptResult::Outcome::Passed,
            qPrintable(
                QString("line %1: %2\n%3").arg(result.line).arg(result.message, result.traceback)));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const TestSpec spec = specFromToml(m_dir.path(), "script", R"toml(
[machines.alpha]
vlans = [1]

[machines.sysd]
vlans = [1]
init = "systemd"
services = ["hello.service"]
files = { "/etc/systemd/system/hello.service" = "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n", "/etc/systemd/system/broken.service" = "[Service]\nExecStart=/bin/false\n" }
)toml");
        m_run = makeRun(spec);
        m_engine = std::make_unique<ScriptEngine>(m_run.get());
        passes("start_all()\nfor m in machines:\n    m.wait_for_ready(timeout=300)\n");
    }

    void commandsKeepNixosSemantics()
    {
        passes(R"py(
status, out = alpha.execute("echo out; echo err >&2; exit 3")
assert (status, out) == (3, "out\n"), (status, out)
assert alpha.execute("exit 3", check_return=False) == (-1, "")
assert alpha.execute("echo x", check_output=False) == (0, "")
assert alpha.succeed("echo a", "echo b") == "a\nb\n"
assert alpha.fail("echo no; false") == "no\n"
try:
    alpha.succeed("echo partial; exit 4")
    raise AssertionError("succeed did not raise")
except MachineError as e:
    assert "command `echo partial; exit 4` failed (exit code 4)" in str(e), str(e)
    assert "stdout: partial" in str(e), str(e)
try:
    alpha.fail("true")
    raise AssertionError("fail did not raise")
except MachineError as e:
    assert "unexpectedly succeeded" in str(e), str(e)
alpha.succeed("rm -f /tmp/later; (sleep 1; echo ready > /tmp/later) &")
assert alpha.wait_until_succeeds("cat /tmp/later", timeout=30) == "ready\n"
alpha.wait_until_fails("test -e /tmp/nothing-here", timeout=10)
try:
    alpha.wait_until_succeeds("false", timeout=2)
    raise AssertionError("no timeout")
except Timeout as e:
    assert "timed out after 2 s waiting for `false` to succeed" in str(e), str(e)
try:
    alpha.execute("sleep 30", timeout=1)
    raise AssertionError("no timeout")
except Timeout as e:
    assert "sleep 30" in str(e), str(e)
assert alpha.is_up()
)py");
    }

    void waitsForFilesPortsAndSockets()
    {
        passes(R"py(
alpha.succeed("(sleep 0.5; touch /tmp/made) >/dev/null 2>&1 &")
alpha.wait_for_file("/tmp/made", timeout=30)
alpha.succeed("(nc -lk 8123 >/dev/null 2>&1 &)")
alpha.wait_for_open_port(8123, timeout=30)
alpha.succeed("pkill -f 'nc -lk 8123'")
alpha.wait_for_closed_port(8123, timeout=30)
alpha.succeed("(nc -lkU /tmp/sock >/dev/null 2>&1 &)")
alpha.wait_for_open_unix_socket("/tmp/sock", timeout=30)
)py");
    }

    void systemdFamily()
    {
        passes(R"py(
sysd.wait_for_unit("hello.service")
info = sysd.get_unit_info("hello.service")
assert info["ActiveState"] == "active", info["ActiveState"]
assert sysd.get_unit_property("hello.service", "Type") == "oneshot"
status, out = sysd.systemctl("is-active hello.service")
assert (status, out) == (0, "active\n"), (status, out)
sysd.require_unit_state("hello.service", "active")
try:
    sysd.require_unit_state("hello.service", "inactive")
    raise AssertionError("no error")
except MachineError as e:
    assert "hello.service" in str(e), str(e)
sysd.start_job("broken.service")
try:
    sysd.wait_for_unit("broken.service", timeout=60)
    raise AssertionError("no error")
except MachineError as e:
    assert 'reached state "failed"' in str(e) or "inactive" in str(e), str(e)
)py");
    }

    void consolesAndMonitor()
    {
        passes(R"py(
alpha.send_console("echo console-marker-$((20+22))\n")
alpha.wait_for_console_text("console-marker-42", timeout=30)
assert "console-marker-42" in alpha.get_console_log()
assert "running" in alpha.send_monitor_command("info status")
alpha.send_monitor_command("stop")
event = alpha.wait_for_qmp_event(lambda e: e["event"] == "STOP", timeout=30)
assert event["event"] == "STOP" and "seconds" in event["timestamp"], event
alpha.send_monitor_command("cont")
status, text = alpha.execute("printf 'a\\377b'")
assert (status, text) == (0, "a\ufffdb"), (status, text)
assert alpha.succeed("printf 'a\\377b'") == "a\ufffdb"
try:
    alpha.get_screen_size()
    raise AssertionError("a size without a screen")
except MachineError as e:
    assert "has no screen" in str(e), str(e)
try:
    alpha.wait_for_qmp_event(lambda e: False, timeout=1)
    raise AssertionError("no timeout")
except Timeout as e:
    assert "no QMP event matched within 1 s" in str(e), str(e)
alpha.succeed("true")
)py");
    }

    void networkAndFiles()
    {
        const QString hostFile = m_dir.filePath("from-host.txt");
        QFile file(hostFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("carried over\n");
        file.close();
        passes(QStringLiteral(R"py(
import os
alpha.succeed("ping -4 -c 1 -W 5 sysd")
alpha.block()
alpha.fail("ping -4 -c 1 -W 1 sysd")
assert alpha.link(1)["blocked"] is True
alpha.unblock()
alpha.wait_until_succeeds("ping -4 -c 1 -W 1 sysd", timeout=30)
alpha.set_link(1, delay_ms=30)
assert alpha.link(1)["delay_ms"] == 30
alpha.set_link(1, delay_ms=0)
path = alpha.capture(1)
alpha.succeed("ping -4 -c 1 -W 5 sysd")
alpha.stop_capture(1)
assert os.path.getsize(path) > 24, path
alpha.copy_from_host("%1", "/tmp/copied.txt")
assert alpha.succeed("cat /tmp/copied.txt") == "carried over\n"
alpha.succeed("echo back > /tmp/back.txt")
copied = alpha.copy_from_machine("/tmp/back.txt")
assert open(copied).read() == "back\n", copied
)py")
                   .arg(hostFile)
                   .toUtf8());
    }

    void retryAndPollingConditions()
    {
        passes(R"py(
calls = []
def third_time(last):
    calls.append(last)
    return len(calls) == 3
retry(third_time, timeout=10)
assert calls == [False, False, False], calls

@polling_condition(seconds_interval=0)
def marker_present():
    return alpha.execute("test -e /tmp/marker")[0] == 0

alpha.succeed("touch /tmp/marker")
with marker_present:
    alpha.succeed("true")
    alpha.succeed("rm /tmp/marker")
    try:
        alpha.succeed("true")
        raise AssertionError("the condition was not checked")
    except MachineError as e:
        assert "polling condition failed: marker_present" in str(e), str(e)
)py");
    }

    void stopCancelsAWaitAtOnce()
    {
        m_engine->startSource(
            "alpha.wait_until_succeeds('false', timeout=600)\n", m_dir.filePath("script.py"));
        QTest::qWait(1500);
        QElapsedTimer clock;
        clock.start();
        m_engine->stop();
        const ScriptResult result = m_engine->wait();
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(result.outcome, ScriptResult::Outcome::Stopped);
        QCOMPARE(result.line, 1);
        // The machine still answers afterwards.
        passes("alpha.succeed('true')\n");
    }

    void failurePausesUntilRetried()
    {
        m_engine->setPauseOnFailure(true);
        std::mutex mutex;
        QString pausedMessage;
        int pausedLine = 0;
        auto connection = connect(
            m_engine.get(), &ScriptEngine::failurePaused, this,
            [&](const QString &, int line, const QString &message) {
                std::lock_guard lock(mutex);
                pausedLine = line;
                pausedMessage = message;
            },
            Qt::DirectConnection);
        m_engine->startSource("alpha.succeed('rm -f /tmp/flag')\n"
                              "out = alpha.succeed('cat /tmp/flag')\n"
                              "assert out == 'fixed\\n', out\n",
            m_dir.filePath("script.py"));
        QTRY_VERIFY_WITH_TIMEOUT(m_engine->isPaused(), 30000);
        {
            std::lock_guard lock(mutex);
            QCOMPARE(pausedLine, 2);
            QVERIFY2(pausedMessage.contains("command `cat /tmp/flag` failed"),
                qPrintable(pausedMessage));
        }
        // Paused on the failure, the machine is running and usable: fix it by hand, retry.
        m_run->machine("alpha")->succeed("echo fixed > /tmp/flag");
        m_engine->resolveFailure(ScriptEngine::FailureChoice::Retry);
        QCOMPARE(m_engine->wait().outcome, ScriptResult::Outcome::Passed);

        // Skip: the call returns nothing and the script goes on; Fail ends it.
        m_engine->startSource("x = alpha.succeed('exit 1')\nassert x == ''\n"
                              "s, out = alpha.execute('exit 3')\n" // not a failure: no pause
                              "assert (s, out) == (3, ''), (s, out)\n"
                              "alpha.succeed('exit 2')\n",
            m_dir.filePath("script.py"));
        QTRY_VERIFY_WITH_TIMEOUT(m_engine->isPaused(), 30000);
        m_engine->resolveFailure(ScriptEngine::FailureChoice::Skip);
        QTRY_VERIFY_WITH_TIMEOUT(m_engine->isPaused(), 30000);
        m_engine->resolveFailure(ScriptEngine::FailureChoice::Fail);
        const ScriptResult result = m_engine->wait();
        QCOMPARE(result.outcome, ScriptResult::Outcome::Failed);
        QCOMPARE(result.line, 5);
        disconnect(connection);
        m_engine->setPauseOnFailure(false);
    }

    void failurePausesAndRunsAnEditedLine()
    {
        m_engine->setPauseOnFailure(true);
        m_engine->startSource("value = alpha.succeed('exit 7')\nassert value == 'edited', value\n",
            m_dir.filePath("script.py"));
        QTRY_VERIFY_WITH_TIMEOUT(m_engine->isPaused(), 30000);
        m_engine->resolveFailure(
            ScriptEngine::FailureChoice::Retry, "value = alpha.succeed('echo -n edited')");
        const ScriptResult result = m_engine->wait();
        QVERIFY2(result.outcome == ScriptResult::Outcome::Passed, qPrintable(result.message));
        m_engine->setPauseOnFailure(false);
    }

    void globalTimeoutStopsTheScriptAndTheMachines()
    {
        // Last: it ends the machines.
        m_engine->setGlobalTimeout(3);
        m_engine->startSource("alpha.wait_until_succeeds('false')\n", m_dir.filePath("script.py"));
        const ScriptResult result = m_engine->wait();
        m_engine->setGlobalTimeout(0);
        QCOMPARE(result.outcome, ScriptResult::Outcome::TimedOut);
        QVERIFY2(result.message.contains("the global timeout of 3 s was reached at "),
            qPrintable(result.message));
        for (const auto &m : m_run->machines())
            QCOMPARE(m->qemuPid(), 0);
    }
};

QTEST_GUILESS_MAIN(TestScript)
#include "tst_script.moc"
