// The Screen tab's recording dialogs driven as a user does, on a real screenshot of an X11
// guest: a rectangle's menu, Wait for Text… (the rectangle read by OCR, edited, accepted) and
// Wait for This Region… (a needle written beside the test that matches the screen it came
// from); a bad needle name and Cancel record nothing.
#include "buildpaths.h"
#include "core/screen/needle.h"
#include "ui/machine/screenwaits.h"
#include "ui/workbench.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QInputDialog>
#include <QMenu>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <functional>

using namespace vivarium;

class TestScreenWaits : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    const QImage m_screen { QStringLiteral(
        VIVARIUM_SOURCE_DIR "/tests/unit/screens/xterm-hello.png") };
    const QRect m_hello { 104, 150, 170, 22 }; // "hello vivarium", the command's output
    // Each test's: the workbench on desk.toml, and the Screen's waits for its machine.
    std::unique_ptr<Workbench> m_workbench;
    std::unique_ptr<QWidget> m_parent;
    std::unique_ptr<ScreenWaits> m_waits;

    // Once the top modal dialog (or popup menu) is of type T, act on it (within 60 s: OCR runs
    // first on a busy host).
    template<typename T> static void whenShown(std::function<void(T *)> act)
    {
        auto *timer = new QTimer;
        auto *started = new QElapsedTimer;
        started->start();
        QObject::connect(timer, &QTimer::timeout, [timer, started, act] {
            QWidget *top = QApplication::activePopupWidget();
            if (!top)
                top = QApplication::activeModalWidget();
            if (T *widget = qobject_cast<T *>(top)) {
                timer->stop();
                timer->deleteLater();
                delete started;
                act(widget);
            } else if (started->elapsed() > 60000) {
                timer->stop();
                timer->deleteLater();
                delete started;
            }
        });
        timer->start(20);
    }

    // Chooses the entry of the rectangle's menu.
    static void choose(const QString &entry)
    {
        whenShown<QMenu>([entry](QMenu *menu) {
            for (QAction *action : menu->actions()) {
                if (action->text() == entry) {
                    menu->setActiveAction(action);
                    QTest::keyClick(menu, Qt::Key_Return);
                    return;
                }
            }
            menu->close();
        });
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(!m_screen.isNull());
        QFile test(m_dir.filePath("desk.toml"));
        QVERIFY(test.open(QIODevice::WriteOnly));
        test.write("[machines.desk]\ndesktop = \"x11\"\n");
    }

    void init()
    {
        m_workbench = std::make_unique<Workbench>();
        QString error;
        QVERIFY2(m_workbench->open(m_dir.filePath("desk.toml"), &error), qPrintable(error));
        m_parent = std::make_unique<QWidget>();
        m_waits = std::make_unique<ScreenWaits>("desk", m_workbench.get(), m_parent.get());
    }

    void cleanup()
    {
        m_waits.reset();
        m_parent.reset();
        m_workbench.reset();
    }

    void waitForTextOffersWhatOcrRead()
    {
        ScreenWaits &waits = *m_waits;
        QSignalSpy chosen(&waits, &ScreenWaits::textChosen);
        QString offered;
        choose("Wait for Text…");
        whenShown<QInputDialog>([&offered](QInputDialog *dialog) {
            offered = dialog->textValue();
            dialog->setTextValue("hello vivarium\n");
            dialog->accept();
        });
        waits.offerRegion(m_screen, m_hello, QPoint(300, 300));
        QTRY_COMPARE_WITH_TIMEOUT(chosen.size(), 1, 60000);
        QVERIFY2(offered.contains("hello vivarium"), qPrintable(offered));
        QCOMPARE(chosen.first().at(0).toString(), QString("desk"));
        QCOMPARE(chosen.first().at(1).toString(), QString("hello vivarium\n"));

        // Cancel records nothing.
        bool asked = false;
        choose("Wait for Text…");
        whenShown<QInputDialog>([&asked](QInputDialog *dialog) {
            asked = true;
            dialog->reject();
        });
        waits.offerRegion(m_screen, m_hello, QPoint(300, 300));
        QTRY_VERIFY_WITH_TIMEOUT(asked, 60000);
        QTest::qWait(100);
        QCOMPARE(chosen.size(), 1);
    }

    void waitForWindowListsTheApplicationsFirst()
    {
        // xwininfo's order on an icewm desktop: the decorations came first and one of them was
        // pre-selected.
        const QStringList listed { "Frame", "TitleBar", "Close", "icewm", "xterm", "Frame",
            "TaskBar", "", "Calculator", "xterm" };
        QCOMPARE(ScreenWaits::windowsForChoice(listed),
            (QStringList {
                "xterm", "Calculator", "Frame", "TitleBar", "Close", "icewm", "TaskBar" }));
    }

    void waitForWindowNeedsARunningMachine()
    {
        // (Its list of windows from a live desktop: tests/vm/tst_screenrecording.)
        Workbench &workbench = *m_workbench;
        ScreenWaits &waits = *m_waits;
        QSignalSpy chosen(&waits, &ScreenWaits::windowChosen);
        QSignalSpy messages(&workbench, &Workbench::message);
        waits.chooseWindow(nullptr);
        QCOMPARE(messages.size(), 1);
        QCOMPARE(
            messages.first().first().toString(), QString("desk is not running: it has no windows"));
        QCOMPARE(chosen.size(), 0);
    }

    void waitForThisRegionKeepsANeedleThatMatches()
    {
        Workbench &workbench = *m_workbench;
        ScreenWaits &waits = *m_waits;
        QSignalSpy chosen(&waits, &ScreenWaits::regionChosen);
        QSignalSpy messages(&workbench, &Workbench::message);
        choose("Wait for This Region…");
        whenShown<QInputDialog>([](QInputDialog *dialog) {
            QVERIFY(dialog->textValue().startsWith("desk-")); // a name is offered
            dialog->setTextValue("hello-output");
            dialog->accept();
        });
        waits.offerRegion(m_screen, m_hello, QPoint(300, 300));
        QTRY_COMPARE_WITH_TIMEOUT(chosen.size(), 1, 10000);
        QCOMPARE(chosen.first().at(1).toString(), QString("needles/hello-output.json"));
        const QString json = m_dir.filePath("needles/hello-output.json");
        QVERIFY(QFile::exists(json));
        QVERIFY(QFile::exists(m_dir.filePath("needles/hello-output.png")));
        const Needle needle = loadNeedle(json);
        QCOMPARE(needle.matchAreas().first().rect, m_hello);
        QVERIFY(matchNeedle(needle, m_screen).ok());

        // A name that is not a file name is refused, and nothing is written.
        choose("Wait for This Region…");
        whenShown<QInputDialog>([](QInputDialog *dialog) {
            dialog->setTextValue("../outside");
            dialog->accept();
        });
        waits.offerRegion(m_screen, m_hello, QPoint(300, 300));
        QTRY_VERIFY_WITH_TIMEOUT(!messages.isEmpty()
                && messages.last().first().toString().contains("\"../outside\" is not"),
            10000);
        QCOMPARE(chosen.size(), 1);
        QVERIFY(!QFile::exists(m_dir.filePath("outside.json")));
    }
};

QTEST_MAIN(TestScreenWaits)
#include "tst_screenwaits.moc"
