// Machines on real QEMU guests: one minimal, one systemd, one with a screen, booted together.
#include "vmtestutil.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QImage>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <future>
#include <mutex>

using namespace vivarium;

class TestMachine : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<TestRun> m_run;
    Machine *alpha = nullptr;
    Machine *gamma = nullptr;
    Machine *delta = nullptr;
    std::mutex m_eventsMutex;
    QList<ActionEvent> m_finished;

    template<typename F> MachineError::Kind expectError(F &&call, const QString &needle = {})
    {
        try {
            call();
        } catch (const MachineError &e) {
            const QString message = QString::fromStdString(e.what());
            if (!needle.isEmpty() && !message.contains(needle))
                qWarning("error message lacks \"%s\": %s", qPrintable(needle), qPrintable(message));
            return needle.isEmpty() || message.contains(needle) ? e.kind()
                                                                : MachineError::Kind::Usage;
        }
        return MachineError::Kind(-1);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const TestSpec spec = specFromToml(m_dir.path(), "machines", R"toml(
[machines.alpha]
commands = ["echo boot-marker-$((6*7))"]
files = { "/etc/vivarium-test.txt" = "from files\n" }

[machines.gamma]
init = "systemd"
services = ["hello.service"]
files = { "/etc/systemd/system/hello.service" = "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo hello > /run/hello'\n" }

[machines.delta]
graphics = true
)toml");
        m_run = makeRun(spec);
        QObject::connect(
            m_run->events(), &EventLog::happened, m_run->events(),
            [this](const Event &e) {
                if (const auto *finished = std::get_if<event::ActionFinished>(&e)) {
                    std::lock_guard lock(m_eventsMutex);
                    m_finished.append(finished->action);
                }
            },
            Qt::DirectConnection);
        alpha = m_run->machine("alpha");
        gamma = m_run->machine("gamma");
        delta = m_run->machine("delta");
        m_run->waitAllReady(300);
        for (const auto &m : m_run->machines())
            qInfo("%s ready after %.2f s", qPrintable(m->name()), m->readySeconds());
    }

    void bootsWithFilesHostnameAndCommands()
    {
        QCOMPARE(alpha->succeed("cat /etc/vivarium-test.txt"), QString("from files\n"));
        QCOMPARE(alpha->succeed("hostname"), QString("alpha\n"));
        QCOMPARE(gamma->succeed("hostname"), QString("gamma\n"));
        QVERIFY(alpha->waitForConsoleText("boot-marker-42", 10).contains("boot-marker-42"));
        QVERIFY(alpha->getConsoleLog().contains("boot-marker-42"));
        QVERIFY(alpha->isUp());
        // The guest's root is the host's, read-only below the machine's own disk.
        QCOMPARE(alpha->succeed("test -x /usr/bin/qemu-system-x86_64 && echo shared"),
            QString("shared\n"));
        QVERIFY(alpha->succeed("grep ' / ' /proc/mounts").startsWith("overlay / overlay"));
    }

    void exitStatusAndSeparateStreams()
    {
        const CommandResult r = alpha->execute("echo out; echo err >&2; exit 3");
        QCOMPARE(r.status, 3);
        QCOMPARE(r.stdoutBytes, QByteArray("out\n"));
        QCOMPARE(r.stderrBytes, QByteArray("err\n"));
        QCOMPARE(expectError([&] { alpha->succeed("false"); }, "exit code 1"),
            MachineError::Kind::Failed);
        QCOMPARE(alpha->fail("echo no; false"), QString("no\n"));
        QCOMPARE(expectError([&] { alpha->fail("true"); }, "unexpectedly succeeded"),
            MachineError::Kind::Failed);
        // A syntax error is the command's failure, not the protocol's.
        QCOMPARE(alpha->execute("'unterminated").status, 2);
        QCOMPARE(alpha->succeed("echo still-here"), QString("still-here\n"));
    }

    void largeAndBinaryOutput()
    {
        QCOMPARE(alpha->succeed("head -c 300000 /dev/zero | tr '\\0' x").size(), 300000);
        const CommandResult bin = alpha->execute("printf '\\000\\001\\377\\r\\n'");
        QCOMPARE(bin.stdoutBytes, QByteArray("\x00\x01\xff\r\n", 5));
        const CommandResult random
            = alpha->execute("head -c 400000 /dev/urandom > /root/r; cat /root/r");
        QCOMPARE(random.stdoutBytes.size(), 400000);
        const QString guestSum = alpha->succeed("sha256sum /root/r").left(64);
        QCOMPARE(
            QString::fromLatin1(
                QCryptographicHash::hash(random.stdoutBytes, QCryptographicHash::Sha256).toHex()),
            guestSum);
    }

    void timeoutKillsTheCommand()
    {
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(expectError([&] { alpha->execute("sleep 30", 1); }, "timed out after 1 s"),
            MachineError::Kind::Timeout);
        QVERIFY(clock.elapsed() < 5000);
        QCOMPARE(alpha->succeed("echo after"), QString("after\n"));
        QCOMPARE(alpha->fail("pgrep -x sleep"), QString());
    }

    void backgroundChildDoesNotBlock()
    {
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(alpha->succeed("sleep 100 & echo started"), QString("started\n"));
        QVERIFY2(clock.elapsed() < 5000, "a backgrounded child held the command open");
        QVERIFY(!alpha->succeed("pgrep -x sleep").isEmpty());
        alpha->succeed("pkill -x sleep");
    }

    void commandsDoNotLeakDirectoryOrExit()
    {
        alpha->succeed("cd /etc");
        QCOMPARE(alpha->succeed("pwd"), QString("/tmp\n")); // each command starts in /tmp
        QCOMPARE(alpha->execute("exit 4").status, 4);
        QCOMPARE(alpha->execute("set -e; false; echo unreachable").status, 1);
        QCOMPARE(alpha->succeed("echo alive"), QString("alive\n"));
        // A failure ends the agent's shell (set -e): what earlier commands started lives on.
        alpha->succeed("sleep 1000 >/dev/null 2>&1 &");
        QCOMPARE(alpha->execute("false").status, 1);
        QCOMPARE(alpha->execute("exit 3").status, 3);
        QVERIFY(!alpha->succeed("pgrep -x sleep").isEmpty());
        alpha->succeed("pkill -x sleep");
        // ... and may still write to the output it was given (the pipes are drained): the NFS
        // test's `flock ... -c 'echo acquired; touch locked' >&2 &` died of SIGPIPE at its echo.
        alpha->succeed("rm -f /tmp/wrote; (sleep 2; echo late; echo late >&2; touch /tmp/wrote) &");
        QCOMPARE(alpha->execute("false").status, 1);
        alpha->waitForFile("/tmp/wrote", 30);
    }

    void waits()
    {
        alpha->succeed("(sleep 1; touch /root/later) >/dev/null 2>&1 &");
        alpha->waitUntilSucceeds("test -e /root/later", 30);
        alpha->waitForFile("/root/later", 5);
        QCOMPARE(expectError([&] { alpha->waitUntilFails("true", 2); }, "timed out after 2 s"),
            MachineError::Kind::Timeout);
        QCOMPARE(expectError([&] { alpha->waitForFile("/nonexistent", 1); }),
            MachineError::Kind::Timeout);
        alpha->succeed("nc -lk 127.0.0.1 1234 >/dev/null 2>&1 &");
        alpha->waitForOpenPort(1234, "127.0.0.1", 30);
        alpha->succeed("pkill -f '^nc -lk'");
        alpha->waitForClosedPort(1234, "127.0.0.1", 30);
        alpha->succeed("rm -f /root/sock; nc -lU /root/sock >/dev/null 2>&1 &");
        alpha->waitForOpenUnixSocket("/root/sock", false, 30);
    }

    void serialConsoleAndMonitor()
    {
        alpha->sendConsole("echo typed-$((1+2))\n");
        QVERIFY(alpha->waitForConsoleText("typed-3", 30).contains("typed-3"));
        QCOMPARE(
            expectError([&] { alpha->waitForConsoleText("never-printed", 1); }, "never-printed"),
            MachineError::Kind::Timeout);
        QVERIFY(alpha->sendMonitorCommand("info status").contains("running"));
        QCOMPARE(
            expectError([&] { alpha->waitForConsoleText("(", 1); }, "invalid regular expression"),
            MachineError::Kind::Usage);
    }

    void forwardPortOnLoopbackOnly()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();
        alpha->forwardPort(port, 8000);
        // Each connection (the port probe too) gets its own server.
        alpha->succeed(
            "(while true; do echo hello-forward | nc -l -N 8000; done) >/dev/null 2>&1 &");
        alpha->waitForOpenPort(8000, "127.0.0.1", 30);
        // The first connection through a new forward can be closed by QEMU's user network
        // before it reaches the guest; a client retries, as one would with curl.
        QByteArray received;
        QElapsedTimer clock;
        clock.start();
        int attempts = 0;
        while (!received.contains('\n') && clock.elapsed() < 90000) {
            ++attempts;
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, port);
            if (!socket.waitForConnected(5000))
                continue;
            while (!received.contains('\n') && socket.waitForReadyRead(3000))
                received += socket.readAll();
            received += socket.readAll();
        }
        qInfo("forwarded connection answered after %d attempt(s), %lld ms", attempts,
            clock.elapsed());
        QCOMPARE(received, QByteArray("hello-forward\n"));
        QVERIFY(alpha->sendMonitorCommand("info usernet").contains("127.0.0.1"));
    }

    void copyToAndFromTheMachine()
    {
        const QString source = m_dir.filePath("from-host.txt");
        writeTestFile(source, "copied in\n");
        alpha->copyFromHost(source, "/root/in/copy.txt");
        QCOMPARE(alpha->succeed("cat /root/in/copy.txt"), QString("copied in\n"));
        const QString copied = alpha->copyFromMachine("/etc/hostname", "copies");
        QFile back(copied);
        QVERIFY2(back.open(QIODevice::ReadOnly), qPrintable(copied));
        QCOMPARE(back.readAll(), QByteArray("alpha\n"));
        QVERIFY(copied.startsWith(m_run->outDir()));
    }

    void systemdUnits()
    {
        gamma->waitForUnit("hello.service", 120);
        QCOMPARE(gamma->getUnitInfo("hello.service").value("ActiveState"), QString("active"));
        QCOMPARE(gamma->getUnitProperty("hello.service", "Type"), QString("oneshot"));
        QCOMPARE(gamma->succeed("cat /run/hello"), QString("hello\n"));
        gamma->requireUnitState("vivarium-backdoor.service", "active");
        QCOMPARE(expectError([&] { gamma->requireUnitState("hello.service", "inactive"); },
                     "expected unit hello.service"),
            MachineError::Kind::Failed);
        QCOMPARE(
            expectError([&] { gamma->waitForUnit("no-such-unit.service", 60); }, "no pending jobs"),
            MachineError::Kind::Failed);
        QCOMPARE(gamma->systemctl("is-active hello.service").status, 0);
        // The host is a container: the guest's systemd must not think so.
        QCOMPARE(gamma->execute("systemd-detect-virt --container").status, 1);
        QCOMPARE(expectError([&] { alpha->waitForUnit("x.service"); }, "needs systemd"),
            MachineError::Kind::Usage);
    }

    void screenshotIsAPngOfTheScreen()
    {
        delta->waitUntilSucceeds("test -e /sys/class/graphics/fb0/virtual_size", 60);
        const QStringList size
            = delta->succeed("cat /sys/class/graphics/fb0/virtual_size").trimmed().split(',');
        const QString path = delta->screenshot("delta-screen");
        QVERIFY(path.endsWith("/screenshots/delta-screen.png"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.read(8) == QByteArray("\x89PNG\r\n\x1a\n"));
        const QImage image(path);
        QVERIFY(!image.isNull());
        QCOMPARE(image.width(), size.value(0).toInt());
        QCOMPARE(image.height(), size.value(1).toInt());
        QCOMPARE(delta->screenSize(), QSize(size.value(0).toInt(), size.value(1).toInt()));
        QCOMPARE(expectError([&] { alpha->screenshot("none"); }, "graphics = true"),
            MachineError::Kind::Usage);
        QCOMPARE(
            expectError([&] { alpha->screenSize(); }, "has no screen"), MachineError::Kind::Usage);
        // Typed keys reach the shell on the guest's screen: shifted characters and Enter too.
        delta->sendChars("echo 'Hello, World! a_b|c~' > /root/typed\n");
        delta->waitUntilSucceeds("test -s /root/typed", 60);
        QCOMPARE(delta->succeed("cat /root/typed"), QString("Hello, World! a_b|c~\n"));
        QCOMPARE(expectError([&] { delta->sendChars("caf\u00e9"); }, "no key types"),
            MachineError::Kind::Usage);
        delta->sendKey("shift");
        QCOMPARE(expectError([&] { delta->sendKey("ctrl-alt-delet"); }, "unknown key 'delet'"),
            MachineError::Kind::Usage);
    }

    void actionsAreReported()
    {
        alpha->succeed("echo reported");
        std::lock_guard lock(m_eventsMutex);
        const auto found
            = std::find_if(m_finished.cbegin(), m_finished.cend(), [](const ActionEvent &e) {
                  return e.machine == "alpha" && e.action == "succeed"
                      && e.argument("command").toString() == "echo reported";
              });
        QVERIFY(found != m_finished.cend());
        QCOMPARE(found->result, ActionEvent::Result::Ok);
        // succeed is one action: the command it runs is not reported again as an execute.
        QVERIFY(std::none_of(m_finished.cbegin(), m_finished.cend(), [](const ActionEvent &e) {
            return e.action == "execute" && e.argument("command").toString() == "echo reported";
        }));
        QVERIFY(found->startMs > 0 && found->durationMs >= 0);
        QVERIFY(std::any_of(m_finished.cbegin(), m_finished.cend(), [](const ActionEvent &e) {
            return e.action == "execute" && e.result == ActionEvent::Result::Timeout;
        }));
    }

    void syncedDataSurvivesCrashAndReboot()
    {
        alpha->succeed("echo persisted > /root/p.txt; sync");
        alpha->crash();
        QVERIFY(!alpha->isUp());
        QCOMPARE(alpha->qemuPid(), 0);
        alpha->start();
        QCOMPARE(alpha->succeed("cat /root/p.txt"), QString("persisted\n"));
        alpha->succeed("echo rebooted > /root/r.txt; sync");
        alpha->reboot();
        QCOMPARE(alpha->succeed("cat /root/r.txt /root/p.txt"), QString("rebooted\npersisted\n"));
    }

    void aStopIsNotACrash()
    {
        // The workbench's Stop All and a dropped test stop machines: logged as stop(), the
        // machine "off" and "stopped" (they were logged as crash() and drawn crashed).
        QList<QPair<QString, QString>> states;
        std::mutex mutex;
        const auto connection = QObject::connect(
            m_run->events(), &EventLog::happened, m_run->events(),
            [&](const Event &e) {
                if (const auto *state = std::get_if<event::MachineState>(&e)) {
                    std::lock_guard lock(mutex);
                    states.append({ state->state, state->detail });
                }
            },
            Qt::DirectConnection);
        alpha->stop();
        QObject::disconnect(connection);
        QVERIFY(!alpha->isUp());
        {
            std::lock_guard lock(m_eventsMutex);
            QCOMPARE(m_finished.last().action, QString("stop"));
        }
        std::lock_guard lock(mutex);
        QVERIFY(!states.isEmpty());
        QCOMPARE(states.last(), (QPair<QString, QString>("off", "stopped")));
        alpha->start();
        alpha->waitForReady(300);
    }

    void crashMidCommandIsAClearError()
    {
        auto running = std::async(std::launch::async, [&] { alpha->execute("sleep 60"); });
        QTest::qSleep(1000);
        alpha->crash();
        QVERIFY(running.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        try {
            running.get();
            QFAIL("the command survived the crash");
        } catch (const MachineError &e) {
            QCOMPARE(e.kind(), MachineError::Kind::Dead);
            QVERIFY2(QString(e.what()).contains("machine alpha"), e.what());
            QVERIFY2(QString(e.what()).contains("sleep 60"), e.what());
        }
    }

    void shutdownPowersOff()
    {
        gamma->shutdown(120);
        delta->shutdown(60);
        QVERIFY(!gamma->isUp());
        QVERIFY(!delta->isUp());
        QCOMPARE(gamma->qemuPid(), 0);
        QCOMPARE(delta->state(), Machine::State::Off);
        // And it starts again, and stays up: the halt message of the boot before was found
        // again in the console and killed the new QEMU within seconds.
        delta->start();
        delta->waitForReady(120);
        QTest::qSleep(3000);
        QCOMPARE(delta->succeed("echo again"), QString("again\n"));
        QVERIFY(delta->isUp());
    }

    void cleanupTestCase() { m_run.reset(); }
};

QTEST_GUILESS_MAIN(TestMachine)
#include "tst_machine.moc"
