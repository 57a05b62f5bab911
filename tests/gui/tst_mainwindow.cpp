// The workbench window offscreen, without booting guests: breakpoints set in the editor reach the
// script engine, clicking an action in the log puts the editor on its line, unsaved edits are
// asked about, verdicts are honest, terminals keep their keys, progress and output show live.
#include "buildpaths.h"
#include "ui/console/pythonconsole.h"
#include "ui/demofolder.h"
#include "ui/editor/scripteditor.h"
#include "ui/machine/machinepanel.h"
#include "ui/mainwindow.h"
#include "ui/run/actionlog.h"
#include "ui/run/outputpane.h"
#include "ui/run/propertychart.h"
#include "ui/run/propertysettingsdialog.h"
#include "ui/run/propertystatus.h"
#include "ui/run/propertyview.h"
#include "ui/run/runcomparisonview.h"
#include "ui/run/runsview.h"
#include "ui/run/runviewer.h"
#include "ui/screen/screenview.h"
#include "ui/terminal/terminalview.h"
#include "ui/topology/topologymodel.h"
#include "ui/topology/topologyview.h"
#include "ui/widgets/historylineedit.h"
#include "ui/workbench.h"

#include <QAction>
#include <QApplication>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>
#include <QTreeWidget>
#include <algorithm>

using namespace vivarium;

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeTest(const QByteArray &script, const QString &name = "t")
    {
        QFile py(m_dir.filePath(name + ".py"));
        py.open(QIODevice::WriteOnly);
        py.write(script);
        py.close();
        QFile toml(m_dir.filePath(name + ".toml"));
        toml.open(QIODevice::WriteOnly);
        toml.write("script = \"" + name.toUtf8() + ".py\"\n[machines.idle]\n");
        toml.close();
        return m_dir.filePath(name + ".toml");
    }

    static QString readFile(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
    }

    // Answers the next "discard?" prompt with button (a standard one, or 0 for "Stop Them");
    // what it said lands in text.
    static void answerPrompt(QMessageBox::StandardButton button, QString *text)
    {
        auto *timer = new QTimer;
        timer->setInterval(20);
        QObject::connect(timer, &QTimer::timeout, timer, [timer, button, text] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box || box->objectName() != "discardPrompt")
                return;
            *text = box->text() + "\n" + box->informativeText();
            QAbstractButton *target
                = button != QMessageBox::NoButton ? box->button(button) : box->buttons().value(0);
            for (QAbstractButton *b : box->buttons())
                if (button == QMessageBox::NoButton
                    && box->buttonRole(b) == QMessageBox::AcceptRole)
                    target = b;
            timer->stop(); // before the click: the next prompt is not this one's
            timer->deleteLater();
            target->click();
        });
        timer->start();
    }

    static void waitForEnd(MainWindow &window)
    {
        QTRY_VERIFY_WITH_TIMEOUT(!window.workbench()->isScriptRunning()
                && window.statusBar()->currentMessage().contains("report"),
            20000);
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

    // A machine the script adds shows at once: its tab, its node and NICs in the graph (a new
    // VLAN too); the next Run starts from the test file's machines again.
    void anAddedMachineAppearsLive()
    {
        MainWindow window(writeTest("add_machine('extra', vlans=[1, 4])\n", "added"));
        window.workbench()->runScript(window.editor()->text());
        QTRY_VERIFY_WITH_TIMEOUT(window.panel("extra") != nullptr, 10000);
        QTRY_VERIFY(window.topology()->node("extra"));
        QCOMPARE(window.topology()->node("vlan4")->kind, TopologyModel::Node::Kind::Vlan);
        QCOMPARE(window.topology()->edge("extra", 4)->interface, QString("eth2"));
        bool drawn = false;
        for (const QGraphicsItem *item : window.topologyView()->scene()->items())
            drawn = drawn || item->data(0).toString() == "extra";
        QVERIFY(drawn);
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().contains(" — report: "), 10000);

        window.workbench()->runScript("log.info('second run')\n");
        QTRY_VERIFY_WITH_TIMEOUT(window.panel("extra") == nullptr, 10000);
        QVERIFY(!window.topology()->node("extra"));
        QVERIFY(!window.topology()->node("vlan4"));
        QVERIFY(window.panel("idle"));
    }

    // A falsified property in the workbench: its progress shows while it runs, then "Open the
    // Minimal Failing Case" opens the written test, its steps in the editor.
    void aFalsifiedPropertyOffersItsMinimalCase()
    {
        MainWindow window(writeTest(
            "from vivarium.stateful import NetworkStateMachine, networks, replays_as, rule, run, "
            "st\n"
            "class Planted(NetworkStateMachine):\n"
            "    network = networks(min_machines=1, max_machines=2, memory=st.integers(96, 256))\n"
            "    @rule(node=NetworkStateMachine.nodes)\n"
            "    @replays_as(\"assert {node} is not None\")\n"
            "    def touch(self, node):\n"
            "        import time; time.sleep(0.02)\n"
            "        assert self.spec[node]['memory'] < 200, 'planted'\n"
            "run(Planted, examples=100, steps=4, seed=5)\n",
            "prop"));
        QStringList progress;
        connect(window.workbench(), &Workbench::propertyProgress, this,
            [&](const QString &text) { progress << text; });
        window.workbench()->runScript(window.editor()->text());
        QPushButton *open = window.propertyStatus()->findChild<QPushButton *>("openMinimalCase");
        QVERIFY(open);
        QTRY_VERIFY_WITH_TIMEOUT(!open->isHidden(), 60000);
        QVERIFY2(std::any_of(progress.cbegin(), progress.cend(),
                     [](const QString &t) {
                         return t.startsWith("property Planted: example ")
                             && t.contains(" of 100 (") && t.contains("step 1: touch(node='n");
                     }),
            qPrintable(progress.join('\n')));
        // Shrinking counts its own tries ("example 84 of 40 (shrinking)" counted past the
        // number of examples).
        QVERIFY2(std::any_of(progress.cbegin(), progress.cend(),
                     [](const QString &t) {
                         return t.startsWith("property Planted: shrinking, try ")
                             && !t.contains(" of 100");
                     }),
            qPrintable(progress.join('\n')));
        const QString minimal = window.propertyStatus()->minimalCase();
        QVERIFY2(minimal.endsWith("/falsified/Planted.toml"), qPrintable(minimal));
        // The Property view drew the run live: the last example's network, its steps, and a bar
        // per example with the failing ones marked, shrinking's tries after the search's.
        PropertyView *live = window.propertyView();
        QTRY_VERIFY(live->header()->text().startsWith("Property Planted: falsified"));
        QVERIFY(live->network());
        QVERIFY(live->network()->node("n1"));
        QVERIFY(live->steps()->count() >= 1);
        QVERIFY(live->steps()->item(0)->text().startsWith("1. touch(node='n"));
        const QList<PropertyChart::Example> &bars = live->chart()->examples();
        QVERIFY(bars.size() >= 3);
        QVERIFY(std::any_of(bars.cbegin(), bars.cend(), [](const auto &e) { return !e.passed; }));
        QVERIFY(std::any_of(
            bars.cbegin(), bars.cend(), [](const auto &e) { return e.phase == "shrink"; }));
        QVERIFY(std::is_sorted(bars.cbegin(), bars.cend(),
            [](const auto &a, const auto &b) { return a.endMs < b.endMs; }));
        QTRY_VERIFY_WITH_TIMEOUT(!window.workbench()->isScriptRunning(), 10000);
        open->click();
        QCOMPARE(window.workbench()->testFile(), minimal);
        QVERIFY2(
            window.editor()->text().contains("# step: touch(node='n1')\nassert n1 is not None"),
            qPrintable(window.editor()->text()));
        QVERIFY(open->isHidden()); // a new test: nothing to offer yet
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
        // A screenshot's call: its picture must not push the rows around when clicked.
        QImage shot(400, 300, QImage::Format_RGB32);
        shot.fill(Qt::darkCyan);
        QVERIFY(shot.save(m_dir.filePath("shot.png")));
        event.artifact = m_dir.filePath("shot.png");
        window.workbench()->run()->events()->post(event::ActionFinished { event });
        QTRY_COMPARE(window.actionLog()->topLevelItemCount(), 2); // the verdict of "pass", the call
        QTreeWidgetItem *item = window.actionLog()->topLevelItem(1);
        QVERIFY(item->toolTip(ActionLog::Action).contains("shot.png"));
        QCOMPARE(item->text(2), QString("succeed(\"true\")"));
        const QRect rect = window.actionLog()->visualItemRect(item);
        const QRect logBefore = window.actionLog()->geometry();
        QTest::mouseClick(window.actionLog()->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(window.actionLog()->geometry(), logBefore); // nothing moved under the mouse
        QCOMPARE(window.actionLog()->visualItemRect(item), rect);
        int line = -1, index = -1;
        window.editor()->getCursorPosition(&line, &index);
        QCOMPARE(line, 2); // 0-based: the script's line 3
        QCOMPARE(window.editor()->selectedText(), QString("idle.succeed('true')")); // highlighted
    }

    // Every run is kept (a failed run's report survives the next Run), the Runs view lists them
    // with their verdicts and failing lines, a run opens read-only, two runs compare by script
    // line, a run on the running machines keeps the last run's reports, and the oldest runs go
    // past the limit.
    void runsAreKeptAndCompared()
    {
        const QByteArray failing = "with subtest('one'):\n    pass\nwith subtest('two'):\n"
                                   "    assert False, 'planted'\n";
        MainWindow window(writeTest(failing, "kept"));
        window.workbench()->setRunsKept(3);
        window.windowAction("runAction")->trigger();
        waitForEnd(window);
        const QString firstRun = window.workbench()->outDir();
        window.editor()->setText(
            "with subtest('one'):\n    pass\nwith subtest('two'):\n    pass\n");
        window.windowAction("runAction")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.workbench()->outDir() != firstRun, 10000);
        waitForEnd(window);
        QVERIFY(readFile(firstRun + "/log.html").contains("planted")); // not overwritten
        QTreeWidget *list = window.runs()->list();
        QTRY_COMPARE(list->topLevelItemCount(), 2);
        QCOMPARE(list->topLevelItem(0)->text(RunsView::Verdict), QString("passed"));
        QCOMPARE(list->topLevelItem(1)->text(RunsView::Verdict), QString("failed"));
        QCOMPARE(list->topLevelItem(1)->text(RunsView::FailingLine), QString("kept.py:4"));

        // The failed run, read-only.
        list->clearSelection();
        list->topLevelItem(1)->setSelected(true);
        window.runs()->openSelected();
        auto *viewer = window.findChild<RunViewer *>();
        QVERIFY(viewer);
        QCOMPARE(viewer->actions()->topLevelItemCount(), 1); // the verdict row
        QCOMPARE(viewer->actions()->topLevelItem(0)->text(ActionLog::Action),
            QString("The script failed"));
        QVERIFY2(viewer->summary()->text().contains("failed at kept.py:4: AssertionError: planted"),
            qPrintable(viewer->summary()->text()));
        viewer->close();

        // The two compared: the older is run A; subtest two failed there and passed here.
        list->topLevelItem(0)->setSelected(true);
        QCOMPARE(window.runs()->selectedRuns().size(), 2);
        window.runs()->compareSelected();
        auto *comparison = window.findChild<RunComparisonView *>();
        QVERIFY(comparison);
        QCOMPARE(comparison->steps()->topLevelItemCount(), 2);
        QCOMPARE(comparison->comparison().firstDifference, 1);
        QVERIFY2(comparison->firstDifference()->text().contains(
                     "kept.py:3 subtest \"two\": failed in run A, ok in run B"),
            qPrintable(comparison->firstDifference()->text()));
        QCOMPARE(comparison->steps()->currentItem(), comparison->steps()->topLevelItem(1));
        comparison->close();

        // A run on the running machines goes on in the same directory: the last run's reports
        // are kept as a run of their own first.
        const QString secondRun = window.workbench()->outDir();
        window.workbench()->runScript("assert False, 'third'\n", Workbench::Machines::Running);
        waitForEnd(window);
        QCOMPARE(window.workbench()->outDir(), secondRun);
        QTRY_COMPARE(list->topLevelItemCount(), 3);
        QStringList verdicts;
        for (int i = 0; i < 3; ++i)
            verdicts << list->topLevelItem(i)->text(RunsView::Verdict);
        QCOMPARE(verdicts.count("passed"), 1);
        QCOMPARE(verdicts.count("failed"), 2);
        // Past the limit of 3, the oldest goes: the first run.
        window.windowAction("runAction")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.workbench()->outDir() != secondRun, 10000);
        waitForEnd(window);
        QTRY_COMPARE(list->topLevelItemCount(), 3);
        QVERIFY(!QFileInfo::exists(firstRun));
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
        // The history is the test file's: another test has its own, this one's comes back.
        const QString other = writeTest("pass\n", "other");
        QVERIFY(window.openTest(other));
        // ...and its console starts empty: the last test's entries and answers are not its.
        QCOMPARE(console->transcript(), QString());
        QTest::keyClick(input, Qt::Key_Up);
        QCOMPARE(input->text(), QString());
        QVERIFY(window.openTest(m_dir.filePath("t.toml")));
        QTest::keyClick(input, Qt::Key_Up);
        QCOMPARE(input->text(), QString("undefined_name"));
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

    void aTabOpenedTakesTheKeys()
    {
        MainWindow window(writeTest("pass\n"));
        window.show();
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        MachinePanel *panel = window.panel("idle");
        QVERIFY(panel);
        auto *monitor = panel->findChild<QWidget *>("monitor-idle");
        QVERIFY(monitor);
        panel->setCurrentIndex(panel->count() - 1); // Monitor
        QTRY_COMPARE(QApplication::focusWidget(), monitor);
        panel->setCurrentWidget(panel->serialView());
        QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget *>(panel->serialView()));
    }

    // Item 1: an edit is never dropped without asking; Cancel keeps it, Save writes it.
    // Issue 25: New Test writes a test and its script from a template and opens them; Save
    // Test As copies the test with the editor's script under a new name; neither overwrites.
    void newTestAndSaveTestAs()
    {
        MainWindow window(writeTest("a = 1\n", "original"));
        const QString made = m_dir.filePath("made.toml");
        QVERIFY(window.newTest(made));
        QCOMPARE(window.workbench()->spec().file, made);
        QCOMPARE(window.workbench()->spec().script, m_dir.filePath("made.py"));
        QVERIFY(window.editor()->text().contains("machine.succeed(\"true\")"));
        QCOMPARE(window.workbench()->spec().machines.size(), 1);

        window.editor()->append("machine.succeed(\"echo edited\")\n");
        const QString copy = m_dir.filePath("copy.toml");
        QVERIFY(window.saveTestAs(copy));
        QCOMPARE(window.workbench()->spec().file, copy);
        QCOMPARE(window.workbench()->spec().script, m_dir.filePath("copy.py"));
        QVERIFY(readFile(m_dir.filePath("copy.py")).contains("echo edited"));
        QVERIFY(!readFile(m_dir.filePath("made.py")).contains("echo edited"));
        QVERIFY(readFile(copy).contains("script = \"copy.py\""));
        QVERIFY(readFile(copy).contains("[machines.machine]"));
        QVERIFY(!window.editor()->isModified());

        // A name that is taken is refused, and nothing is written over.
        const QString before = readFile(made);
        QString said;
        QTimer closer;
        closer.setInterval(20);
        connect(&closer, &QTimer::timeout, [&] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                said = box->text();
                box->accept();
            }
        });
        closer.start();
        QVERIFY(!window.saveTestAs(made));
        closer.stop();
        QVERIFY2(said.contains("exists already"), qPrintable(said));
        QCOMPARE(readFile(made), before);
        QCOMPARE(window.workbench()->spec().file, copy);
    }

    // Issue 25: the seed, examples and steps of a property run are the user's to choose
    // before Run, over the test file's [property].
    void propertySettingsReachTheNextRun()
    {
        const QString file = writeTest(
            "import _vivarium\nprint('settings', sorted(_vivarium.property_settings().items()))\n",
            "settings");
        QFile toml(file);
        QVERIFY(toml.open(QIODevice::Append));
        toml.write("[property]\nexamples = 40\nseed = 25\n");
        toml.close();
        MainWindow window(file);
        PropertySettings current;
        current.steps = 3;
        PropertySettingsDialog dialog(current, window.workbench()->spec().property, &window);
        auto *examples = dialog.findChild<QSpinBox *>("examples");
        QCOMPARE(examples->value(), 0);
        QCOMPARE(examples->specialValueText(), QString("the test's (40)"));
        QCOMPARE(dialog.findChild<QSpinBox *>("steps")->value(), 3);
        examples->setValue(7);
        QTest::keyClicks(dialog.findChild<QLineEdit *>("seed"), "12x34"); // digits only
        const PropertySettings chosen = dialog.settings();
        QCOMPARE(chosen.examples, std::optional<int>(7));
        QCOMPARE(chosen.steps, std::optional<int>(3));
        QCOMPARE(chosen.seed, std::optional<qint64>(1234));
        QVERIFY(!chosen.derandomize);

        window.workbench()->setPropertySettings(chosen);
        window.windowAction("runAction")->trigger();
        waitForEnd(window);
        QTRY_VERIFY(window.output()->visibleText().contains("settings ["));
        QVERIFY2(window.output()->visibleText().contains(
                     "settings [('examples', 7), ('seed', 1234), ('steps', 3)]"),
            qPrintable(window.output()->visibleText()));
        // Another test starts from its own file's settings.
        QVERIFY(window.openTest(writeTest("pass\n", "other")));
        QVERIFY(!window.workbench()->propertySettings().examples);
    }

    // Issue 25: find (Ctrl+F, F3, Shift+F3) and replace (Ctrl+H) in the script.
    void findAndReplaceInTheScript()
    {
        MainWindow window(writeTest("alpha = 1\nbeta = alpha\nALPHA = 3\n", "find"));
        window.show();
        window.editor()->setCursorPosition(0, 0);
        window.findChild<QAction *>("findAction")->trigger();
        auto *bar = window.findChild<QWidget *>("findBar");
        QVERIFY(bar && bar->isVisible());
        auto *field = window.findChild<QLineEdit *>("findText");
        QTest::keyClicks(field, "alpha");
        const auto selectedLine = [&] {
            int line = 0, index = 0, lineTo = 0, indexTo = 0;
            window.editor()->getSelection(&line, &index, &lineTo, &indexTo);
            return line + 1;
        };
        QTest::keyClick(field, Qt::Key_Return);
        QCOMPARE(selectedLine(), 1);
        window.findChild<QAction *>("findNextAction")->trigger(); // F3
        QCOMPARE(selectedLine(), 2);
        window.findChild<QAction *>("findNextAction")->trigger(); // case-insensitive
        QCOMPARE(selectedLine(), 3);
        window.findChild<QAction *>("findPreviousAction")->trigger();
        QCOMPARE(selectedLine(), 2);

        window.findChild<QAction *>("replaceAction")->trigger();
        auto *replacement = window.findChild<QLineEdit *>("replaceText");
        QVERIFY(replacement->isVisible());
        QTest::keyClicks(replacement, "gamma");
        window.findChild<QToolButton *>("replaceAll")->click();
        QCOMPARE(window.editor()->text(), QString("gamma = 1\nbeta = gamma\ngamma = 3\n"));
        QVERIFY(window.editor()->isModified());
        // One undo step takes the whole replacement back.
        window.editor()->undo();
        QCOMPARE(window.editor()->text(), QString("alpha = 1\nbeta = alpha\nALPHA = 3\n"));
        QTest::keyClick(field, Qt::Key_Escape);
        QVERIFY(!bar->isVisible());
    }

    // Issue 25: without a test the workbench opens the user's copy of the demo, so Save never
    // writes into the install or the checkout; the user's edits survive the next start.
    void theDemoOpensFromTheUsersOwnCopy()
    {
        const QString source = QStringLiteral(VIVARIUM_SOURCE_DIR "/resources/demo");
        const QString copy = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
            + "/vivarium/demo";
        QDir(copy).removeRecursively();
        QString error;
        const QString test = userDemoTest(source, &error);
        QCOMPARE(test, copy + "/demo.toml");
        QCOMPARE(readFile(copy + "/demo.py"), readFile(source + "/demo.py"));
        QVERIFY(QFileInfo::exists(copy + "/pbt-bug.toml"));

        MainWindow window(test);
        QCOMPARE(QFileInfo(window.workbench()->spec().script).absolutePath(), copy);
        window.editor()->append("# mine\n");
        window.findChild<QAction *>("saveAction")->trigger();
        QVERIFY(readFile(copy + "/demo.py").endsWith("# mine\n"));
        QVERIFY(!readFile(source + "/demo.py").contains("# mine"));

        // The next start keeps the edit and puts back what went missing.
        QFile::remove(copy + "/pbt.py");
        QCOMPARE(userDemoTest(source, &error), test);
        QVERIFY(readFile(copy + "/demo.py").endsWith("# mine\n"));
        QCOMPARE(readFile(copy + "/pbt.py"), readFile(source + "/pbt.py"));
        QVERIFY(userDemoTest(m_dir.filePath("nowhere"), &error).isEmpty());
        QVERIFY2(error.contains("the demo is not in"), qPrintable(error));
        QDir(copy).removeRecursively();
    }

    // Issue 26: the editor shows what mypy finds against the API's stubs, on open and on
    // save, for the text as it is in the editor.
    void typeFindingsAreMarkedInTheEditor()
    {
        MainWindow window(
            writeTest("idle.succeed('true')\nidle.wait_for_open_port('eighty', 'x', 'y', 'z')\n"
                      "idle.no_such_method()\n",
                "typed"));
        auto *status = window.findChild<QLabel *>("typeCheckStatus");
        QVERIFY(status);
        QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith("Types:"), 180000);
        QCOMPARE(window.editor()->findingLines(), QList<int>({ 2, 3 }));
        QVERIFY2(window.editor()->findingsAt(3).join(' ').contains("no_such_method"),
            qPrintable(window.editor()->findingsAt(3).join(' ')));
        QVERIFY(window.editor()->findingsAt(1).isEmpty());
        // The cursor on a marked line says what was found there (the editor tells of its
        // cursor once it has drawn).
        window.show();
        window.editor()->setCursorPosition(2, 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().contains("no_such_method"), 10000);

        // Fixed in the editor and saved: checked again, nothing left.
        window.editor()->setText("idle.succeed('true')\nidle.wait_for_open_port(80)\n");
        window.findChild<QAction *>("saveAction")->trigger();
        QVERIFY(window.editor()->findingLines().isEmpty()); // cleared while it checks
        QTRY_COMPARE_WITH_TIMEOUT(status->text(), QString("Types: no findings"), 180000);
        QVERIFY(window.editor()->findingLines().isEmpty());
    }

    void unsavedEditsAreAskedAbout()
    {
        const QString first = writeTest("a = 1\n", "first");
        const QString second = writeTest("b = 2\n", "second");
        MainWindow window(first);
        QVERIFY2(window.windowTitle().startsWith("first.py — first ("),
            qPrintable(window.windowTitle()));
        QVERIFY(window.windowTitle().contains(QFileInfo(first).absoluteFilePath()));
        window.editor()->append("edited = True\n");
        QVERIFY2(
            window.windowTitle().startsWith("first.py* — first"), qPrintable(window.windowTitle()));

        QString said;
        answerPrompt(QMessageBox::Cancel, &said);
        QVERIFY(!window.openTest(second));
        QVERIFY2(said.contains("first.py has changes that are not saved"), qPrintable(said));
        QVERIFY(window.editor()->text().contains("edited = True"));
        QCOMPARE(window.workbench()->spec().name, QString("first"));

        // Closing the window asks too; Cancel keeps it open.
        window.show();
        answerPrompt(QMessageBox::Cancel, &said);
        QVERIFY(!window.close());
        QVERIFY(window.isVisible());

        // Save writes the edit, then the other test opens.
        answerPrompt(QMessageBox::Save, &said);
        QVERIFY2(window.openTest(second),
            qPrintable(said + " / " + window.statusBar()->currentMessage()));
        QVERIFY(readFile(m_dir.filePath("first.py")).contains("edited = True"));
        QCOMPARE(window.workbench()->spec().name, QString("second"));
        QCOMPARE(window.editor()->text(), QString("b = 2\n"));
        QVERIFY(!window.windowTitle().contains("*"));
        // Nothing edited, nothing running: no prompt.
        QVERIFY(window.openTest(first));
    }

    // Item 3: Skip lets the script end, but the verdict is not "passed" anywhere.
    void skipIsNotAPass()
    {
        MainWindow window(writeTest("x = 1\nidle.wait_for_ready(timeout=0.1)\ny = 2\n"));
        window.windowAction("runAction")->trigger();
        auto *bar = window.findChild<QFrame *>("failureBar");
        QTRY_VERIFY_WITH_TIMEOUT(!bar->isHidden(), 10000);
        window.findChild<QPushButton *>("failureSkip")->click();
        waitForEnd(window);
        const QString status = window.statusBar()->currentMessage();
        QVERIFY2(
            status.startsWith("The script passed with 1 skipped failure: "), qPrintable(status));
        ActionLog *log = window.actionLog();
        QTreeWidgetItem *last = log->topLevelItem(log->topLevelItemCount() - 1);
        QCOMPARE(
            last->text(ActionLog::Action), QString("The script passed with 1 skipped failure"));
        bool skippedRow = false;
        for (int i = 0; i < log->topLevelItemCount(); ++i)
            skippedRow
                = skippedRow || log->topLevelItem(i)->text(ActionLog::Result).endsWith("(skipped)");
        QVERIFY(skippedRow);
        const QString out = window.workbench()->outDir();
        QVERIFY(readFile(out + "/log.html").contains("passed with 1 skipped failure"));
        const QString junit = readFile(out + "/junit.xml");
        QVERIFY2(junit.contains("failures=\"1\""), qPrintable(junit));
        QVERIFY(junit.contains("<failure message=\"passed with 1 skipped failure: "));
        QVERIFY(readFile(out + "/events.jsonl").contains("\"skipped\":["));
    }

    // Item 3: a failed call retried as an unsaved edit of its line is no pass: the verdict, the
    // reports and junit say which line was replaced by what, and the file keeps the old line.
    void retryOfAnUnsavedEditIsNotAPass()
    {
        const QString test
            = writeTest("x = 1\nidle.wait_for_ready(timeout=0.1)\ny = 2\n", "retried");
        MainWindow window(test);
        window.windowAction("runAction")->trigger();
        auto *bar = window.findChild<QFrame *>("failureBar");
        QTRY_VERIFY_WITH_TIMEOUT(!bar->isHidden(), 10000);
        // The user fixes the line in the editor, does not save, and retries.
        window.editor()->setSelection(1, 0, 1, int(window.editor()->lineText(2).size()));
        window.editor()->replaceSelectedText("x = 5");
        QVERIFY(window.editor()->isModified());
        window.findChild<QPushButton *>("failureRetry")->click();
        waitForEnd(window);
        const QString status = window.statusBar()->currentMessage();
        QVERIFY2(status.startsWith("The script passed with 1 replaced line"), qPrintable(status));
        const QString out = window.workbench()->outDir();
        const QString junit = readFile(out + "/junit.xml");
        QVERIFY2(junit.contains("failures=\"1\""), qPrintable(junit));
        QVERIFY2(
            junit.contains("retried.py:2: `idle.wait_for_ready(timeout=0.1)` replaced by `x = 5`"),
            qPrintable(junit));
        QVERIFY(readFile(out + "/log.html").contains("passed with 1 replaced line"));
        QVERIFY(readFile(out + "/events.jsonl").contains("\"replaced\":["));
        QVERIFY(
            readFile(m_dir.filePath("retried.py")).contains("idle.wait_for_ready(timeout=0.1)"));
        // The Runs view keeps it as what it is.
        QTRY_VERIFY(window.runs()->list()->topLevelItemCount() >= 1);
        QCOMPARE(window.runs()->list()->topLevelItem(0)->text(RunsView::Verdict),
            QString("passed with 1 replaced line"));
    }

    // Item 4: a focused terminal gets Ctrl+R and Ctrl+B; elsewhere they are the window's.
    void aFocusedTerminalKeepsItsKeys()
    {
        MainWindow window(writeTest("pass\n"));
        window.show();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        TerminalView *shell = window.panel("idle")->shellView();
        window.panel("idle")->setCurrentWidget(shell);
        shell->setFocus();
        QTRY_VERIFY(shell->hasFocus());
        QSignalSpy typed(shell->surface(), &TerminalSurface::output);
        QTest::keyClick(shell, Qt::Key_R, Qt::ControlModifier);
        QTest::keyClick(shell, Qt::Key_B, Qt::ControlModifier);
        QCOMPARE(typed.size(), 2);
        QCOMPARE(typed.at(0).at(0).toByteArray(), QByteArray("\x12"));
        QCOMPARE(typed.at(1).at(0).toByteArray(), QByteArray("\x02"));
        QVERIFY(!window.windowAction("recordAction")->isChecked());
        // The Screen too (here showing dumps, as without VNC).
        ScreenView *screen = window.panel("idle")->screenView();
        window.panel("idle")->setCurrentIndex(2);
        screen->showPolledImage(QImage(64, 48, QImage::Format_RGB32));
        screen->setFocus();
        QTRY_VERIFY(screen->hasFocus());
        QSignalSpy keys(screen, &ScreenView::keyTyped);
        QTest::keyClick(screen, Qt::Key_R, Qt::ControlModifier);
        QVERIFY(std::any_of(keys.cbegin(), keys.cend(), [](const QList<QVariant> &key) {
            return key.at(2).toInt() == int(Qt::Key_R); // after Control's own press
        }));
        QVERIFY(!window.windowAction("recordAction")->isChecked());
        // With the focus in the editor, Ctrl+R is Record again.
        window.editor()->setFocus();
        QTRY_VERIFY(window.editor()->hasFocus());
        QTest::keyClick(window.editor(), Qt::Key_R, Qt::ControlModifier);
        QVERIFY(window.windowAction("recordAction")->isChecked());
        window.windowAction("recordAction")->setChecked(false);
    }

    // Item 5: a call in flight has a live row and an arrow at its line; a Pause meanwhile is
    // shown as pending until the script really pauses.
    void progressIsLive()
    {
        MainWindow window(writeTest("import time\ntime.sleep(1.5)\nx = 1\ny = 2\n"));
        window.windowAction("runAction")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.workbench()->isScriptRunning(), 5000);
        ActionEvent call;
        call.id = 4242;
        call.machine = "idle";
        call.action = "wait_for_unit";
        call.arguments = { { "unit", "x.service" } };
        call.startMs = QDateTime::currentMSecsSinceEpoch();
        call.line = 2;
        call.file = window.workbench()->spec().script;
        window.workbench()->run()->events()->post(event::ActionStarted { call });
        QTRY_COMPARE(window.actionLog()->topLevelItemCount(), 1);
        QTreeWidgetItem *row = window.actionLog()->topLevelItem(0);
        QCOMPARE(row->text(ActionLog::Result), QString("running"));
        QCOMPARE(window.editor()->runningLine(), 2);
        QTRY_VERIFY(row->text(ActionLog::Duration).endsWith(" s…"));
        const QString first = row->text(ActionLog::Duration);
        QTRY_VERIFY(row->text(ActionLog::Duration) != first); // the clock runs

        window.windowAction("pauseAction")->trigger();
        QVERIFY2(
            window.statusBar()->currentMessage().startsWith(
                "Pause pending: the script pauses after idle.wait_for_unit(\"x.service\") returns"),
            qPrintable(window.statusBar()->currentMessage()));
        QCOMPARE(window.windowAction("pauseAction")->text(), QString("Pause (pending)"));
        QVERIFY(!window.windowAction("pauseAction")->isEnabled());
        QVERIFY(!window.windowAction("continueAction")->isEnabled());

        call.durationMs = 100;
        call.result = ActionEvent::Result::Ok;
        window.workbench()->run()->events()->post(event::ActionFinished { call });
        QTRY_COMPARE(row->text(ActionLog::Result), QString("ok"));
        QCOMPARE(window.actionLog()->topLevelItemCount(), 1); // finished in place
        QCOMPARE(window.editor()->runningLine(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().startsWith("Paused at line 3"), 10000);
        QCOMPARE(window.windowAction("pauseAction")->text(), QString("Pause"));
        QVERIFY(window.windowAction("continueAction")->isEnabled());
        QCOMPARE(window.topology()->scriptState(), QString("Script paused at line 3"));
        QCOMPARE(
            window.topology()->node("idle")->state, QString("not started")); // the machine's own
        window.windowAction("continueAction")->trigger();
        waitForEnd(window);
        QVERIFY(!window.windowAction("continueAction")->isEnabled());
    }

    // Item 6: print, log lines and subtests show in the Output pane, subtests nested.
    void outputShowsWhatTheScriptSays()
    {
        MainWindow window(writeTest("print('hello from print')\nlog.info('a log line')\n"
                                    "with subtest('inner'):\n    print('inside')\n"));
        window.windowAction("runAction")->trigger();
        waitForEnd(window);
        OutputPane *output = window.output();
        QTRY_VERIFY(output->visibleText().contains("subtest inner passed"));
        const QString text = output->visibleText();
        QVERIFY2(text.contains("hello from print\na log line\nsubtest: inner\n  inside\n"),
            qPrintable(text));
        QVERIFY(window.windowAction("openReportAction")->isEnabled());
        QVERIFY(window.windowAction("openOutputAction")->isEnabled());
        // A serial line of one machine, filtered.
        window.workbench()->run()->events()->post(event::ConsoleLine { "idle", "booted fine" });
        QTRY_VERIFY(output->visibleText().contains("idle # booted fine"));
        output->setFilter("script");
        QVERIFY(!output->visibleText().contains("idle # booted fine"));
        QVERIFY(output->visibleText().contains("hello from print"));
        output->setFilter("idle");
        QVERIFY(output->visibleText().contains("idle # booted fine"));
        QVERIFY(!output->visibleText().contains("hello from print"));
    }

    // Item 7: a machine that went away says so in its terminals and in red on the graph.
    void aCrashedMachineSaysSo()
    {
        MainWindow window(writeTest("pass\n"));
        window.windowAction("runAction")->trigger();
        waitForEnd(window);
        window.workbench()->run()->events()->post(event::MachineState { "idle", "off", "crashed" });
        QTRY_VERIFY(window.panel("idle")->shellView()->banner().startsWith("Machine crashed at "));
        QVERIFY(window.panel("idle")->serialView()->banner().endsWith("Start to boot it again"));
        QCOMPARE(window.topology()->node("idle")->state, QString("crashed"));
        window.workbench()->run()->events()->post(
            event::MachineState { "idle", "booting", "QEMU" });
        QTRY_VERIFY(window.panel("idle")->shellView()->banner().isEmpty());
        // The machine menu offers what applies: Start while booting is not one.
        QMenu *menu = window.createMachineMenu("idle");
        QVERIFY(!menu->findChild<QAction *>("machineStart")->isEnabled());
        QVERIFY(menu->findChild<QAction *>("machineCrash")->isEnabled());
        QVERIFY(!menu->findChild<QAction *>("machineUnblock")->isEnabled());
        delete menu;
    }

    // Item 8: a stop is the user's doing: grey, "Stopped by you at line N".
    void aStopIsNotAFailure()
    {
        MainWindow window(writeTest("import time\nx = 1\nidle.wait_for_console_text('never')\n"));
        window.windowAction("runAction")->trigger();
        QTest::qWait(800);
        window.windowAction("stopAction")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!window.workbench()->isScriptRunning(), 10000);
        QTRY_VERIFY(window.statusBar()->currentMessage().startsWith("Stopped by you at line 3"));
        QCOMPARE(window.editor()->stoppedLine(), 3);
        QCOMPARE(window.editor()->errorLine(), 0);
    }

    // Item 12: a syntax error is marked at its line; the actions say their shortcuts, have
    // icons, and are enabled only when they apply; closed docks come back from View.
    void theWindowIsSelfExplaining()
    {
        MainWindow window(writeTest("a = 1\nif True\n    b = 2\n"));
        QVERIFY(!window.windowAction("pauseAction")->isEnabled());
        QVERIFY(!window.windowAction("stepLineAction")->isEnabled());
        QVERIFY(!window.windowAction("continueAction")->isEnabled());
        QVERIFY(window.windowAction("runAction")->isEnabled());
        for (const char *name : { "runAction", "pauseAction", "stepActionAction", "stopAction",
                 "recordAction", "startAllAction" }) {
            QAction *action = window.windowAction(name);
            QVERIFY2(!action->icon().isNull(), name);
            QVERIFY2(
                action->toolTip().contains(action->shortcut().toString(QKeySequence::NativeText)),
                name);
        }
        window.windowAction("runAction")->trigger();
        waitForEnd(window);
        QCOMPARE(window.editor()->errorLine(), 2);
        QVERIFY(window.statusBar()->currentMessage().startsWith("The script failed: SyntaxError"));

        QMenu *view = nullptr;
        for (QAction *menu : window.menuBar()->actions())
            if (menu->text() == "&View")
                view = menu->menu();
        QVERIFY(view);
        QStringList docks;
        for (QAction *a : view->actions())
            docks << a->text();
        QVERIFY2(docks.contains("Python Console") && docks.contains("Output")
                && docks.contains("Topology") && docks.contains("Runs")
                && docks.contains("Property"),
            qPrintable(docks.join(", ")));
        // The action log's columns fit what they hold at the window's font (a duration, a time,
        // a result); the call's text gets the rest.
        window.resize(1400, 860);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QFontMetrics metrics(window.actionLog()->font());
        const QHeaderView *header = window.actionLog()->header();
        QVERIFY(header->sectionSize(ActionLog::Time) > metrics.horizontalAdvance("00:00:00"));
        QVERIFY(header->sectionSize(ActionLog::Duration) > metrics.horizontalAdvance("1000.0 s"));
        QVERIFY(header->sectionSize(ActionLog::Result) > metrics.horizontalAdvance("timeout"));
        QVERIFY(header->sectionSize(ActionLog::Action) > header->sectionSize(ActionLog::Result));
        QVERIFY(window.windowAction("aboutAction"));
        QVERIFY(window.windowAction("documentationAction"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
