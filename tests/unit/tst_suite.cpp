// A suite's plan (the tests found, a shard's share) and its reports (one junit.xml, index.html,
// timings.json; shards merged into one).
#include "core/suite/suiteplan.h"
#include "core/suite/suitereport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

void write(const QString &path, const QByteArray &text)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

QByteArray read(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QStringList names(const QList<SuiteTest> &tests)
{
    QStringList result;
    for (const SuiteTest &t : tests)
        result << t.name;
    return result;
}

QList<SuiteTest> tests(const QStringList &names)
{
    QList<SuiteTest> result;
    for (const QString &name : names)
        result << SuiteTest { name + ".toml", name, 256, 1 };
    return result;
}

} // namespace

class TestSuite : public QObject {
    Q_OBJECT

private slots:
    void aShardIsKOfN()
    {
        QString error;
        const auto shard = Shard::parse("2/3", &error);
        QVERIFY(shard);
        QCOMPARE(shard->index, 2);
        QCOMPARE(shard->count, 3);
        for (const char *bad : { "0/3", "4/3", "3", "a/b", "1/0", "-1/2", "" }) {
            QVERIFY2(!Shard::parse(bad, &error), bad);
            QVERIFY(error.contains("--shard takes K/N with 1 <= K <= N"));
        }
    }

    // Every *.toml under a directory, not a property's minimal cases (falsified/) or a hidden
    // folder's; sorted by name; memory summed over the machines.
    void aDirectoryIsItsTestFiles()
    {
        QTemporaryDir dir;
        write(dir.filePath("b.toml"), "name = \"bee\"\n[machines.a]\nmemory = 300\n[machines.b]\n");
        write(dir.filePath("sub/a.toml"), "[machines.a]\n");
        write(dir.filePath("falsified/P.toml"), "[machines.a]\n");
        write(dir.filePath(".git/x.toml"), "[machines.a]\n");
        write(dir.filePath("notes.txt"), "not a test");
        QStringList errors;
        const auto found = discoverSuite({ dir.path() }, &errors);
        QVERIFY2(found, qPrintable(errors.join('\n')));
        QCOMPARE(names(*found), (QStringList { "a", "bee" }));
        QCOMPARE(found->at(1).memoryMiB, 300 + 256);
        QCOMPARE(found->at(1).machines, 2);
    }

    void aSuiteThatCannotRunSaysWhy()
    {
        QTemporaryDir dir;
        write(dir.filePath("one.toml"), "name = \"same\"\n[machines.a]\n");
        write(dir.filePath("two.toml"), "name = \"same\"\n[machines.a]\n");
        write(dir.filePath("bad.toml"), "[machines.a]\nmemory = \"lots\"\n");
        QStringList errors;
        QVERIFY(!discoverSuite({ dir.path(), dir.filePath("missing.toml") }, &errors));
        const QString all = errors.join('\n');
        QVERIFY2(all.contains("missing.toml: no such test file or directory"), qPrintable(all));
        QVERIFY2(all.contains("its name \"same\" is the name of"), qPrintable(all));
        QVERIFY2(all.contains("bad.toml:2:"), qPrintable(all));

        QTemporaryDir empty;
        errors.clear();
        QVERIFY(!discoverSuite({ empty.path() }, &errors));
        QVERIFY2(errors.join('\n').contains("no test files (*.toml) in it"),
            qPrintable(errors.join('\n')));
    }

    // Without durations: every Nth test by name. The shards together are the suite, each test
    // in one of them, whatever order the tests came in.
    void theShardsAreTheSuiteEachTestOnce()
    {
        const QList<SuiteTest> suite = tests({ "e", "a", "d", "c", "b", "f", "g" });
        QStringList together;
        for (int k = 1; k <= 3; ++k)
            together << names(shardOf(suite, { k, 3 }));
        together.sort();
        QCOMPARE(together, (QStringList { "a", "b", "c", "d", "e", "f", "g" }));
        QCOMPARE(names(shardOf(suite, { 1, 3 })), (QStringList { "a", "d", "g" }));
        QCOMPARE(names(shardOf(suite, { 3, 3 })), (QStringList { "c", "f" }));
        QVERIFY(shardOf(tests({ "a" }), { 2, 2 }).isEmpty());
    }

    // With durations: the longest first, each to the shard with the least time so far; a test
    // with no recorded time counts as the median.
    void durationsBalanceTheShards()
    {
        const QList<SuiteTest> suite = tests({ "a", "b", "c", "d", "e", "new" });
        const QMap<QString, double> seconds { { "a", 100 }, { "b", 60 }, { "c", 50 }, { "d", 40 },
            { "e", 10 } };
        // 310 s in all (new counts as 50): the greedy split ends within one test's time.
        const QStringList one = names(shardOf(suite, { 1, 2 }, seconds));
        const QStringList two = names(shardOf(suite, { 2, 2 }, seconds));
        QStringList together = one + two;
        together.sort();
        QCOMPARE(together, (QStringList { "a", "b", "c", "d", "e", "new" }));
        const auto load = [&](const QStringList &shard) {
            double sum = 0;
            for (const QString &name : shard)
                sum += seconds.value(name, 50);
            return sum;
        };
        QVERIFY2(
            qAbs(load(one) - load(two)) <= 20, qPrintable(one.join(',') + " | " + two.join(',')));
        QVERIFY(one.contains("a") != two.contains("a"));
        QVERIFY(!(one.contains("a") && one.contains("b"))); // the two longest apart
    }

    void timingsFileIsReadOrRefused()
    {
        QTemporaryDir dir;
        write(dir.filePath("t.json"), R"({"a": 12.5, "b": 3})");
        QString error;
        const auto seconds = readTimings(dir.filePath("t.json"), &error);
        QVERIFY2(seconds, qPrintable(error));
        QCOMPARE(seconds->value("a"), 12.5);
        write(dir.filePath("bad.json"), R"({"a": "slow"})");
        QVERIFY(!readTimings(dir.filePath("bad.json"), &error));
        QVERIFY2(error.contains("the time of \"a\" is not a number of seconds"), qPrintable(error));
        QVERIFY(!readTimings(dir.filePath("none.json"), &error));
        QVERIFY(error.contains("cannot read the timings file"));
    }

    // One junit.xml (a testcase per test, failures and errors counted), index.html linking
    // each test's log.html, timings.json, and suite.json read back as written.
    void aSuitesReports()
    {
        QTemporaryDir dir;
        const QList<SuiteResult> results {
            { "ok", "/t/ok.toml", "ok", "passed", 0, 12.0, "" },
            { "broken", "/t/broken.toml", "broken", "failed", 1, 3.5, "ping: <timeout> & more" },
            { "bad", "/t/bad.toml", "", "error", 2, 0.1, "bad.toml:2:1: nope" },
        };
        QVERIFY(writeSuiteReports(dir.path(), "vivarium suite", results).isEmpty());
        const QByteArray junit = read(dir.filePath("junit.xml"));
        QVERIFY2(junit.contains("tests=\"3\" failures=\"1\" errors=\"1\""), junit.constData());
        QVERIFY(junit.contains("<testcase classname=\"vivarium suite\" name=\"broken\""));
        QVERIFY(junit.contains("message=\"ping: &lt;timeout&gt; &amp; more\""));
        const QByteArray index = read(dir.filePath("index.html"));
        QVERIFY(index.contains("1 of 3 passed"));
        QVERIFY(index.contains("<a href=\"broken/log.html\">broken</a>"));
        QVERIFY(index.contains("ping: &lt;timeout&gt; &amp; more"));
        QVERIFY(!index.contains("href=\"/log.html\"")); // a test that did not run has no link
        QString error;
        const auto back = readSuiteResults(dir.path(), &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(back->size(), 3);
        QCOMPARE(back->at(1).message, QString("ping: <timeout> & more"));
        const auto seconds = readTimings(dir.filePath("timings.json"), &error);
        QVERIFY(seconds);
        QCOMPARE(seconds->keys(), (QStringList { "broken", "ok" })); // not one that did not run
    }

    // Shards merged: each test's folder copied in, one report over all; a test in two shards
    // or a directory that is no suite's output is refused, and nothing is written.
    void shardsMergeIntoOneReport()
    {
        QTemporaryDir root;
        const QString one = root.filePath("shard-1"), two = root.filePath("shard-2");
        write(one + "/a/log.html", "A");
        write(two + "/b/log.html", "B");
        QVERIFY(
            writeSuiteReports(one, "s", { { "a", "a.toml", "a", "passed", 0, 5, "" } }).isEmpty());
        QVERIFY(writeSuiteReports(two, "s", { { "b", "b.toml", "b", "failed", 1, 7, "why" } })
                    .isEmpty());
        QList<SuiteResult> merged;
        const QStringList problems = mergeSuites({ one, two }, root.filePath("all"), &merged);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join('\n')));
        QCOMPARE(merged.size(), 2);
        QCOMPARE(read(root.filePath("all/b/log.html")), QByteArray("B"));
        const QByteArray junit = read(root.filePath("all/junit.xml"));
        QVERIFY2(junit.contains("tests=\"2\" failures=\"1\""), junit.constData());
        QVERIFY(read(root.filePath("all/index.html")).contains("<a href=\"a/log.html\">a</a>"));

        QVERIFY(!mergeSuites({ one, one }, root.filePath("again"), &merged).isEmpty());
        QVERIFY(!QFile::exists(root.filePath("again/junit.xml")));
        const QStringList notSuite
            = mergeSuites({ root.filePath("all/a") }, root.filePath("x"), &merged);
        QVERIFY(!notSuite.isEmpty());
        QVERIFY2(notSuite.first().contains("is not a suite's output directory"),
            qPrintable(notSuite.first()));
    }
};

QTEST_MAIN(TestSuite)
#include "tst_suite.moc"
