// What the reports say and whether they are there: user text is never read as a format
// (a command's "%1" once became a number in the log and in log.html), a guest's escape
// sequences reach the terminal as text, a report that cannot be written says so, and a run's
// output directory is its own (never re-moded, never shared with a run still going).
#include "core/report/logformatter.h"
#include "core/report/reports.h"
#include "core/util/outputdirectory.h"
#include "core/util/textformat.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <sys/mount.h>
#include <unistd.h>

using namespace vivarium;

namespace {

RecordedEvent at(qint64 t, Event e)
{
    return { t, std::move(e) };
}

ReportInput runWithPercents()
{
    ActionEvent call;
    call.machine = QStringLiteral("m");
    call.action = QStringLiteral("succeed");
    call.arguments = { { QStringLiteral("command"), QStringLiteral("echo 'pct %1 %2'") } };
    call.startMs = 1796562099284;
    call.durationMs = 40;
    call.result = ActionEvent::Result::Ok;
    ReportInput input;
    input.testName = QStringLiteral("percent");
    input.scriptFile = QStringLiteral("/t/percent.py");
    input.scriptSource = QStringLiteral("m.succeed(\"echo 'pct %1 %2'\")\n");
    input.events = { at(1796562099284, event::SubtestStarted { QStringLiteral("rate %1"), {}, 1 }),
        at(1796562099300, event::ActionFinished { call }),
        at(1796562099400, event::SubtestFinished { QStringLiteral("rate %1"), true, {}, 1234 }) };
    input.result.outcome = ScriptResult::Outcome::Passed;
    return input;
}

QString readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

} // namespace

class TestReports : public QObject {
    Q_OBJECT

private slots:
    void formatTextReadsThePatternOnly()
    {
        QCOMPARE(formatText(u"%1 (%2 s)", QStringLiteral("echo %1 %2"), 0.04),
            QString("echo %1 %2 (0.04 s)"));
        QCOMPARE(formatText(u"%2-%1-%2", 1, QStringLiteral("%1")), QString("%1-1-%1"));
        QCOMPARE(formatText(u"100% of %1, %3 left", 7), QString("100% of 7, %3 left"));
        QCOMPARE(formatText(u"%1%", fixed(2.0 / 3.0, 1)), QString("0.7%"));
        QCOMPARE(formatText(u"%10|%1", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), QString("10|1"));
    }

    void printableTextShowsControlsAsText()
    {
        // An OSC 52 clipboard write, a title change, a bell, DEL and a C1 CSI.
        const QString hostile = QStringLiteral("a\x1b]52;c;ZXZpbA==\x07 b\x1b]0;pwned\x07\x7f")
            + QChar(0x9b) + QStringLiteral("31m\tok\nnext é");
        QCOMPARE(printableText(hostile),
            QString("a^[]52;c;ZXZpbA==^G b^[]0;pwned^G^?M-^[31m\tok\nnext é"));
    }

    void logLinesKeepUserPercents()
    {
        const ReportInput input = runWithPercents();
        LogFormatter formatter;
        QStringList lines;
        for (const RecordedEvent &e : input.events)
            for (const LogLine &l : formatter.lines(e))
                lines << l.text;
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines.at(1), QString("m: succeed(\"echo 'pct %1 %2'\")  (0.04 s)"));
        QCOMPARE(lines.at(2), QString("subtest rate %1 passed (1.23 s)"));
    }

    void reportsKeepUserPercents()
    {
        QTemporaryDir dir;
        const ReportInput input = runWithPercents();
        QCOMPARE(writeHtmlReport(dir.filePath("log.html"), input), QString());
        const QString html = readAll(dir.filePath("log.html"));
        QVERIFY2(html.contains("echo &#39;pct %1 %2&#39;") || html.contains("echo 'pct %1 %2'"),
            qPrintable(html.mid(html.indexOf("pct") - 40, 120)));
        QVERIFY(!html.contains("pct 1796562099284"));
        QVERIFY2(html.contains("rate %1 — passed (1.23 s)"), qPrintable(html));
        QCOMPARE(writeJunit(dir.filePath("junit.xml"), input), QString());
        QVERIFY(readAll(dir.filePath("junit.xml")).contains("name=\"rate %1\""));
    }

    void aReportThatCannotBeWrittenSaysSo()
    {
        QTemporaryDir dir;
        const ReportInput input = runWithPercents();
        // A path that is a directory, and one in a directory that does not exist.
        QDir(dir.path()).mkdir("log.html");
        QVERIFY(writeHtmlReport(dir.filePath("log.html"), input).startsWith("cannot write "));
        QVERIFY(writeJunit(dir.filePath("no/junit.xml"), input).startsWith("cannot write "));
        if (::geteuid() != 0)
            QSKIP("a full file system is made with a tmpfs mount, as root");
        // A full file system: nothing half-written is left that looks like a report.
        const QString full = dir.filePath("full");
        QDir().mkpath(full);
        QVERIFY(::mount("tmpfs", QFile::encodeName(full).constData(), "tmpfs", 0, "size=16k") == 0);
        QFile filler(full + "/filler");
        QVERIFY(filler.open(QIODevice::WriteOnly));
        filler.write(QByteArray(64 * 1024, 'x'));
        filler.close();
        const QString problem = writeHtmlReport(full + "/log.html", input);
        const QString junit = writeJunit(full + "/junit.xml", input);
        const qint64 fillerSize = QFileInfo(full + "/filler").size();
        const qint64 htmlSize = QFileInfo(full + "/log.html").size();
        const bool leftHtml = QFileInfo::exists(full + "/log.html");
        const bool leftJunit = QFileInfo::exists(full + "/junit.xml");
        ::umount(QFile::encodeName(full).constData());
        QVERIFY2(problem.startsWith("cannot write "),
            qPrintable(problem + QString(" filler %1 html %2").arg(fillerSize).arg(htmlSize)));
        QVERIFY2(junit.startsWith("cannot write "), qPrintable(junit));
        QVERIFY(!leftHtml && !leftJunit);
    }

    void actionIdsAreUniqueAcrossLogs()
    {
        // Example networks of a property run have event logs of their own; their actions meet
        // in one action log, keyed by id.
        EventLog a, b;
        QSet<quint64> ids;
        for (int i = 0; i < 50; ++i) {
            ids.insert(a.nextId());
            ids.insert(b.nextId());
        }
        QCOMPARE(ids.size(), 100);
    }

    void anOutputDirectoryIsTheRunsAlone()
    {
        QTemporaryDir dir;
        // One the run makes is the owner's alone; one that was there keeps its mode.
        OutputDirectory made;
        QString error;
        QVERIFY2(made.claim(dir.filePath("new/out"), &error), qPrintable(error));
        QCOMPARE(QFileInfo(dir.filePath("new/out")).permissions(),
            QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadUser
                | QFile::WriteUser | QFile::ExeUser);
        const QString existing = dir.filePath("shared");
        QDir().mkpath(existing);
        QFile::setPermissions(
            existing, QFile::permissions(existing) | QFile::ReadOther | QFile::ExeOther);
        const QFile::Permissions before = QFile::permissions(existing);
        {
            OutputDirectory user;
            QVERIFY2(user.claim(existing, &error), qPrintable(error));
            QCOMPARE(QFile::permissions(existing), before);
            // A second run with the same directory while the first goes on is refused.
            OutputDirectory second;
            QVERIFY(!second.claim(existing, &error));
            QVERIFY2(error.contains(
                         "is in use by another run (process " + QString::number(::getpid()) + ")"),
                qPrintable(error));
        }
        OutputDirectory after; // the first one ended
        QVERIFY2(after.claim(existing, &error), qPrintable(error));
        // A regular file is no output directory.
        QFile file(dir.filePath("file"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        OutputDirectory notADirectory;
        QVERIFY(!notADirectory.claim(dir.filePath("file"), &error));
        QVERIFY2(error.endsWith("file is not a directory"), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestReports)
#include "tst_reports.moc"
