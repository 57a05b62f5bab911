// Coverage through vivarium-test, as a user runs it (docs/coverage.md): the demo's server and
// clients on two machines give one report in which each line names the machines that ran it;
// a crashed machine keeps what it flushed; containers are collected as VMs are; a test whose
// machines run nothing instrumented says so and still passes.
#include "buildpaths.h"
#include "core/coverage/coveragecollector.h"
#include "core/coverage/tracefile.h"
#include "vmtestutil.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <unistd.h>

using namespace vivarium;

namespace {

const QString demoSources = QStringLiteral("/opt/vivarium-demo/src/");

// The 1-based number of the only line of file that contains text.
int lineOf(const QString &file, const QString &text)
{
    QFile source(file);
    if (!source.open(QIODevice::ReadOnly))
        return -1;
    const QStringList lines = QString::fromUtf8(source.readAll()).split(QLatin1Char('\n'));
    int found = -1;
    for (int i = 0; i < lines.size(); ++i) {
        if (lines[i].contains(text)) {
            if (found > 0)
                return -2; // not one line: the test's marker is ambiguous
            found = i + 1;
        }
    }
    return found;
}

QStringList ran(const Tracefile &trace, const QString &file, const QString &text)
{
    const int line = lineOf(file, text);
    if (line <= 0)
        return { QStringLiteral("<no single line with '%1' in %2>").arg(text, file) };
    QStringList machines = trace.testsThatRan(file, line);
    machines.sort();
    return machines;
}

CoverageResult summaryOf(const QString &out)
{
    QFile file(out + QStringLiteral("/coverage/summary.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return CoverageResult::fromJson(QJsonDocument::fromJson(file.readAll()).object());
}

Tracefile allInfo(const QString &out)
{
    QString error;
    Tracefile trace = Tracefile::read(out + QStringLiteral("/coverage/all.info"), &error);
    if (!error.isEmpty())
        qWarning() << error;
    return trace;
}

// The demo's lines each machine must (not) have run, after its script.
void checkDemoAttribution(const QString &out)
{
    const Tracefile trace = allInfo(out);
    const QStringList both { QStringLiteral("client"), QStringLiteral("server") };
    const QStringList server { QStringLiteral("server") };
    const QStringList client { QStringLiteral("client") };
    // Only the server answers a GET that misses; only the client prints replies.
    QCOMPARE(ran(trace, demoSources + "server.c", "misses++;"), server);
    QCOMPARE(ran(trace, demoSources + "client.c", "puts(line);"), client);
    // The protocol's code runs on both.
    QCOMPARE(ran(trace, demoSources + "protocol.c", "size_t length = strlen(text);"), both);
    // The server never saw a full store: no machine ran that line.
    QCOMPARE(
        ran(trace, demoSources + "server.c", "demo_write_line(fd, \"ERR full\");"), QStringList());
    // Python, measured by coverage.py in the client's process.
    QCOMPARE(
        ran(trace, "/opt/vivarium-demo/bin/vivarium-demo-stats", "connection.sendall"), client);
    // The per-machine tracefiles hold only their machine.
    QString error;
    const Tracefile serverInfo
        = Tracefile::read(out + QStringLiteral("/coverage/server.info"), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(serverInfo.tests().keys(), server);
}

} // namespace

class TestCoverage : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (!QFile::exists(QStringLiteral("/opt/vivarium-demo/bin/vivarium-demo-server")))
            QFAIL("the coverage demo is not built: scripts/setup builds it into "
                  "/opt/vivarium-demo");
    }

    void theDemoReportNamesTheMachinesThatRanEachLine()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/resources/demo/coverage-demo.toml"),
                "--no-video", "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the demo failed: its output is above");
        QVERIFY2(run.output.contains("coverage: "), qPrintable(scriptOutput(run)));
        checkDemoAttribution(out.path());

        const CoverageResult summary = summaryOf(out.path());
        QVERIFY(summary.hasData);
        QCOMPARE(summary.machines.keys(), QStringList({ "client", "server" }));
        QVERIFY2(summary.problems.isEmpty(), qPrintable(summary.problems.join('\n')));
        QVERIFY(summary.all.linesHit > summary.machines.value("server").linesHit);
        QVERIFY(summary.all.linesHit < summary.all.linesFound);
        QVERIFY(QFile::exists(out.path() + "/coverage/html/index.html"));

        QFile junit(out.path() + "/junit.xml");
        QVERIFY(junit.open(QIODevice::ReadOnly));
        const QByteArray xml = junit.readAll();
        QVERIFY(xml.contains("<property name=\"coverage.lines.percent\""));
        QVERIFY(xml.contains("<property name=\"coverage.server.lines.hit\""));
        QFile report(out.path() + "/log.html");
        QVERIFY(report.open(QIODevice::ReadOnly));
        QVERIFY(report.readAll().contains("<a href=\"coverage/html/index.html\">"));
        QFile cobertura(out.path() + "/coverage/cobertura.xml");
        QVERIFY(cobertura.open(QIODevice::ReadOnly));
        QVERIFY(cobertura.readAll().contains("filename=\"opt/vivarium-demo/src/server.c\""));
    }

    void aCrashedMachineKeepsWhatItFlushed()
    {
        QTemporaryDir out;
        const ProgramRun run
            = runVivariumTest({ QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/coverage/crash.toml"),
                                  "--no-video", "-o", out.path() },
                {}, 600);
        QVERIFY2(passed(run), "the test failed: its output is above");
        const Tracefile trace = allInfo(out.path());
        const QStringList server { QStringLiteral("server") };
        // PUT ran before the flush; DEL after it, and the crash lost its counts.
        QCOMPARE(ran(trace, demoSources + "server.c", "snprintf(keys[at], demo_line_max"), server);
        QCOMPARE(ran(trace, demoSources + "server.c", "keys[at][0] = '\\0';"), QStringList());
        const CoverageResult summary = summaryOf(out.path());
        QVERIFY2(summary.problems.join('\n').contains("server: crashed during the run"),
            qPrintable(summary.problems.join('\n')));
    }

    // Counters that did not fit on a full file system: one line naming the machine and the
    // file system, the test's verdict unchanged.
    void aFullFileSystemForTheCountersIsSaid()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/coverage/fulldisk.toml"), "--no-video",
                "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the test failed: its output is above");
        const CoverageResult summary = summaryOf(out.path());
        const QString problems = summary.problems.join('\n');
        QVERIFY2(problems.contains("server: ") && problems.contains("was full")
                && problems.contains("/vivarium/coverage/gcov"),
            qPrintable(problems));
    }

    // A parallel property's examples are collected and reported as a sequential one's: each
    // example's line says what it added, and its network's counters are in the report.
    void parallelPropertyExamplesAreCollected()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/coverage/parallel.toml"), "--no-video",
                "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QFile events(out.path() + "/events.jsonl");
        QVERIFY(events.open(QIODevice::ReadOnly));
        int scored = 0;
        for (const QByteArray &line : events.readAll().split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            scored += e.value("type").toString() == "property_example"
                && e.value("coverage")
                       .toString()
                       .contains(QRegularExpression("^\\+\\d+ lines, \\+\\d+ branches new"));
        }
        QVERIFY2(scored > 0, qPrintable(scriptOutput(run).right(3000)));
        QVERIFY(!QDir(out.path() + "/coverage/examples").entryList({ "*.info" }).isEmpty());
        const Tracefile trace = allInfo(out.path());
        QVERIFY(
            !ran(trace, demoSources + "server.c", "snprintf(keys[at], demo_line_max").isEmpty());
    }

    // The Redis demo (resources/demo/pbt-redis): Redis built with --coverage by the set-up,
    // each example scored by the Redis lines it ran, the report naming Redis's own sources.
    void theRedisPropertyIsScoredByRedisCoverage()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/resources/demo/pbt-redis.toml"), "--examples",
                "4", "--no-video", "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the test failed: its output is above");
        const QRegularExpression added("example 1 \\(generate\\) passed.*coverage \\+(\\d+) lines");
        const QRegularExpressionMatch first = added.match(run.output);
        QVERIFY2(first.hasMatch(), qPrintable(scriptOutput(run).right(3000)));
        QVERIFY2(first.captured(1).toInt() > 1000, qPrintable(first.captured(0))); // Redis ran
        const Tracefile trace = allInfo(out.path());
        QVERIFY(
            !ran(trace, "/opt/vivarium-demo/redis/src/server.c", "int main(int argc").isEmpty());
    }

    void containersAreCollectedAsVmsAre()
    {
        if (::geteuid() != 0)
            QSKIP("container machines need root");
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/coverage/containers.toml"),
                "--no-video", "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the test failed: its output is above");
        checkDemoAttribution(out.path());
    }

    // /vivarium on the machine's own disk: read from the image of a machine that is off, over
    // the backdoor from one that runs (after its flush).
    void imageRootsAreCollectedFromTheirDisks()
    {
        QTemporaryDir out;
        const ProgramRun run
            = runVivariumTest({ QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/coverage/image.toml"),
                                  "--no-video", "-o", out.path() },
                {}, 900);
        QVERIFY2(passed(run), "the test failed: its output is above");
        checkDemoAttribution(out.path());
    }

    // The guided property demo (containers): each example's network is collected, each
    // example says what it added, none is empty, and the run's report holds them all.
    void propertyExamplesAreCollectedAndScored()
    {
        if (::geteuid() != 0)
            QSKIP("container machines need root");
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/resources/demo/pbt-coverage.toml"), "--examples",
                "20", "--seed", "3", "--no-video", "-o", out.path() },
            {}, 600);
        // Whether the search met the planted bug is the search's business: not asserted.
        QVERIFY2(run.output.contains("property KeyValueStore "), qPrintable(scriptOutput(run)));
        QFile events(out.path() + "/events.jsonl");
        QVERIFY(events.open(QIODevice::ReadOnly));
        int examples = 0, scored = 0;
        for (const QByteArray &line : events.readAll().split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            if (e.value("type").toString() != "property_example")
                continue;
            ++examples;
            QVERIFY2(!e.value("steps").toArray().isEmpty(),
                qPrintable("an example that ran no step: " + QString::fromUtf8(line)));
            if (e.value("coverage")
                    .toString()
                    .contains(QRegularExpression("^\\+\\d+ lines, "
                                                 "\\+\\d+ branches new")))
                ++scored;
        }
        QVERIFY(examples >= 10);
        QCOMPARE(scored, examples);
        QVERIFY(QDir(out.path() + "/coverage/examples").entryList({ "*.info" }).size() >= examples);
        const CoverageResult summary = summaryOf(out.path());
        QVERIFY(summary.hasData);
        QCOMPARE(summary.machines.keys(), QStringList { "n1" });
        const Tracefile trace = allInfo(out.path());
        QCOMPARE(ran(trace, demoSources + "server.c", "overwrites++;"), QStringList { "n1" });
    }

    void nothingInstrumentedIsSaidNotShownAsZero()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/coverage/nothing.toml"), "--no-video",
                "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "coverage problems must not fail the test: its output is above");
        QVERIFY2(run.output.contains("coverage: none collected: no machine wrote coverage "
                                     "counters"),
            qPrintable(scriptOutput(run)));
        QVERIFY(!QFile::exists(out.path() + "/coverage/html/index.html"));
        QFile report(out.path() + "/log.html");
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray html = report.readAll();
        QVERIFY(html.contains("Coverage: none collected"));
        QVERIFY(!html.contains("0.0%"));
    }
};

QTEST_GUILESS_MAIN(TestCoverage)
#include "tst_coverage.moc"
