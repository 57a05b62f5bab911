// vivarium.stateful's examples forking from the snapshots of earlier ones (docs/property-based.md,
// "Forking"), on real image-root guests through vivarium-test (tests/vm/forks/): a counter
// property whose every check compares a machine's file with the model (an example that came back
// to the wrong snapshot, or saw another example's state, would fail a check) shrinks its planted
// bug to its minimum while its examples fork.
#include "buildpaths.h"
#include "vmtestutil.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

class TestForks : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QString testFile(const char *name)
    {
        return QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/forks/") + QLatin1String(name);
    }

    // The figures of "property Counter: N example(s) forked ...: A driver call(s) answered
    // from earlier runs, R restore(s), S snapshot(s) taken", or empty.
    static QList<int> forkFigures(const QString &output)
    {
        static const QRegularExpression line(
            QStringLiteral("property Counter: (\\d+) example\\(s\\) forked from the network of an "
                           "earlier one: (\\d+) driver call\\(s\\) answered from earlier runs, "
                           "(\\d+) restore\\(s\\), (\\d+) snapshot\\(s\\) taken"));
        const QRegularExpressionMatch match = line.match(output);
        if (!match.hasMatch())
            return {};
        return { match.captured(1).toInt(), match.captured(2).toInt(), match.captured(3).toInt(),
            match.captured(4).toInt() };
    }

    static QString minimalCase(const QString &output)
    {
        static const QRegularExpression line(
            QStringLiteral("property Counter falsified: (minimal case [^\\n]*) — regression"));
        return line.match(output).captured(1);
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // The planted bug (a machine cannot count to 3) is found and shrunk to its minimum while
    // examples fork: restores happen, and every check of every example (a machine's counter
    // against the model) holds, or the minimal case would be a failed check instead.
    // (tst_pbtdemo, label pbt, shrinks it on fresh networks too, to the same minimal case.)
    void thePlantedBugShrinksWhileExamplesFork()
    {
        const ProgramRun run = runVivariumTest(
            { testFile("planted-forks.toml"), "-o", m_dir.filePath("forks") }, m_dir.path(), 1500);
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(minimalCase(run.output),
            QString("minimal case 1 machine(s), 4 step(s): boot(node='n1'); count(node='n1'); "
                    "count(node='n1'); count(node='n1')"));
        const QList<int> figures = forkFigures(run.output);
        QVERIFY2(figures.size() == 4, qPrintable(scriptOutput(run).right(3000)));
        QVERIFY2(figures[0] >= 10 && figures[1] >= 10 && figures[2] >= 1 && figures[3] >= 1,
            qPrintable(scriptOutput(run).right(3000)));
        // The regression test it wrote fails on fresh machines where the property did.
        const ProgramRun replay = runVivariumTest(
            { m_dir.filePath("forks/falsified/Counter.toml") }, m_dir.path(), 300);
        QCOMPARE(replay.exitCode, 1);
        QVERIFY2(replay.output.contains("test $((c + 1)) -ne 3"), qPrintable(replay.output));
    }
};

QTEST_GUILESS_MAIN(TestForks)
#include "tst_forks.moc"
