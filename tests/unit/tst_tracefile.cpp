// Coverage on the host, no guest: lcov tracefiles read and merged machine by machine, the
// Cobertura file, and the collector with the field's real tools (gcc --coverage and geninfo,
// clang and llvm-cov, coverage.py) on counters written into machine directories as a guest's
// programs write them.
#include "core/coverage/coveragecollector.h"
#include "core/coverage/gcovjson.h"
#include "core/coverage/tracefile.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

const QByteArray serverInfo = "TN:server\nSF:/src/p.c\nFN:9,main\nFNDA:1,main\n"
                              "BRDA:10,0,0,1\nBRDA:10,0,1,-\nDA:10,4\nDA:11,0\nLF:2\nLH:1\n"
                              "end_of_record\n";
const QByteArray clientInfo = "TN:client\nSF:/src/p.c\nFN:9,main\nFNDA:2,main\n"
                              "BRDA:10,0,0,-\nBRDA:10,0,1,3\nDA:10,0\nDA:11,2\nDA:12,0\nLF:3\n"
                              "LH:1\nend_of_record\n";

bool run(const QString &program, const QStringList &arguments, const QStringList &env = {},
    const QString &dir = {})
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString &pair : env)
        environment.insert(pair.section('=', 0, 0), pair.section('=', 1));
    process.setProcessEnvironment(environment);
    process.setProcessChannelMode(QProcess::MergedChannels);
    if (!dir.isEmpty())
        process.setWorkingDirectory(dir);
    process.start(program, arguments);
    if (!process.waitForFinished(120000) || process.exitCode() != 0) {
        qWarning() << program << arguments << process.readAll();
        return false;
    }
    return true;
}

int lineOf(const QString &file, const char *text)
{
    QFile source(file);
    if (!source.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = source.readAll().split('\n');
    for (int i = 0; i < lines.size(); ++i)
        if (lines[i].contains(text))
            return i + 1;
    return -1;
}

const char program[] = "#include <stdio.h>\n"
                       "int main(int argc, char **argv) {\n"
                       "    if (argc > 1 && argv[1][0] == 'a')\n"
                       "        puts(\"only a\");\n"
                       "    else\n"
                       "        puts(\"only b\");\n"
                       "    return 0;\n"
                       "}\n";

} // namespace

class TestTracefile : public QObject {
    Q_OBJECT

private slots:
    void twoMachinesMergeLineByLine()
    {
        QString error;
        Tracefile all = Tracefile::parse(serverInfo, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        all.add(Tracefile::parse(clientInfo, &error));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(all.testsThatRan("/src/p.c", 10), QStringList { "server" });
        QCOMPARE(all.testsThatRan("/src/p.c", 11), QStringList { "client" });
        QCOMPARE(all.testsThatRan("/src/p.c", 12), QStringList());
        const SourceCoverage combined = all.combined();
        QCOMPARE(combined.value("/src/p.c").lines.value(10), 4);
        QCOMPARE(combined.value("/src/p.c").lines.value(11), 2);
        const CoverageTotals totals = CoverageTotals::of(combined);
        QCOMPARE(totals.linesFound, 3);
        QCOMPARE(totals.linesHit, 2);
        // One machine took each side of the branch: both are covered together.
        QCOMPARE(totals.branchesFound, 2);
        QCOMPARE(totals.branchesHit, 2);
        QCOMPARE(totals.functionsHit, 1);
        QCOMPARE(combined.value("/src/p.c").functions.value("main"), 3);
        // What Vivarium writes, it reads back the same.
        const Tracefile again = Tracefile::parse(all.text(), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(again.text(), all.text());
        QCOMPARE(again.tests().keys(), QStringList({ "client", "server" }));
    }

    void aBrokenTracefileNamesItsLine()
    {
        QString error;
        Tracefile::parse("TN:x\nSF:/a.c\nDA:1,1\nDA:x,y\n", &error);
        QVERIFY2(
            error.contains("line 4 is not lcov's tracefile format: DA:x,y"), qPrintable(error));
        Tracefile::parse("DA:1,1\n", &error);
        QVERIFY2(error.contains("line 1"), qPrintable(error));
    }

    void coberturaHasRatesLinesAndConditions()
    {
        QString error;
        Tracefile all = Tracefile::parse(serverInfo, &error);
        all.add(Tracefile::parse(clientInfo, &error));
        const QByteArray xml = coberturaXml(all.combined(), 1700000000);
        QVERIFY(xml.contains("line-rate=\"0.6667\""));
        QVERIFY(xml.contains("lines-covered=\"2\" lines-valid=\"3\""));
        QVERIFY(xml.contains("filename=\"src/p.c\""));
        QVERIFY(xml.contains(
            "<line number=\"10\" hits=\"4\" branch=\"true\" condition-coverage=\"100% (2/2)\"/>"));
        QVERIFY(xml.contains("<line number=\"12\" hits=\"0\" branch=\"false\"/>"));
    }

    // GCC's counters written into two machines' directories (GCOV_PREFIX, as the guests'
    // programs write them), Python's beside them: one tracefile per machine, and which ran what.
    void theCollectorAttributesRealCountersToTheirMachines()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString build = dir.filePath("build");
        QVERIFY(QDir().mkpath(build));
        const QString source = build + "/p.c";
        QFile file(source);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(program);
        file.close();
        QVERIFY(run("gcc", { "--coverage", "-O0", "-o", "p", "p.c" }, {}, build));
        for (const auto &[machine, argument] :
            { std::pair { "alpha", "a" }, std::pair { "beta", "b" } }) {
            const QString counters = dir.filePath(QStringLiteral("%1/gcov").arg(machine));
            QVERIFY(run(
                build + "/p", { argument }, { "GCOV_PREFIX=" + counters, "GCOV_PREFIX_STRIP=0" }));
        }
        const QString script = build + "/tool.py";
        QFile python(script);
        QVERIFY(python.open(QIODevice::WriteOnly));
        python.write("import sys\nif len(sys.argv) > 1:\n    print('argument')\nelse:\n"
                     "    print('none')\n");
        python.close();
        QVERIFY(QDir().mkpath(dir.filePath("beta/python")));
        QVERIFY(run("/usr/bin/python3", { "-m", "coverage", "run", "-p", script },
            { "COVERAGE_FILE=" + dir.filePath("beta/python/.coverage") }));

        CoverageSettings settings;
        settings.enabled = true;
        settings.include = { build + "/*" };
        CoverageCollector collector(settings, "t", dir.filePath("out"));
        const CoverageResult result = collector.collect(
            { { "alpha", dir.filePath("alpha"), {} }, { "beta", dir.filePath("beta"), {} } });
        QVERIFY2(result.problems.isEmpty(), qPrintable(result.problems.join('\n')));
        QVERIFY(result.hasData);
        QCOMPARE(result.machines.keys(), QStringList({ "alpha", "beta" }));
        QString error;
        const Tracefile all = Tracefile::read(result.directory + "/all.info", &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(all.testsThatRan(source, lineOf(source, "only a")), QStringList { "alpha" });
        QCOMPARE(all.testsThatRan(source, lineOf(source, "only b")), QStringList { "beta" });
        QCOMPARE(
            all.testsThatRan(source, lineOf(source, "return 0")), QStringList({ "alpha", "beta" }));
        QCOMPARE(all.testsThatRan(script, lineOf(script, "print('none')")), QStringList { "beta" });
        QCOMPARE(all.testsThatRan(script, lineOf(script, "print('argument')")), QStringList());
        QVERIFY(QFile::exists(result.directory + "/html/index.html"));
        // genhtml's source page says on which machines each line ran.
        QDirIterator pages(result.directory + "/html", { "p.c.gcov.html" }, QDir::Files,
            QDirIterator::Subdirectories);
        QVERIFY(pages.hasNext());
        QFile page(pages.next());
        QVERIFY(page.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(page.readAll());
        const auto lineHtml = [&html](int number) {
            const qsizetype at = html.indexOf(QStringLiteral("<a name=\"%1\">").arg(number));
            return html.mid(at, html.indexOf('\n', at) - at);
        };
        QVERIFY2(lineHtml(lineOf(source, "only a")).contains("title=\"ran on alpha\""),
            qPrintable(lineHtml(lineOf(source, "only a"))));
        QVERIFY(lineHtml(lineOf(source, "return 0")).contains("title=\"ran on alpha, beta\""));
        QVERIFY(lineHtml(lineOf(source, "#include")).contains("no machine ran this line"));
        QVERIFY(QFile::exists(result.directory + "/alpha.info"));
        QVERIFY(!QFile::exists(result.directory + "/.work"));

        // The program rebuilt after the counters were written: they are not its build's.
        QVERIFY(run("gcc", { "--coverage", "-O0", "-DREBUILT", "-o", "p", "p.c" }, {}, build));
        const CoverageResult stale = collector.collect({ { "alpha", dir.filePath("alpha"), {} } });
        QVERIFY2(stale.problems.join('\n').contains("alpha: ")
                && stale.problems.join('\n').contains("different builds"),
            qPrintable(stale.problems.join('\n')));
    }

    // Vivarium reads gcov's JSON itself (geninfo's Perl is 25 times slower): what it reads
    // must be what geninfo makes of the same counters, record for record, across two objects
    // that share a header, with branches never reached and lcov's exclusion markers.
    void gcovJsonReadsAsGeninfoDoes()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto write = [&](const QString &name, const QByteArray &text) {
            QFile file(dir.filePath(name));
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(text);
        };
        write("shared.h",
            "static inline int twice(int x) {\n    if (x > 100)\n        return 0;\n"
            "    return 2 * x;\n}\n");
        write("a.c",
            "#include \"shared.h\"\nint helper(int x);\n"
            "int main(int argc, char **argv) {\n    (void)argv;\n"
            "    int sum = twice(argc);\n"
            "    if (argc > 3 && argc < 9) /* a branch never taken */\n        sum += "
            "helper(argc);\n"
            "    if (sum == 12345) { sum = 0; } /* LCOV_EXCL_LINE */\n"
            "    /* LCOV_EXCL_START */\n    if (sum < 0)\n        sum = -sum;\n"
            "    /* LCOV_EXCL_STOP */\n    return sum > 1000;\n}\n");
        write("b.c",
            "#include \"shared.h\"\nint helper(int x) {\n    switch (x) {\n"
            "    case 4: return twice(x);\n    case 5: return 1;\n    default: return 0;\n    "
            "}\n}\n"
            "int never(int x) {\n    if (x > 2)\n        return 1;\n    return 0;\n}\n");
        QVERIFY(run("gcc", { "--coverage", "-O0", "-o", "p", "a.c", "b.c" }, {}, dir.path()));
        QVERIFY(run(dir.filePath("p"), { "x" }));
        QVERIFY(run(dir.filePath("p"), { "x", "y", "z" }));
        QVERIFY(run("geninfo",
            { "--quiet", "--rc", "lcov_branch_coverage=1", "--test-name", "m", "--output-filename",
                dir.filePath("geninfo.info"), dir.path() }));
        QString error;
        const Tracefile expected = Tracefile::read(dir.filePath("geninfo.info"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));

        QProcess gcov;
        gcov.setWorkingDirectory(dir.path());
        gcov.start("gcov", gcovJsonArguments() + QStringList { "p-a.gcda", "p-b.gcda" });
        QVERIFY(gcov.waitForFinished(60000));
        QCOMPARE(gcov.exitCode(), 0);
        const Tracefile read = tracefileFromGcovJson(gcov.readAllStandardOutput(), "m", &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(expected.tests().contains("m"));
        const SourceCoverage want = expected.tests().value("m");
        const SourceCoverage got = read.tests().value("m");
        QCOMPARE(got.keys(), want.keys());
        for (const QString &source : want.keys()) {
            QCOMPARE(got[source].lines, want[source].lines);
            QCOMPARE(got[source].branches, want[source].branches);
            QCOMPARE(got[source].functions, want[source].functions);
            QCOMPARE(got[source].functionLines, want[source].functionLines);
        }
        // The comparison saw what it is about: a branch never reached, excluded lines absent.
        const FileCoverage a = got.value(QDir::cleanPath(dir.filePath("a.c")));
        QVERIFY(!a.lines.contains(lineOf(dir.filePath("a.c"), "LCOV_EXCL_LINE")));
        QVERIFY(!a.lines.contains(lineOf(dir.filePath("a.c"), "sum = -sum")));
        QVERIFY(
            std::any_of(a.branches.cbegin(), a.branches.cend(), [](qint64 n) { return n == 0; }));
        const FileCoverage b = got.value(QDir::cleanPath(dir.filePath("b.c")));
        QVERIFY(
            std::any_of(b.branches.cbegin(), b.branches.cend(), [](qint64 n) { return n < 0; }));
        QVERIFY(got.contains(QDir::cleanPath(dir.filePath("shared.h"))));
    }

    void clangProfilesNeedTheirProgramNamed()
    {
        if (QStandardPaths::findExecutable("clang").isEmpty())
            QSKIP("clang is not installed");
        QTemporaryDir dir;
        const QString source = dir.filePath("q.c");
        QFile file(source);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(program);
        file.close();
        const QString binary = dir.filePath("q");
        QVERIFY(run("clang",
            { "-fprofile-instr-generate", "-fcoverage-mapping", "-O0", "-o", binary, source }));
        QVERIFY(
            run(binary, { "a" }, { "LLVM_PROFILE_FILE=" + dir.filePath("m/llvm/%p-%m.profraw") }));
        CoverageSettings settings;
        settings.enabled = true;
        settings.include = { dir.path() + "/*" };
        const CoverageResult unnamed = CoverageCollector(settings, "t", dir.filePath("out"))
                                           .collect({ { "m", dir.filePath("m"), {} } });
        QVERIFY2(unnamed.problems.join('\n').contains(
                     "m: 1 clang raw profiles, but [coverage] llvm_programs names no program"),
            qPrintable(unnamed.problems.join('\n')));
        settings.llvmPrograms = { binary };
        const CoverageResult result = CoverageCollector(settings, "t", dir.filePath("out"))
                                          .collect({ { "m", dir.filePath("m"), {} } });
        QVERIFY2(result.problems.isEmpty(), qPrintable(result.problems.join('\n')));
        QString error;
        const Tracefile all = Tracefile::read(result.directory + "/all.info", &error);
        QCOMPARE(all.testsThatRan(source, lineOf(source, "only a")), QStringList { "m" });
        QCOMPARE(all.testsThatRan(source, lineOf(source, "only b")), QStringList());
    }

    void noCountersIsSaidAndALostMachineNamed()
    {
        QTemporaryDir dir;
        QVERIFY(QDir().mkpath(dir.filePath("m/gcov")));
        CoverageSettings settings;
        settings.enabled = true;
        const CoverageResult result = CoverageCollector(settings, "t", dir.filePath("out"))
                                          .collect({ { "m", dir.filePath("m"), "crashed" } });
        QVERIFY(!result.hasData);
        QCOMPARE(result.problems.first(), QStringLiteral("m: crashed"));
        QVERIFY(result.problems.last().startsWith("no machine wrote coverage counters"));
        QVERIFY(coverageLine(result).startsWith("coverage: none collected: no machine wrote"));
        QVERIFY(!QFile::exists(result.directory + "/html/index.html"));
    }
};

QTEST_GUILESS_MAIN(TestTracefile)
#include "tst_tracefile.moc"
