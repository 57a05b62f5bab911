// The workbench end to end on real guests, in a real X server (Xvfb): the demo runs to the end
// from the Run button, and a failing test pauses at its line with the machine still answering
// in its Shell tab, then passes after Retry. Saves screenshots of the window as test artifacts.
#include "buildpaths.h"
#include "ui/console/pythonconsole.h"
#include "ui/editor/scripteditor.h"
#include "ui/machine/machinepanel.h"
#include "ui/mainwindow.h"
#include "ui/run/actionlog.h"
#include "ui/run/outputpane.h"
#include "ui/screen/screenview.h"
#include "ui/terminal/terminalview.h"
#include "ui/topology/linkdialog.h"
#include "ui/topology/topologymenus.h"
#include "ui/topology/topologymodel.h"
#include "ui/widgets/historylineedit.h"
#include "ui/workbench.h"
#include "vmtestutil.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QFrame>
#include <QInputDialog>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
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
                QVERIFY2(action->isEnabled(), qPrintable(text + " is disabled"));
                window.statusBar()->clearMessage(); // the last run's verdict is not this one's
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
        QStringList said; // what the status bar said meanwhile: for a verdict that never came
        const auto connection = QObject::connect(
            window.statusBar(), &QStatusBar::messageChanged, [&said](const QString &text) {
                if (!text.isEmpty())
                    said << text;
            });
        const bool ended = QTest::qWaitFor(
            [&] { return window.statusBar()->currentMessage().startsWith("The script"); },
            timeoutMs);
        QObject::disconnect(connection);
        const QString message = window.statusBar()->currentMessage();
        if (!ended)
            return message + " (no verdict; the status bar said: " + said.join(" | ") + ")";
        const qsizetype report = message.indexOf(" — report: ");
        if (report < 0)
            return message;
        if (!QFileInfo(message.mid(report + 11)).isFile())
            return message + " (the report is missing)";
        return message.left(report);
    }

    // Types as a person does: Shift is pressed for the characters that need it (a VNC server
    // maps a keysym to a key and only adds Shift when it was pressed).
    // Runs the window's test until it passes, then shows the machine's Screen tab with a
    // picture in it (*view; on a failure the test has failed and *view may be null).
    static void runToAPassAndShowTheScreen(
        MainWindow &window, const QString &machine, ScreenView **view)
    {
        showLarge(window);
        trigger(window, "Run");
        QCOMPARE(waitForScriptEnd(window, 180000), QString("The script passed"));
        MachinePanel *panel = window.panel(machine);
        panel->setCurrentIndex(2);
        *view = panel->screenView();
        QTRY_VERIFY_WITH_TIMEOUT(!(*view)->image().isNull(), 30000);
    }

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
        // The Output pane: the run's log, subtests nested.
        auto *outputDock = window.findChild<QDockWidget *>("outputDock");
        outputDock->raise();
        QTRY_VERIFY(window.output()->visibleText().contains("subtest the client's screen passed"));
        saveScreenshot(window, "demo-output");
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
            "start_all()\nidle.wait_for_ready()\nidle.wait_for_ready()\n"
            "idle.succeed('test -e /tmp/fixme')\n",
            "[machines.idle]\n"));
        showLarge(window);
        trigger(window, "Run");
        auto *bar = window.findChild<QFrame *>("failureBar");
        QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 120000);
        QCOMPARE(window.editor()->errorLine(), 4);
        QCOMPARE(window.editor()->currentLine(), 4);
        // A call that returns at once is logged like every other: both wait_for_ready rows.
        int waits = 0;
        for (int i = 0; i < window.actionLog()->topLevelItemCount(); ++i)
            waits += window.actionLog()->topLevelItem(i)->text(2).startsWith("wait_for_ready") ? 1
                                                                                               : 0;
        QCOMPARE(waits, 2);
        saveScreenshot(window, "failure-paused");

        // The machine answers in its Shell tab while the script waits.
        TerminalView *shell = window.panel("idle")->shellView();
        window.panel("idle")->setCurrentWidget(shell);
        QTest::qWait(300); // shown: sized to its view
        QTest::keyClicks(shell, "touch /tmp/fixme; echo shell-$((6*7))");
        QTest::keyClick(shell, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(surfaceText(shell->surface()).contains("shell-42"), 30000);
        // The Shell is an xterm the size of its view, and it gets Ctrl+R (not Record).
        QTest::keyClicks(shell, "echo term=$TERM size=$(stty size | tr ' ' x)");
        QTest::keyClick(shell, Qt::Key_Return);
        const QString size
            = QString("%1x%2").arg(shell->surface()->rows()).arg(shell->surface()->cols());
        QTRY_VERIFY2_WITH_TIMEOUT(
            surfaceText(shell->surface()).contains("term=xterm-256color size=" + size),
            qPrintable(surfaceText(shell->surface())), 30000);
        shell->setFocus();
        QTest::keyClicks(shell, "cat -v");
        QTest::keyClick(shell, Qt::Key_Return);
        QTest::qWait(500);
        QTest::keyClick(shell, Qt::Key_R, Qt::ControlModifier);
        QTest::keyClick(shell, Qt::Key_Return);
        QTest::keyClick(shell, Qt::Key_D, Qt::ControlModifier);
        QTRY_VERIFY2_WITH_TIMEOUT(surfaceText(shell->surface()).contains("\n^R\n"),
            qPrintable(surfaceText(shell->surface())), 30000);
        QVERIFY(!window.windowAction("recordAction")->isChecked());
        // The serial console knows its size too.
        TerminalView *serial = window.panel("idle")->serialView();
        window.panel("idle")->setCurrentWidget(serial);
        QTest::qWait(300); // shown: sized to its view
        QTest::keyClicks(serial, "stty size | tr ' ' x");
        QTest::keyClick(serial, Qt::Key_Return);
        const QString serialSize
            = QString("%1x%2").arg(serial->surface()->rows()).arg(serial->surface()->cols());
        QTRY_VERIFY2_WITH_TIMEOUT(surfaceText(serial->surface()).contains("\n" + serialSize + "\n"),
            qPrintable(serialSize + "\n" + surfaceText(serial->surface())), 30000);
        window.panel("idle")->setCurrentWidget(shell);

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

        // Crash from the graph's menu: red "crashed" on the graph, a banner in the terminals.
        QMenu *menu = window.createMachineMenu("idle");
        QVERIFY(!menu->findChild<QAction *>("machineStart")->isEnabled());
        menu->findChild<QAction *>("machineCrash")->trigger();
        delete menu;
        QTRY_COMPARE_WITH_TIMEOUT(
            window.topology()->node("idle")->state, QString("crashed"), 30000);
        QTRY_VERIFY(shell->banner().startsWith("Machine crashed at "));
        QVERIFY(shell->banner().endsWith("Start to boot it again"));
        saveScreenshot(window, "crashed");
    }

    // The everyday loop of checkpoints: line 8 fails, the user fixes it in the editor and runs
    // from the last checkpoint; the lines before it are not run on the machine again, and
    // the machine is back as it was at the checkpoint.
    void aFixedLineRunsFromTheLastCheckpoint()
    {
        const QByteArray before = "start_all()\n"
                                  "idle.wait_for_ready()\n"
                                  "with subtest('prepare'):\n"
                                  "    idle.succeed('echo prepared > /tmp/state')\n"
                                  "with subtest('work'):\n"
                                  "    idle.succeed('echo worked >> /tmp/state')\n"
                                  "    idle.succeed('sleep 1')\n";
        MainWindow window(
            writeTest("rewind", before + "    idle.succeed('grep fixed /tmp/state')\n",
                "[machines.idle]\nroot = \"image\"\n"));
        showLarge(window);
        trigger(window, "Run");
        auto *bar = window.findChild<QFrame *>("failureBar");
        QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 180000);
        QCOMPARE(window.editor()->errorLine(), 8);
        const auto rows = [&window] {
            QStringList texts;
            for (int i = 0; i < window.actionLog()->topLevelItemCount(); ++i)
                texts << window.actionLog()->topLevelItem(i)->text(ActionLog::Action);
            return texts.join('\n');
        };
        QVERIFY2(rows().contains("checkpoint prepare (line 3)")
                && rows().contains("checkpoint work (line 5)"),
            qPrintable(rows()));
        QVERIFY(window.windowAction("runFromCheckpointAction")->isEnabled());

        // Fixed in the editor, not saved: the run takes the editor's text.
        window.editor()->setText(
            before + "    assert idle.succeed('cat /tmp/state') == 'prepared\\nworked\\n'\n");
        trigger(window, "Run from the Last Checkpoint");
        QCOMPARE(waitForScriptEnd(window, 120000), QString("The script passed"));
        const QString ran = rows();
        QVERIFY2(!ran.contains("start(") && !ran.contains("wait_for_ready")
                && !ran.contains("echo prepared"),
            qPrintable(ran));
        QVERIFY2(ran.contains("restore(\"checkpoint-2\")") && ran.contains("echo worked")
                && ran.contains("checkpoint work (line 5)"),
            qPrintable(ran));
        QVERIFY2(window.output()->visibleText().contains("rewound to checkpoint work"),
            qPrintable(window.output()->visibleText()));
        saveScreenshot(window, "rewind");
    }

    // A second Run starts from fresh machines: what was done by hand after the first is gone.
    // "Run on the Running Machines" keeps it.
    void runStartsFromFreshMachines()
    {
        MainWindow window(writeTest(
            "fresh", "start_all()\nidle.succeed('test ! -e /tmp/by-hand')\n", "[machines.idle]\n"));
        showLarge(window);
        trigger(window, "Run");
        QCOMPARE(waitForScriptEnd(window, 120000), QString("The script passed"));
        Machine *first = window.workbench()->run()->machine("idle");
        first->succeed("touch /tmp/by-hand");
        const QString firstRunDir = window.workbench()->run()->runDir();
        trigger(window, "Run on the Running Machines");
        // The machine as it is: the file made by hand is there, and line 2 fails.
        QTRY_COMPARE_WITH_TIMEOUT(
            window.statusBar()->currentMessage(), QString("Paused on a failure at line 2"), 60000);
        window.findChild<QPushButton *>("failureFail")->click();
        const QString reused = waitForScriptEnd(window, 60000);
        QVERIFY2(reused.startsWith("The script failed"), qPrintable(reused));
        trigger(window, "Run");
        QCOMPARE(waitForScriptEnd(window, 120000), QString("The script passed"));
        QVERIFY(window.workbench()->run()->runDir() != firstRunDir); // new state disks
        QVERIFY(!QFileInfo::exists(firstRunDir));
        QCOMPARE(window.workbench()->runningMachines(), 1);
        trigger(window, "Stop All");
        QTRY_COMPARE_WITH_TIMEOUT(window.workbench()->runningMachines(), 0, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(
            window.topology()->node("idle")->state, QString("stopped"), 10000);
    }

    // Opening another test over running machines, with Stop Them: the old machines stop
    // quietly; the new test's machines of the same name were drawn red, "Machine crashed at…",
    // by the old ones' last events.
    void openingAnotherTestStopsTheOldMachinesQuietly()
    {
        MainWindow window(
            writeTest("first", "start_all()\nidle.wait_for_ready()\n", "[machines.idle]\n"));
        showLarge(window);
        trigger(window, "Run");
        QCOMPARE(waitForScriptEnd(window, 120000), QString("The script passed"));
        QCOMPARE(window.workbench()->runningMachines(), 1);
        const QString second = writeTest("second", "pass\n", "[machines.idle]\n");
        // Stop Them: the prompt's accepting button.
        auto *timer = new QTimer(&window);
        timer->setInterval(20);
        QObject::connect(timer, &QTimer::timeout, timer, [timer] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box || box->objectName() != "discardPrompt")
                return;
            timer->stop();
            for (QAbstractButton *b : box->buttons())
                if (box->buttonRole(b) == QMessageBox::AcceptRole)
                    b->click();
        });
        timer->start();
        QVERIFY(window.openTest(second));
        QCoreApplication::processEvents();
        QCOMPARE(window.topology()->node("idle")->state, QString("not started"));
        QVERIFY2(window.panel("idle")->serialView()->banner().isEmpty(),
            qPrintable(window.panel("idle")->serialView()->banner()));
        // What the old machine said last, after the new test was built, reached nothing.
        QTest::qWait(500);
        QCOMPARE(window.topology()->node("idle")->state, QString("not started"));
        QVERIFY(window.panel("idle")->serialView()->banner().isEmpty());
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
        // A command that fails is recorded as fail(), from its exit status.
        QTest::keyClicks(shell, "cat /tmp/nonexistent");
        QTest::keyClick(shell, Qt::Key_Return);
        QTRY_VERIFY2_WITH_TIMEOUT(
            window.editor()->text().contains("desk.fail(\"cat /tmp/nonexistent\")"),
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
        machine = window.workbench()->run()->machine("desk"); // a fresh machine for this run
        QTRY_VERIFY_WITH_TIMEOUT(
            machine->execute("cat /tmp/rec").stdoutBytes.trimmed() == "typed-by-hand", 20000);
        QCOMPARE(machine->execute("cat /tmp/shellrec").stdoutBytes.trimmed(), "shell-recorded");

        // The Screen at 1:1 is the guest's size and scrolls in a smaller view.
        desk->setCurrentIndex(2);
        ScreenView *screen = desk->screenView();
        QTRY_VERIFY_WITH_TIMEOUT(screen && !screen->image().isNull(), 30000);
        desk->findChild<QAction *>("scaleToFit")->setChecked(false);
        QCOMPARE(screen->minimumSize(), screen->image().size());
        auto *scroll = desk->findChild<QScrollArea *>("screenScroll");
        QTRY_VERIFY(scroll->horizontalScrollBar()->maximum() > 0
            || scroll->verticalScrollBar()->maximum() > 0);
        saveScreenshot(window, "screen-1to1");
        desk->findChild<QAction *>("scaleToFit")->setChecked(true);

        // Every Send Key entry does on the guest what it says.
        const auto active = [machine] {
            return machine->execute("cat /sys/class/tty/tty0/active").stdoutBytes.trimmed();
        };
        for (int f : { 2, 3, 5, 6, 1 }) {
            desk->sendKeyCombo(QString("ctrl-alt-f%1").arg(f));
            QTRY_COMPARE_WITH_TIMEOUT(active(), QByteArray("tty") + QByteArray::number(f), 10000);
        }
        QVERIFY(window.statusBar()->currentMessage().startsWith("Sent ctrl-alt-f1 to desk"));
        desk->sendKeyCombo("alt-f4");
        QTRY_COMPARE_WITH_TIMEOUT(active(), QByteArray("tty4"), 10000);
        desk->sendKeyCombo("ctrl-alt-f1");
        QTRY_COMPARE_WITH_TIMEOUT(active(), QByteArray("tty1"), 10000);
        machine->succeed("dmesg -c > /dev/null");
        desk->sendKeyCombo("alt-sysrq-h");
        QTRY_VERIFY_WITH_TIMEOUT(machine->succeed("dmesg").contains("sysrq: HELP"), 10000);
        machine->sendChars("cat -v > /tmp/keys\n", 0);
        QTest::qWait(1000);
        desk->sendKeyCombo("alt-tab");
        QTest::qWait(500);
        machine->sendChars("\n", 0);
        machine->sendKey("ctrl-d");
        QTRY_COMPARE_WITH_TIMEOUT(
            machine->execute("cat /tmp/keys").stdoutBytes, QByteArray("^[\t\n"), 10000);
        QSignalSpy states(window.workbench(), &Workbench::machineStateChanged);
        desk->sendKeyCombo("ctrl-alt-delete");
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(states.cbegin(), states.cend(),
                                     [](const QList<QVariant> &s) {
                                         return s.at(1).toString() == "booting"
                                             && s.at(2).toString() == "reset";
                                     }),
            30000);
        const QStringList combos = MachinePanel::sendKeyCombos(); // each one checked above
        QCOMPARE(combos.size(), 10);

        // Take Screenshot says where the file went.
        QTRY_VERIFY_WITH_TIMEOUT(machine->isUp(), 60000);
        desk->takeScreenshot();
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().startsWith("Screenshot saved to "), 30000);
        QVERIFY(QFileInfo(window.statusBar()->currentMessage().mid(20)).isFile());
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

    // A Ctrl+drag on the Screen stays drawn while the user chooses, and the needle kept is cut
    // from the guest's own framebuffer (its size, what match_screen reads), not from the
    // picture the Screen shows: the needle matches the machine's screen at once.
    void aNeedleIsCutFromTheGuestsFramebuffer()
    {
        MainWindow window(writeTest("needle",
            "start_all()\nscreen.wait_until_tty_matches(\"1\", \"screen:\")\n"
            "screen.send_chars(\"clear; echo NEEDLE-MARK\\n\")\n"
            "screen.wait_until_tty_matches(\"1\", \"^NEEDLE-MARK\")\n",
            "[machines.screen]\ngraphics = true\n"));
        ScreenView *view = nullptr;
        runToAPassAndShowTheScreen(window, "screen", &view);
        if (QTest::currentTestFailed())
            return;
        view->setScaled(true);
        QTest::qWait(100);
        // Where the top-left 200x60 guest pixels are on the widget (scaled to fit, centred).
        const QImage shown = view->image();
        const double scale
            = qMin(double(view->width()) / shown.width(), double(view->height()) / shown.height());
        const QPointF origin((view->width() - shown.width() * scale) / 2,
            (view->height() - shown.height() * scale) / 2);
        const QPoint from = (origin + QPointF(2, 2) * scale).toPoint();
        const QPoint to = (origin + QPointF(200, 60) * scale).toPoint();
        QString menuText;
        bool selectionShownWhileChoosing = false;
        // Two timers: the menu's action opens the name dialog in a loop of its own, inside the
        // menu timer's slot, where only another timer can answer it.
        QTimer chooser, namer;
        chooser.setInterval(50);
        namer.setInterval(50);
        connect(&namer, &QTimer::timeout, this, [&] {
            if (auto *dialog = window.findChild<QInputDialog *>(); dialog && dialog->isVisible()) {
                dialog->setTextValue("vm-region");
                dialog->accept();
                namer.stop();
            }
        });
        connect(&chooser, &QTimer::timeout, this, [&] {
            QMenu *menu = nullptr;
            for (QWidget *w : QApplication::topLevelWidgets())
                if (auto *m = qobject_cast<QMenu *>(w); m && m->isVisible())
                    menu = m;
            if (!menu)
                return;
            chooser.stop();
            selectionShownWhileChoosing = !view->selection().isEmpty();
            namer.start();
            for (QAction *action : menu->actions()) {
                menuText += action->text() + "\n";
                if (action->text() == "Wait for This Region…") {
                    menu->close();
                    action->trigger();
                    break;
                }
            }
            menu->close();
        });
        chooser.start();
        QSignalSpy regions(view, &ScreenView::regionSelected);
        QTest::mousePress(view, Qt::LeftButton, Qt::ControlModifier, from);
        QTest::mouseMove(view, to);
        QTest::mouseRelease(view, Qt::LeftButton, Qt::ControlModifier, to);
        QCOMPARE(regions.size(), 1);
        const QString json
            = QFileInfo(window.workbench()->testFile()).absolutePath() + "/needles/vm-region.json";
        QTRY_VERIFY2_WITH_TIMEOUT(QFile::exists(json),
            qPrintable(menuText + " | " + window.statusBar()->currentMessage()), 30000);
        QVERIFY2(selectionShownWhileChoosing, qPrintable(menuText));
        QVERIFY(view->selection().isEmpty()); // gone once chosen
        Machine *machine = window.workbench()->run()->machine("screen");
        const QImage dump = machine->grabScreen();
        const QImage needle(QFileInfo(json).absolutePath() + "/vm-region.png");
        QCOMPARE(needle.size(), dump.size());
        const QVariantMap match = machine->matchScreen("needles/vm-region.json", 0.9);
        QVERIFY2(!match.isEmpty(), "the needle does not match the screen it was cut from");
        trigger(window, "Stop All");
    }

    // A Screen connected over VNC goes on across a restore: it shows the restored screen and
    // its keys reach the guest (docs/script-api.md, "Snapshots").
    void aScreenWorksAcrossARestore()
    {
        MainWindow window(writeTest("restored",
            "start_all()\nscreen.wait_until_tty_matches(\"1\", \"screen:\")\n"
            "screen.send_chars(\"clear; echo BEFORE-SNAP\\n\")\n"
            "screen.wait_until_tty_matches(\"1\", \"BEFORE-SNAP\")\n"
            "screen.snapshot(\"shown\")\n"
            "screen.send_chars(\"clear; echo AFTER-SNAP\\n\")\n"
            "screen.wait_until_tty_matches(\"1\", \"AFTER-SNAP\")\n",
            "[machines.screen]\ngraphics = true\nroot = \"image\"\n"));
        ScreenView *view = nullptr;
        runToAPassAndShowTheScreen(window, "screen", &view);
        if (QTest::currentTestFailed())
            return;
        QTRY_VERIFY_WITH_TIMEOUT(view->isConnected(), 30000);
        Machine *machine = window.workbench()->run()->machine("screen");
        const QImage before = view->image();
        machine->restore("shown");
        QTRY_VERIFY_WITH_TIMEOUT(view->image() != before, 20000); // the restored screen
        // The snapshot was taken once the typed line showed, maybe before the shell ran it:
        // the restored guest may still clear the screen and print BEFORE-SNAP (a check right
        // then saw an empty screen on a loaded host). It never shows what came after.
        QTRY_VERIFY_WITH_TIMEOUT(
            machine->succeed("cat /dev/vcs1", 30).contains("BEFORE-SNAP"), 30000);
        QVERIFY(!machine->succeed("cat /dev/vcs1", 30).contains("AFTER-SNAP"));
        view->setFocus();
        typeLikeAUser(view, "echo TYPED-AFTER");
        QTest::keyClick(view, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(
            machine->succeed("cat /dev/vcs1", 30).contains("TYPED-AFTER"), 30000);
        QVERIFY(view->isConnected());
        trigger(window, "Stop All");
    }
};

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
