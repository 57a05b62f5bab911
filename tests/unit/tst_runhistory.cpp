// The runs a user keeps and compares: each run in a directory of its own that nothing
// overwrites, the oldest removed past the limit but never one in use nor anything that is not a
// run, a summary read from events.jsonl, and two runs lined up by script line with the first
// step where they differ.
#include "core/event/events.h"
#include "core/report/eventrecorder.h"
#include "core/report/runcomparison.h"
#include "core/report/runhistory.h"
#include "core/util/outputdirectory.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

struct Call {
    int line;
    QString command;
    ActionEvent::Result result = ActionEvent::Result::Ok;
    QString output = {};
    qint64 durationMs = 100;
};

// A run's events.jsonl as a run writes it: started, the calls, finished.
void writeRun(const QString &directory, qint64 start, const QList<Call> &calls,
    ScriptResult::Outcome outcome = ScriptResult::Outcome::Passed, int failingLine = 0)
{
    EventRecorder recorder(directory + QStringLiteral("/events.jsonl"));
    recorder.record(
        event::RunStarted { QStringLiteral("web"), QStringLiteral("/t/web.py"), directory });
    quint64 id = 0;
    qint64 t = start;
    for (const Call &call : calls) {
        ActionEvent e;
        e.id = ++id;
        e.machine = QStringLiteral("server");
        e.action = QStringLiteral("succeed");
        e.arguments = { { QStringLiteral("command"), call.command } };
        e.file = QStringLiteral("/t/web.py");
        e.line = call.line;
        e.startMs = t;
        recorder.record(event::ActionStarted { e });
        e.durationMs = call.durationMs;
        e.result = call.result;
        if (call.result == ActionEvent::Result::Ok)
            e.setOutput(call.output);
        else
            e.message = QStringLiteral("command failed with exit 1");
        recorder.record(event::ActionFinished { e });
        t += call.durationMs;
    }
    ScriptResult result;
    result.outcome = outcome;
    result.file = QStringLiteral("/t/web.py");
    result.line = failingLine;
    result.message = failingLine ? QStringLiteral("command failed") : QString();
    recorder.record(event::Finished { result });
}

} // namespace

class TestRunHistory : public QObject {
    Q_OBJECT

private slots:
    void eachRunGetsADirectoryOfItsOwn()
    {
        QTemporaryDir base;
        const RunHistory history(base.filePath(QStringLiteral("runs")));
        QString error;
        const QString first = history.newRun(&error);
        const QString second = history.newRun(&error);
        QVERIFY2(!first.isEmpty() && !second.isEmpty(), qPrintable(error));
        QVERIFY(first != second); // the same second: a suffix, never the same directory
        QVERIFY(RunHistory::isRunName(QDir(first).dirName()));
        QVERIFY(RunHistory::isRunName(QDir(second).dirName()));
        QCOMPARE(QFile(first).permissions() & (QFile::ReadOther | QFile::ReadGroup),
            QFileDevice::Permissions());
        // Two tests with one name in two folders do not share a history.
        QVERIFY(
            RunHistory::folderFor(base.path(), QStringLiteral("web"), QStringLiteral("/a/web.toml"))
            != RunHistory::folderFor(
                base.path(), QStringLiteral("web"), QStringLiteral("/b/web.toml")));
    }

    void aSummaryComesFromTheEvents()
    {
        QTemporaryDir base;
        const RunHistory history(base.path());
        QString error;
        const QString run = history.newRun(&error);
        writeRun(run, 1796562099000,
            { { 3, QStringLiteral("true") },
                { 5, QStringLiteral("false"), ActionEvent::Result::Failed } },
            ScriptResult::Outcome::Failed, 5);
        const RunSummary summary = RunHistory::summarize(run);
        QCOMPARE(summary.test, QStringLiteral("web"));
        QCOMPARE(summary.verdict(), QStringLiteral("failed"));
        QCOMPARE(summary.failingLine(), QStringLiteral("web.py:5"));
        QCOMPARE(summary.actions, 2);
        QVERIFY(summary.started.isValid());
        // A run killed before its end has no verdict: it says so, not "passed".
        const QString killed = history.newRun(&error);
        EventRecorder(killed + QStringLiteral("/events.jsonl"))
            .record(event::RunStarted { QStringLiteral("web"), {}, killed });
        QCOMPARE(RunHistory::summarize(killed).verdict(), QStringLiteral("did not finish"));
        QVERIFY(!QFile::exists(killed + "/summary.json")); // it may still go on
    }

    // A finished run's summary is read from summary.json the next time, until its events change.
    void aFinishedRunsSummaryIsKept()
    {
        QTemporaryDir base;
        const RunHistory history(base.path());
        QString error;
        const QString run = history.newRun(&error);
        writeRun(run, 1796562099000, { { 3, QStringLiteral("true") } },
            ScriptResult::Outcome::Passed, 0);
        const RunSummary first = RunHistory::summarize(run);
        QVERIFY(QFile::exists(run + "/summary.json"));
        // Proof it is read: a summary that differs from the events wins while they are as they
        // were.
        QFile cache(run + "/summary.json");
        QVERIFY(cache.open(QIODevice::ReadWrite));
        QByteArray json = cache.readAll();
        json.replace("\"actions\":1", "\"actions\":7");
        cache.resize(0);
        cache.write(json);
        cache.close();
        const RunSummary cached = RunHistory::summarize(run);
        QCOMPARE(cached.actions, 7);
        QCOMPARE(cached.verdict(), first.verdict());
        QCOMPARE(cached.started, first.started);
        QCOMPARE(cached.durationMs, first.durationMs);
        QCOMPARE(cached.test, first.test);
        // Events that changed make it stale: read again.
        QFile events(run + "/events.jsonl");
        QVERIFY(events.open(QIODevice::Append));
        events.write("\n");
        events.close();
        QCOMPARE(RunHistory::summarize(run).actions, 1);
    }

    void pruningKeepsTheNewestAndWhatIsInUse()
    {
        QTemporaryDir base;
        const RunHistory history(base.path());
        QStringList runs;
        QString error;
        for (int i = 0; i < 5; ++i) {
            runs << history.newRun(&error);
            writeRun(runs.last(), 1796562099000 + i * 60000, { { 1, QStringLiteral("true") } });
        }
        // The oldest is in use by a run, and the folder holds things that are not runs.
        OutputDirectory held;
        QVERIFY(held.claim(runs.at(0), &error));
        QDir(base.path()).mkdir(QStringLiteral("notes"));
        QFile(base.filePath(QStringLiteral("2026-01-01.txt"))).open(QIODevice::WriteOnly);
        const QStringList removed = history.prune(2);
        QCOMPARE(removed, (QStringList { runs.at(2), runs.at(1) }));
        QVERIFY(QDir(runs.at(0)).exists());
        QVERIFY(QDir(runs.at(3)).exists() && QDir(runs.at(4)).exists());
        QVERIFY(QDir(base.filePath(QStringLiteral("notes"))).exists());
        QVERIFY(QFile::exists(base.filePath(QStringLiteral("2026-01-01.txt"))));
        const QList<RunSummary> listed = history.runs();
        QCOMPARE(listed.size(), 3);
        QCOMPARE(listed.first().directory, runs.at(4)); // newest first
        QVERIFY(listed.last().inUse);
    }

    void aRunThatGoesOnKeepsTheLastOneAsACopy()
    {
        QTemporaryDir base;
        const RunHistory history(base.path());
        QString error;
        const QString run = history.newRun(&error);
        writeRun(run, 1796562099000, { { 1, QStringLiteral("true") } });
        QDir(run).mkdir(QStringLiteral("screenshots"));
        QFile shot(run + QStringLiteral("/screenshots/a.png"));
        QVERIFY(shot.open(QIODevice::WriteOnly));
        shot.write("png");
        shot.close();
        OutputDirectory held;
        QVERIFY(held.claim(run, &error));
        const QString copy = history.keepCopy(run, &error);
        QVERIFY2(!copy.isEmpty(), qPrintable(error));
        QVERIFY(QFile::exists(copy + QStringLiteral("/screenshots/a.png")));
        QVERIFY(!QFile::exists(copy + QStringLiteral("/.vivarium.lock")));
        QCOMPARE(RunHistory::summarize(copy).actions, 1);
    }

    void twoRunsLineUpByScriptLine()
    {
        QTemporaryDir base;
        const RunHistory history(base.path());
        QString error;
        const QString a = history.newRun(&error);
        const QString b = history.newRun(&error);
        writeRun(a, 1796562099000,
            { { 1, QStringLiteral("boot"), ActionEvent::Result::Ok, QStringLiteral("up"), 900 },
                { 2, QStringLiteral("curl"), ActionEvent::Result::Ok, QStringLiteral("hello"),
                    100 },
                { 4, QStringLiteral("check"), ActionEvent::Result::Ok, QStringLiteral("ok"),
                    50 } });
        // Run B retried line 2 once more (an extra step), got other output at line 4.
        writeRun(b, 1796562199000,
            { { 1, QStringLiteral("boot"), ActionEvent::Result::Ok, QStringLiteral("up"), 5000 },
                { 2, QStringLiteral("curl"), ActionEvent::Result::Ok, QStringLiteral("hello"),
                    100 },
                { 3, QStringLiteral("retry"), ActionEvent::Result::Ok, QStringLiteral(""), 10 },
                { 4, QStringLiteral("check"), ActionEvent::Result::Ok, QStringLiteral("not ok"),
                    60 } });
        RunComparison c;
        QVERIFY2(RunComparison::compareRuns(a, b, &c, &error), qPrintable(error));
        QCOMPARE(c.rows.size(), 4);
        QCOMPARE(c.rows.at(2).a, -1);
        QCOMPARE(c.rows.at(2).b, 2);
        QCOMPARE(c.rows.at(2).difference, QStringLiteral("only in run B"));
        QCOMPARE(c.rows.at(3).difference, QStringLiteral("other output"));
        QCOMPARE(c.firstDifference, 2);
        QCOMPARE(c.durationChanges.first().row, 0); // boot: 900 ms -> 5000 ms
        QVERIFY(c.summary().contains(QStringLiteral("first difference, step 3")));
        // The same run against itself: no difference.
        QVERIFY(RunComparison::compareRuns(a, a, &c, &error));
        QCOMPARE(c.firstDifference, -1);
        // A failure where the other run passed is a difference in result.
        const QString failed = history.newRun(&error);
        writeRun(failed, 1796562299000,
            { { 1, QStringLiteral("boot"), ActionEvent::Result::Ok, QStringLiteral("up") },
                { 2, QStringLiteral("curl"), ActionEvent::Result::Failed } },
            ScriptResult::Outcome::Failed, 2);
        QVERIFY(RunComparison::compareRuns(a, failed, &c, &error));
        QCOMPARE(c.firstDifference, 1);
        QCOMPARE(c.rows.at(1).difference, QStringLiteral("ok in run A, failed in run B"));
        // The same call at the same line with other arguments is the same step, differing.
        const QString other = history.newRun(&error);
        writeRun(other, 1796562399000,
            { { 1, QStringLiteral("boot"), ActionEvent::Result::Ok, QStringLiteral("up") },
                { 2, QStringLiteral("curl -v"), ActionEvent::Result::Ok, QStringLiteral("hello") },
                { 4, QStringLiteral("check"), ActionEvent::Result::Ok, QStringLiteral("ok") } });
        QVERIFY(RunComparison::compareRuns(a, other, &c, &error));
        QCOMPARE(c.rows.size(), 3);
        QCOMPARE(c.firstDifference, 1);
        QCOMPARE(c.rows.at(1).difference, QStringLiteral("other arguments"));
        // Not a run: a clear message.
        QVERIFY(
            !RunComparison::compareRuns(a, base.filePath(QStringLiteral("nowhere")), &c, &error));
        QVERIFY(error.contains(QStringLiteral("has no events.jsonl")));
    }

    void aFailedSubtestPointsAtTheCallInIt()
    {
        // The subtest starts before its calls, but its result follows from them: the first
        // difference is the call.
        RunStep subtest { "/t/web.py", 5, "subtest \"flaky\"", "subtest \"flaky\"",
            ActionEvent::Result::Failed, {}, {}, {}, 900, true };
        RunStep call { "/t/web.py", 6, "server.succeed", "server.succeed(\"echo $RANDOM\")",
            ActionEvent::Result::Ok, {}, "1", "digest-1", 10 };
        QList<RunStep> a { subtest, call };
        subtest.result = ActionEvent::Result::Ok;
        call.outputDigest = "digest-0";
        QList<RunStep> b { subtest, call };
        RunComparison c = RunComparison::compare(a, b);
        QCOMPARE(c.firstDifference, 1);
        QCOMPARE(c.rows.at(1).difference, QStringLiteral("other output"));
        // Only the subtest differs: then it is the first difference.
        b[1].outputDigest = "digest-1";
        c = RunComparison::compare(a, b);
        QCOMPARE(c.firstDifference, 0);
    }

    void anOutputIsComparedWhole()
    {
        // Two outputs the same in their first 4 KiB: the digest still tells them apart.
        ActionEvent x, y;
        const QString head(ActionEvent::outputLimit, QLatin1Char('a'));
        x.setOutput(head + QStringLiteral("b"));
        y.setOutput(head + QStringLiteral("c"));
        QCOMPARE(x.output, y.output);
        QVERIFY(x.outputDigest != y.outputDigest);
        QVERIFY(x.output.toString().contains(QStringLiteral("characters in all")));
        // It survives events.jsonl.
        const ActionEvent back = ActionEvent::fromJson(x.toJson());
        QCOMPARE(back.outputDigest, x.outputDigest);
        QCOMPARE(back.output, x.output);
    }
};

QTEST_GUILESS_MAIN(TestRunHistory)
#include "tst_runhistory.moc"
