// The workbench window offscreen, without booting guests: breakpoints set in the editor reach the
// script engine, and clicking an action in the log puts the editor on its line.
#include "ui/console/pythonconsole.h"
#include "ui/editor/scripteditor.h"
#include "ui/mainwindow.h"
#include "ui/widgets/historylineedit.h"
#include "ui/workbench.h"

#include <QApplication>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace vivarium;

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeTest(const QByteArray &script)
    {
        QFile py(m_dir.filePath("t.py"));
        py.open(QIODevice::WriteOnly);
        py.write(script);
        py.close();
        QFile toml(m_dir.filePath("t.toml"));
        toml.open(QIODevice::WriteOnly);
        toml.write("script = \"t.py\"\n[machines.idle]\n");
        toml.close();
        return m_dir.filePath("t.toml");
    }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void editorBreakpointsReachTheEngine()
    {
        MainWindow window(writeTest("a = 1\nb = 2\nc = 3\n"));
        QCOMPARE(window.editor()->text(), QString("a = 1\nb = 2\nc = 3\n"));
        window.editor()->setBreakpoint(2, true);
        QCOMPARE(window.editor()->breakpoints(), QSet<int>({ 2 }));
        // Run straight through the workbench: only the editor's signal set the breakpoint.
        window.workbench()->runScript(window.editor()->text());
        QTRY_COMPARE_WITH_TIMEOUT(window.editor()->currentLine(), 2, 10000);
        QVERIFY(window.statusBar()->currentMessage().startsWith("Paused at line 2 (breakpoint)"));
        window.editor()->setBreakpoint(2, false);
        window.workbench()->engine()->resume();
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().startsWith("The script passed — report: "), 10000);
        QCOMPARE(window.editor()->currentLine(), 0);
    }

    void aWorkbenchRunWritesTheReports()
    {
        // The same output directory as vivarium-test: events.jsonl, log.html, junit.xml.
        MainWindow window(writeTest("print('from the workbench')\nassert 1 == 2, 'planted'\n"));
        window.workbench()->runScript(window.editor()->text());
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().contains(" — report: "), 10000);
        const QString out = window.workbench()->outDir();
        const QString html = out + "/log.html";
        QVERIFY2(window.statusBar()->currentMessage().endsWith(html),
            qPrintable(window.statusBar()->currentMessage()));
        QFile report(html);
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray page = report.readAll();
        QVERIFY(page.contains("from the workbench"));
        QVERIFY(page.contains("AssertionError: planted"));
        QFile junit(out + "/junit.xml");
        QVERIFY(junit.open(QIODevice::ReadOnly));
        QVERIFY(junit.readAll().contains("<failure message=\"AssertionError: planted"));
        QFile events(out + "/events.jsonl");
        QVERIFY(events.open(QIODevice::ReadOnly));
        QVERIFY(events.readAll().contains("\"type\":\"finished\""));
    }

    void clickingAnActionGoesToItsLine()
    {
        MainWindow window(writeTest("start_all()\n\nidle.succeed('true')\n"));
        window.resize(1200, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.workbench()->runScript("pass\n"); // creates the run and its event log
        QTRY_VERIFY_WITH_TIMEOUT(!window.workbench()->isScriptRunning(), 10000);
        ActionEvent event;
        event.machine = "idle";
        event.action = "succeed";
        event.arguments = { { "command", "true" } };
        event.result = ActionEvent::Result::Ok;
        event.line = 3;
        window.workbench()->run()->events()->post(event::ActionFinished { event });
        QTRY_COMPARE(window.actionLog()->topLevelItemCount(), 1);
        QTreeWidgetItem *item = window.actionLog()->topLevelItem(0);
        QCOMPARE(item->text(2), QString("succeed(true)"));
        const QRect rect = window.actionLog()->visualItemRect(item);
        QTest::mouseClick(window.actionLog()->viewport(), Qt::LeftButton, {}, rect.center());
        int line = -1, index = -1;
        window.editor()->getCursorPosition(&line, &index);
        QCOMPARE(line, 2); // 0-based: the script's line 3
    }

    // The Python console: entries run against the test, keep their names, show values and
    // errors; Up brings back the last entry. In a paused script it sees the script's names.
    void pythonConsoleEvaluates()
    {
        MainWindow window(writeTest("secret = 6 * 7\nb = 2\n"));
        auto *console = window.findChild<PythonConsole *>("pythonConsole");
        QVERIFY(console);
        HistoryLineEdit *input = console->input();
        QTest::keyClicks(input, "y = [m.name for m in machines]");
        QTest::keyClick(input, Qt::Key_Return);
        QTest::keyClicks(input, "y + ['x']");
        QTest::keyClick(input, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(console->transcript().contains("['idle', 'x']"), 10000);
        QTest::keyClicks(input, "undefined_name");
        QTest::keyClick(input, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(
            console->transcript().contains("NameError: name 'undefined_name' is not defined"),
            10000);
        QTest::keyClick(input, Qt::Key_Up);
        QCOMPARE(input->text(), QString("undefined_name"));
        QTest::keyClick(input, Qt::Key_Up);
        QCOMPARE(input->text(), QString("y + ['x']"));
        input->clear();

        window.editor()->setBreakpoint(2, true);
        window.workbench()->setBreakpoints(window.editor()->breakpoints());
        window.workbench()->runScript(window.editor()->text());
        QTRY_COMPARE_WITH_TIMEOUT(window.editor()->currentLine(), 2, 10000);
        QTest::keyClicks(input, "secret + 1");
        QTest::keyClick(input, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(console->transcript().contains("\n43"), 10000);
        window.workbench()->engine()->resume();
        QTRY_VERIFY_WITH_TIMEOUT(!window.workbench()->isScriptRunning(), 10000);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
