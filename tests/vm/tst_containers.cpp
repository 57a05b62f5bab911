// Container machines through vivarium-test, as a user runs them (tests/vm/containers/): a
// container and a VM on one VLAN, the guest semantics and refusals of containers, and a run
// killed with SIGKILL that leaves no process, cgroup or loop device behind.
#include "buildpaths.h"
#include "vmtestutil.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <csignal>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// Processes of containers on this host: their root is host user 1000000000 and up.
QStringList containerProcesses()
{
    QStringList found;
    for (const QString &pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        if (pid.toInt() <= 0)
            continue;
        QFile status(QStringLiteral("/proc/%1/status").arg(pid));
        if (!status.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &line : status.readAll().split('\n')) {
            if (line.startsWith("Uid:")
                && line.simplified().split(' ').value(1).toLongLong() >= 1000000000LL)
                found << pid;
        }
    }
    return found;
}

QStringList cgroupsOf(qint64 pid)
{
    QStringList found;
    for (const QString &controller : { QStringLiteral("memory"), QStringLiteral("pids"),
             QStringLiteral("freezer"), QStringLiteral("unified"), QString() }) {
        const QString dir = QStringLiteral("/sys/fs/cgroup/%1/vivarium").arg(controller);
        for (const QString &name :
            QDir(dir).entryList({ QStringLiteral("%1.*").arg(pid) }, QDir::Dirs))
            found << dir + QLatin1Char('/') + name;
    }
    return found;
}

void reapOrphans()
{
    while (::waitpid(-1, nullptr, WNOHANG) > 0) { }
}

} // namespace

class TestContainers : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (::geteuid() != 0)
            QSKIP("container machines need root");
        // A killed run's container processes come to this process (not a host init that may
        // not reap them), which reaps them as an init would.
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    }

    void aContainerAndAVmShareTheNetworkAndTheApi()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/containers/containers.toml"),
                "--no-video", "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("CONTAINERS OK"));
        QVERIFY(QFile::exists(out.path() + "/box.container.log"));
        reapOrphans();
        QTRY_VERIFY_WITH_TIMEOUT(containerProcesses().isEmpty(), 30000);
    }

    void aKilledRunLeavesNothingBehind()
    {
        QTemporaryDir out;
        QProcess test;
        test.setProcessChannelMode(QProcess::MergedChannels);
        test.start(vivariumTestProgram(),
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/containers/hold.toml"), "--no-video",
                "-o", out.path() });
        QVERIFY(test.waitForStarted());
        QByteArray output;
        QDeadlineTimer deadline(300000);
        while (!output.contains("HELD UP") && !deadline.hasExpired()
            && test.state() == QProcess::Running) {
            test.waitForReadyRead(1000);
            output += test.readAll();
        }
        QVERIFY2(output.contains("HELD UP"), output.right(2000).constData());
        QVERIFY(!containerProcesses().isEmpty());
        const qint64 pid = test.processId();
        QVERIFY(!cgroupsOf(pid).isEmpty());
        ::kill(pid_t(pid), SIGKILL);
        QVERIFY(test.waitForFinished(30000));
        // Every process of the container dies with it: the launcher and its init die with
        // their parents.
        QTRY_VERIFY_WITH_TIMEOUT((reapOrphans(), containerProcesses().isEmpty()), 60000);
        // No loop device still holds a machine disk of that run.
        QProcess losetup;
        losetup.start(QStringLiteral("losetup"), { QStringLiteral("-a") });
        QVERIFY(losetup.waitForFinished());
        QVERIFY2(!losetup.readAll().contains("/disk.img"), "a loop device outlived the run");
        // Its cgroups: the next run removes what the killed one could not.
        const ProgramRun next = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/containers/quick.toml"), "--no-video",
                "-o", out.path() + "/next" },
            {}, 300);
        QVERIFY2(passed(next), "the next run failed: its output is above");
        QVERIFY2(cgroupsOf(pid).isEmpty(), qPrintable(cgroupsOf(pid).join(' ')));
    }

    // The property-based demo over containers: every example a fresh network of containers,
    // the model's pings checked, nothing falsified.
    void thePropertyDemoRunsOnContainers()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/resources/demo/pbt-containers.toml"),
                "--examples", "10", "--seed", "3", "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the demo failed: its output is above");
        QVERIFY2(run.output.contains("property ContainersBootAndPing passed after"),
            qPrintable(scriptOutput(run).right(2000)));
        QVERIFY(run.output.contains("n1: start()"));
        // Each rule's figures over the search.
        static const QRegularExpression bootFigures(QStringLiteral(
            "property ContainersBootAndPing: boot: drawn (\\d+), ran (\\d+), did nothing \\d+, "
            "failed 0, blocked by a precondition \\d+"));
        const QRegularExpressionMatch boot = bootFigures.match(run.output);
        QVERIFY2(boot.hasMatch(), qPrintable(scriptOutput(run).right(2000)));
        QVERIFY(boot.captured(1).toInt() >= boot.captured(2).toInt());
        QVERIFY(boot.captured(2).toInt() > 0);
        QVERIFY(run.output.contains("check 'a ping between two running machines': made"));

        // One step an example (after the network): the boot only. What was never tested is
        // said, in the terminal and in log.html.
        QTemporaryDir shortOut;
        const ProgramRun shortRun = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/resources/demo/pbt-containers.toml"),
                "--examples", "4", "--steps", "2", "--seed", "3", "-o", shortOut.path() },
            {}, 600);
        QVERIFY2(passed(shortRun), "the demo failed: its output is above");
        for (const char *warning : { "warning: rule ping was never drawn",
                 "warning: check 'a ping between two running machines' was never made" }) {
            QVERIFY2(shortRun.output.contains(warning), warning);
        }
        QFile report(shortOut.path() + "/log.html");
        QVERIFY(report.open(QIODevice::ReadOnly));
        QVERIFY(report.readAll().contains(
            "<li class=\"warning\">warning: rule ping was never drawn</li>"));
    }

    // The Ping rule's minimal case the weighted seed search found on containers: a ping to a
    // machine that was off, the machine booted at once, a ping again: answered (the rule waits
    // until the first ping's address resolution has ended, as a real network needs).
    void aPingAfterAnUnansweredOneIsAnswered()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/containers/neighbour.toml"), "-o",
                out.path() },
            {}, 300);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("NEIGHBOUR OK"));
    }

    // A rule of weight 8 is drawn several times as often as one of weight 1 (equal weights
    // draw them about as often), and the figures say each weight; a weight for a rule the
    // property lacks is refused before any machine is made, naming the rules it has.
    void rulesAreDrawnByTheirWeights()
    {
        QTemporaryDir out;
        const QString test
            = QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/containers/weights.toml");
        const ProgramRun run = runVivariumTest({ test, "-o", out.path() }, {}, 600);
        QVERIFY2(passed(run), "the property failed: its output is above");
        static const QRegularExpression often(
            QStringLiteral("often \\(weight 8\\): drawn (\\d+), ran (\\d+)"));
        static const QRegularExpression rarely(QStringLiteral("rarely: drawn (\\d+), ran (\\d+)"));
        const QRegularExpressionMatch a = often.match(run.output);
        const QRegularExpressionMatch b = rarely.match(run.output);
        QVERIFY2(a.hasMatch() && b.hasMatch(), qPrintable(scriptOutput(run).right(2000)));
        const int oftenDrawn = a.captured(1).toInt();
        const int rarelyDrawn = b.captured(1).toInt();
        QVERIFY2(oftenDrawn >= 3 * std::max(rarelyDrawn, 1),
            qPrintable(QStringLiteral("often %1, rarely %2").arg(oftenDrawn).arg(rarelyDrawn)));

        qputenv("WEIGHTS_WRONG", "1");
        QTemporaryDir wrongOut;
        const ProgramRun wrong = runVivariumTest({ test, "-o", wrongOut.path() }, {}, 300);
        qunsetenv("WEIGHTS_WRONG");
        QVERIFY(wrong.exitCode != 0);
        QVERIFY2(
            wrong.output.contains("WrongWeights.weights names 'sometimes', which is not one of "
                                  "its rules (often, rarely)"),
            qPrintable(scriptOutput(wrong)));
        QVERIFY2(!wrong.output.contains("start()"), "a machine was made before the refusal");
    }

    // A parallel property whose race is not met again by the final replay keeps what it saw
    // as its regression test, saying it was not reproduced (it used to end in "Flaky" with
    // nothing kept).
    void aRaceNotMetAgainIsKeptAsARegressionTest()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/containers/flaky.toml"), "-o",
                out.path() },
            {}, 600);
        QVERIFY2(run.exitCode != 0, "a property that failed must not pass");
        QVERIFY2(run.output.contains("is kept as regression test"), qPrintable(scriptOutput(run)));
        QFile script(out.path() + "/falsified/Flaky.py");
        QVERIFY2(script.open(QIODevice::ReadOnly), "no regression test was written");
        const QByteArray text = script.readAll();
        QVERIFY2(text.contains("did not fail again when replayed"), text.constData());
        QVERIFY(text.contains("replay("));
        QVERIFY(QFile::exists(out.path() + "/falsified/Flaky.toml"));
    }

    void whatOnlyAVmHasIsRefusedAtLoad()
    {
        QTemporaryDir dir;
        writeTestFile(dir.path() + "/screen.toml",
            "name = \"screen\"\n[machines.box]\nkind = \"container\"\ngraphics = true\n"
            "disks = [{ size_mb = 16 }]\n");
        const ProgramRun run = runVivariumTest({ dir.path() + "/screen.toml" }, {}, 60);
        QCOMPARE(run.exitCode == 0, false);
        QVERIFY2(run.output.contains("screen.toml:2:11: machine 'box' is a container (kind = "
                                     "\"container\"), which has no graphics, disks"),
            qPrintable(run.output));
    }
};

QTEST_MAIN(TestContainers)
#include "tst_containers.moc"
