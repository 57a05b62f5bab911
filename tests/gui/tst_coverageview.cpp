// The workbench's Coverage view on a run's coverage directory as the collection writes it
// (all.info with two machines, summary.json): the files with their percentages per machine,
// each line of the source marked by the machines that ran it.
#include "core/coverage/coveragecollector.h"
#include "ui/run/coverageview.h"

#include <QApplication>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTreeWidget>

using namespace vivarium;

namespace {

void write(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
}

} // namespace

class TestCoverageView : public QObject {
    Q_OBJECT

private slots:
    void marksLinesByTheMachinesThatRanThem()
    {
        QTemporaryDir dir;
        const QString source = dir.filePath("kv.c");
        write(source, "int main(void)\n{\n    serve();\n    ask();\n    never();\n}\n");
        const QByteArray info = "TN:server\nSF:" + source.toUtf8()
            + "\nDA:1,1\nDA:3,5\nDA:4,0\nDA:5,0\nend_of_record\n"
              "TN:client\nSF:"
            + source.toUtf8() + "\nDA:1,1\nDA:3,0\nDA:4,2\nDA:5,0\nend_of_record\n";
        write(dir.filePath("all.info"), info);
        QString error;
        const Tracefile trace = Tracefile::parse(info, &error);
        CoverageResult summary;
        summary.hasData = true;
        summary.directory = dir.path();
        summary.all = CoverageTotals::of(trace.combined());
        summary.machines.insert("client", CoverageTotals::of(trace.tests().value("client")));
        summary.machines.insert("server", CoverageTotals::of(trace.tests().value("server")));
        summary.problems << "server: crashed during the run";
        write(dir.filePath("summary.json"), QJsonDocument(summary.json()).toJson());

        CoverageView view;
        view.setCollects(true);
        view.load(dir.path());
        QVERIFY2(
            view.status()->text().contains("75.0% of lines"), qPrintable(view.status()->text()));
        QVERIFY(view.status()->text().contains("server: crashed during the run"));
        QCOMPARE(view.files()->topLevelItemCount(), 1);
        QTreeWidgetItem *file = view.files()->topLevelItem(0);
        QCOMPARE(file->text(0), QStringLiteral("kv.c"));
        QCOMPARE(view.files()->headerItem()->text(2), QStringLiteral("client"));
        QCOMPARE(file->text(1), QStringLiteral("75.0%")); // 3 of 4 lines, by either machine
        QCOMPARE(file->text(2), QStringLiteral("50.0%")); // the client's 2 of 4
        QCOMPARE(file->text(3), QStringLiteral("50.0%"));

        // The source, each line with the machines that ran it, coloured by whether any did.
        QCOMPARE(view.machinesOf(source, 1), QStringList({ "client", "server" }));
        QCOMPARE(view.machinesOf(source, 3), QStringList { "server" });
        QCOMPARE(view.machinesOf(source, 4), QStringList { "client" });
        const QTextDocument *text = view.source()->document();
        QVERIFY(text->findBlockByNumber(0).text().contains(
            QRegularExpression("^ +1  client server +int main")));
        QVERIFY(text->findBlockByNumber(2).text().contains("server")
            && !text->findBlockByNumber(2).text().contains("client"));
        QVERIFY(text->findBlockByNumber(4).text().contains("never();"));
        const auto marks = view.source()->extraSelections();
        QCOMPARE(marks.size(), 4);
        QColor ran, notRun;
        for (const QTextEdit::ExtraSelection &mark : marks) {
            if (mark.cursor.blockNumber() == 2)
                ran = mark.format.background().color();
            if (mark.cursor.blockNumber() == 4)
                notRun = mark.format.background().color();
        }
        QVERIFY(ran.isValid() && notRun.isValid() && ran != notRun);
        QVERIFY(ran.green() > ran.red()); // green: ran
        QVERIFY(notRun.red() > notRun.green()); // red: instrumented, run by no machine

        QSignalSpy refresh(&view, &CoverageView::refreshRequested);
        QTest::mouseClick(view.refreshButton(), Qt::LeftButton);
        QCOMPARE(refresh.count(), 1);
    }

    void saysWhatIsMissing()
    {
        CoverageView view;
        view.setCollects(false);
        QVERIFY(view.status()->text().contains("add coverage = true"));
        QVERIFY(!view.refreshButton()->isEnabled());
        QTemporaryDir dir;
        CoverageResult nothing;
        nothing.problems << "no machine wrote coverage counters: no instrumented program ran";
        write(dir.filePath("summary.json"), QJsonDocument(nothing.json()).toJson());
        view.setCollects(true);
        view.load(dir.path());
        QVERIFY(view.status()->text().contains("No coverage collected."));
        QVERIFY(view.status()->text().contains("no instrumented program ran"));
        QCOMPARE(view.files()->topLevelItemCount(), 0);
    }
};

QTEST_MAIN(TestCoverageView)
#include "tst_coverageview.moc"
