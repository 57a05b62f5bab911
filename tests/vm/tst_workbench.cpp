// The workbench end to end on real guests, in a real X server (Xvfb): the demo runs to the end
// from the Run button, and a failing test pauses at its line with the machine still answering
// in its Shell tab, then passes after Retry. Saves screenshots of the window as test artifacts.
#include "editor/scripteditor.h"
#include "machine/machinepanel.h"
#include "mainwindow.h"
#include "screen/screenview.h"
#include "terminal/terminalview.h"
#include "vmtestutil.h"
#include "workbench.h"

#include <QAction>
#include <QApplication>
#include <QDir>
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

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void demoRunsToTheEnd()
    {
        MainWindow window(QString(VIVARIUM_SOURCE_DIR) + "/resources/demo/demo.toml");
        window.resize(1600, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.editor()->text().contains("start_all()"));
        trigger(window, "Run");
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().startsWith("The script"), 180000);
        QCOMPARE(window.statusBar()->currentMessage(), QString("The script passed"));
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
        trigger(window, "Stop All");
    }

    void failurePausesWithTheMachineUsable()
    {
        writeTestFile(m_dir.filePath("failing.py"),
            "start_all()\nidle.succeed('true')\nidle.succeed('test -e /tmp/fixme')\n");
        writeTestFile(m_dir.filePath("failing.toml"), "script = \"failing.py\"\n[machines.idle]\n");
        MainWindow window(m_dir.filePath("failing.toml"));
        window.resize(1600, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
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

        window.findChild<QPushButton *>("failureRetry")->click();
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().startsWith("The script"), 60000);
        QCOMPARE(window.statusBar()->currentMessage(), QString("The script passed"));
        QVERIFY(!bar->isVisible());
    }
};

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
