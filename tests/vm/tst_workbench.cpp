// The workbench end to end on real guests, in a real X server (Xvfb): the demo runs to the end
// from the Run button, and a failing test pauses at its line with the machine still answering
// in its Shell tab, then passes after Retry. Saves screenshots of the window as test artifacts.
#include "ui/console/pythonconsole.h"
#include "ui/editor/scripteditor.h"
#include "ui/machine/machinepanel.h"
#include "ui/mainwindow.h"
#include "ui/run/actionlog.h"
#include "ui/screen/screenview.h"
#include "ui/terminal/terminalview.h"
#include "ui/topology/linkdialog.h"
#include "ui/topology/topologymenus.h"
#include "ui/widgets/historylineedit.h"
#include "ui/workbench.h"
#include "vmtestutil.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QFrame>
#include <QPushButton>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace vivarium;

class TestWorkbench : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static void trigger(MainWindow &window, const QString &text)
    {
        for (QAction *action : window.findChildren<QAction *>()) {
            if (action->text() == text) {
                action->trigger();
                return;
            }
        }
        QFAIL(qPrintable("no action " + text));
    }

    static void saveScreenshot(QWidget &window, const QString &name)
    {
        const QString dir = testOutputDir("workbench");
        QDir().mkpath(dir);
        QVERIFY(window.grab().save(dir + "/" + name + ".png"));
    }

    static QString surfaceText(TerminalSurface *surface)
    {
        QString text;
        for (int line = 0; line < surface->lineCount(); ++line)
            text += surface->lineText(line) + "\n";
        return text;
    }

    // Writes NAME.py and NAME.toml (script = "NAME.py" + machines); returns the test file.
    QString writeTest(const QString &name, const QByteArray &script, const QByteArray &machines)
    {
        writeTestFile(m_dir.filePath(name + ".py"), script);
        writeTestFile(
            m_dir.filePath(name + ".toml"), "script = \"" + name.toUtf8() + ".py\"\n" + machines);
        return m_dir.filePath(name + ".toml");
    }

    static void showLarge(MainWindow &window)
    {
        window.resize(1600, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
    }

    // Waits until the script ended; returns what the status bar says about it.
    static QString waitForScriptEnd(MainWindow &window, int timeoutMs)
    {
        // The caller compares the verdict: a timeout shows as whatever the bar says then. A run
        // that ended names its report, which must exist.
        (void)QTest::qWaitFor(
            [&] { return window.statusBar()->currentMessage().startsWith("The script"); },
            timeoutMs);
        const QString message = window.statusBar()->currentMessage();
        const qsizetype report = message.indexOf(" — report: ");
        if (report < 0)
            return message;
        if (!QFileInfo(message.mid(report + 11)).isFile())
            return message + " (the report is missing)";
        return message.left(report);
    }

    // Types as a person does: Shift is pressed for the characters that need it (a VNC server
    // maps a keysym to a key and only adds Shift when it was pressed).
    static void typeLikeAUser(QWidget *widget, const QString &text)
    {
        for (const QChar c : text) {
            const bool shifted = c.isUpper() || QString("!@#$%^&*()_+{}|:\"<>?~").contains(c);
            if (shifted)
                QTest::keyPress(widget, Qt::Key_Shift, Qt::ShiftModifier);
            QTest::keyClick(widget, c.toLatin1(), shifted ? Qt::ShiftModifier : Qt::NoModifier);
            if (shifted)
                QTest::keyRelease(widget, Qt::Key_Shift);
        }
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void demoRunsToTheEnd()
    {
        MainWindow window(QString(VIVARIUM_SOURCE_DIR) + "/resources/demo/demo.toml");
        showLarge(window);
        QVERIFY(window.editor()->text().contains("start_all()"));
        trigger(window, "Run");
        QCOMPARE(waitForScriptEnd(window, 180000), QString("The script passed"));
        QVERIFY(window.actionLog()->topLevelItemCount() > 10);
        QVERIFY(surfaceText(window.panel("client")->serialView()->surface())
                    .contains("vivarium-init: ready"));
        saveScreenshot(window, "demo-passed");
        // The client has a screen: its Screen tab shows the live display over VNC.
        MachinePanel *client = window.panel("client");
        client->setCurrentIndex(2);
        QVERIFY(client->screenView());
        QTRY_VERIFY_WITH_TIMEOUT(!client->screenView()->image().isNull(), 30000);
        QVERIFY(client->screenView()->image().width() >= 640);
        saveScreenshot(window, "demo-screen");
        QVERIFY(!window.panel("server")->screenView()->isConnected()); // no graphics
        // The impairment dialog of a link, as the graph's link menu opens it.
        LinkDialog *dialog = window.topologyMenus()->openImpairmentDialog("client", 1);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        saveScreenshot(*dialog, "link-dialog");
        dialog->close();
        trigger(window, "Stop All");
    }

    void failurePausesWithTheMachineUsable()
    {
        MainWindow window(writeTest("failing",
            "start_all()\nidle.succeed('true')\nidle.succeed('test -e /tmp/fixme')\n",
            "[machines.idle]\n"));
        showLarge(window);
        trigger(window, "Run");
        auto *bar = window.findChild<QFrame *>("failureBar");
        QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 120000);
        QCOMPARE(window.editor()->errorLine(), 3);
        QCOMPARE(window.editor()->currentLine(), 3);
        saveScreenshot(window, "failure-paused");

        // The machine answers in its Shell tab while the script waits.
        TerminalView *shell = window.panel("idle")->shellView();
        QTest::keyClicks(shell, "touch /tmp/fixme; echo shell-$((6*7))");
        QTest::keyClick(shell, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(surfaceText(shell->surface()).contains("shell-42"), 30000);

        // ...and in the Python console, in the paused script's globals.
        auto *console = window.findChild<PythonConsole *>("pythonConsole");
        QTest::keyClicks(console->input(), "idle.succeed('echo console-$((6*7))')");
        QTest::keyClick(console->input(), Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(console->transcript().contains("'console-42\\n'"), 30000);
        QVERIFY(bar->isVisible()); // the console's call did not resolve the failure
        saveScreenshot(window, "console");

        window.findChild<QPushButton *>("failureRetry")->click();
        QCOMPARE(waitForScriptEnd(window, 60000), QString("The script passed"));
        QVERIFY(!bar->isVisible());
    }

    // Record: keys typed into the Screen and a command entered in the Shell become script
    // lines at the editor's cursor; run again on fresh files, those lines do the same thing.
    void recordedLinesReplay()
    {
        MainWindow window(
            writeTest("record", "start_all()\ndesk.wait_until_tty_matches(\"1\", \"desk:\")\n",
                "[machines.desk]\ngraphics = true\n"));
        showLarge(window);
        trigger(window, "Run");
        QCOMPARE(waitForScriptEnd(window, 120000), QString("The script passed"));

        window.editor()->setCursorPosition(2, 0); // the empty line at the end
        trigger(window, "Record");
        MachinePanel *desk = window.panel("desk");
        desk->setCurrentIndex(2);
        QTRY_VERIFY_WITH_TIMEOUT(desk->screenView() && desk->screenView()->isConnected(), 30000);
        desk->screenView()->setFocus();
        typeLikeAUser(desk->screenView(), "echo typed-by-hand > /tmp/rex");
        QTest::keyClick(desk->screenView(), Qt::Key_Backspace);
        typeLikeAUser(desk->screenView(), "c");
        QTest::keyClick(desk->screenView(), Qt::Key_Return);
        desk->setCurrentIndex(1);
        TerminalView *shell = desk->shellView();
        QTest::keyClicks(shell, "echo shell-recorded > /tmp/shellrec");
        QTest::keyClick(shell, Qt::Key_Return);
        QTRY_VERIFY2_WITH_TIMEOUT(window.editor()->text().contains("succeed("),
            qPrintable(window.editor()->text() + "\n--- shell:\n" + surfaceText(shell->surface())),
            10000);
        trigger(window, "Record");
        const QString script = window.editor()->text();
        QVERIFY2(script.contains("desk.send_chars(\"echo typed-by-hand > /tmp/rec\\n\")\n"),
            qPrintable(script));
        QVERIFY2(script.contains("desk.succeed(\"echo shell-recorded > /tmp/shellrec\")"),
            qPrintable(script));
        saveScreenshot(window, "recorded");

        // What was done by hand happened on the guest...
        Machine *machine = window.workbench()->run()->machine("desk");
        QTRY_VERIFY_WITH_TIMEOUT(
            machine->execute("cat /tmp/rec").stdoutBytes.trimmed() == "typed-by-hand", 20000);
        QCOMPARE(machine->execute("cat /tmp/shellrec").stdoutBytes.trimmed(), "shell-recorded");
        // ...and the recorded lines do it again.
        machine->execute("rm /tmp/rec /tmp/shellrec");
        window.editor()->setText(script + "\ndesk.wait_for_file(\"/tmp/rec\")\n");
        trigger(window, "Run");
        QCOMPARE(waitForScriptEnd(window, 120000), QString("The script passed"));
        QTRY_VERIFY_WITH_TIMEOUT(
            machine->execute("cat /tmp/rec").stdoutBytes.trimmed() == "typed-by-hand", 20000);
        QCOMPARE(machine->execute("cat /tmp/shellrec").stdoutBytes.trimmed(), "shell-recorded");
        trigger(window, "Stop All");
    }

    // vnc = false: the Screen tab shows polled screen dumps, and keys typed there reach the
    // guest as QMP key events.
    void screenWithoutVncPollsDumps()
    {
        MainWindow window(
            writeTest("novnc", "start_all()\nplain.wait_until_tty_matches(\"1\", \"plain:\")\n",
                "[machines.plain]\ngraphics = true\nvnc = false\n"));
        showLarge(window);
        trigger(window, "Run");
        QCOMPARE(waitForScriptEnd(window, 120000), QString("The script passed"));
        MachinePanel *plain = window.panel("plain");
        plain->setCurrentIndex(2);
        ScreenView *screen = plain->screenView();
        QVERIFY(screen);
        QTRY_VERIFY_WITH_TIMEOUT(screen->isPolling() && !screen->image().isNull(), 20000);
        QVERIFY(!screen->isConnected());
        QVERIFY(screen->image().width() >= 640);
        screen->setFocus();
        typeLikeAUser(screen, "touch /tmp/polled");
        QTest::keyClick(screen, Qt::Key_Return);
        Machine *machine = window.workbench()->run()->machine("plain");
        QTRY_VERIFY_WITH_TIMEOUT(machine->execute("test -e /tmp/polled").status == 0, 30000);
        saveScreenshot(window, "screen-polled");
        trigger(window, "Stop All");
    }
};

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
