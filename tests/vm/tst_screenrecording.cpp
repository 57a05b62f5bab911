// What the workbench records from a Screen replays on fresh machines: a click, a window wait, a
// text wait (the OCR of a rectangle) and a region wait (a needle saved beside the test), made
// by the recorder from a live X11 guest as the Screen tab makes them, then run by vivarium-test.
#include "buildpaths.h"
#include "core/screen/needle.h"
#include "core/screen/ocr.h"
#include "ui/machine/screenwaits.h"
#include "ui/record/scriptrecorder.h"
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

class TestScreenRecording : public QObject {
    Q_OBJECT

private slots:
    void recordedScreenLinesReplay()
    {
        QTemporaryDir dir;
        QFile source(QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/screens/screens.toml"));
        QVERIFY(source.open(QIODevice::ReadOnly));
        const QByteArray toml
            = source.readAll().replace("script = \"screens.py\"", "script = \"recorded.py\"");
        writeTestFile(dir.filePath(QStringLiteral("recorded.py")), "pass\n"); // written below
        const TestSpec spec = specFromToml(dir.path(), QStringLiteral("recorded"), toml);
        std::unique_ptr<TestRun> run = makeRun(spec);
        Machine *desk = run->machine(QStringLiteral("desk"));
        desk->start();
        desk->waitForX(180);
        desk->waitForText(QStringLiteral("alpha window"), 120);
        desk->waitForText(QStringLiteral("omega window"), 120);

        ScriptRecorder recorder;
        QSignalSpy lines(&recorder, &ScriptRecorder::lineRecorded);
        recorder.setRecording(true);
        // Wait for Window…: a name the guest lists.
        const QStringList windows = desk->windowNames();
        QVERIFY2(windows.contains(QStringLiteral("right")), qPrintable(windows.join(',')));
        recorder.windowWaited(QStringLiteral("desk"), QStringLiteral("right"));
        // A click into the right xterm, then what was typed there.
        recorder.mouseClicked(QStringLiteral("desk"), 700, 150, QStringLiteral("left"));
        desk->mouseClick(700, 150);
        for (const QChar c : QStringLiteral("echo replayed")) // as the Screen reports keys
            recorder.keyTyped(QStringLiteral("desk"), c.toUpper().unicode(), QString(c), {});
        recorder.keyTyped(QStringLiteral("desk"), Qt::Key_Return, QStringLiteral("\r"), {});
        desk->sendChars(QStringLiteral("echo replayed\n"));
        desk->waitForText(QStringLiteral("^replayed$"), 60);
        // Ctrl+drag around the output, Wait for Text…: the rectangle read by OCR.
        const QImage screen = desk->grabScreen();
        const QRect printed = desk->findText(QStringLiteral("^replayed$")).value(0);
        QVERIFY(!printed.isNull());
        const QRect region = printed.adjusted(-6, -6, 6, 6);
        recorder.textWaited(
            QStringLiteral("desk"), ocr::read(screen, ocr::Variant::Plain, region).text());
        // Ctrl+drag around the left window's first line, Wait for This Region…
        const QRect alpha
            = desk->findText(QStringLiteral("alpha window")).value(0).adjusted(-4, -4, 4, 4);
        const QString needle = ScreenWaits::needlePath(spec.file, QStringLiteral("alpha"));
        QCOMPARE(saveNeedle(screen, alpha, needle, { QStringLiteral("alpha") }), QString());
        recorder.regionWaited(QStringLiteral("desk"), QStringLiteral("needles/alpha.json"));
        recorder.setRecording(false);
        run.reset(); // the replay gets fresh machines

        QStringList script;
        for (const QList<QVariant> &line : lines)
            script << line.at(0).toString();
        QCOMPARE(script,
            QStringList({ QStringLiteral(R"(desk.wait_for_window("^right$"))"),
                QStringLiteral("desk.mouse_click(700, 150)"),
                QStringLiteral(R"(desk.send_chars("echo replayed\n"))"),
                QStringLiteral(R"(desk.wait_for_text("replayed"))"),
                QStringLiteral(R"(desk.wait_for_screen("needles/alpha.json"))") }));
        // As a user keeps them: the waits the session needs first, then the recorded lines.
        writeTestFile(dir.filePath(QStringLiteral("recorded.py")),
            "desk.wait_for_x()\ndesk.wait_for_window('^left$')\ndesk.wait_for_text('alpha "
            "window')\n"
                + script.join('\n').toUtf8() + "\n");
        // From elsewhere: the needle is found beside the test.
        const ProgramRun replay = runVivariumTest(
            { spec.file, "--no-video", "-o", dir.filePath(QStringLiteral("out")) },
            QDir::tempPath(), 400);
        QVERIFY2(passed(replay), "the run failed: its output is above");
        QVERIFY(replay.output.contains("wait_for_screen(\"needles/alpha.json\")"));
    }
};

QTEST_MAIN(TestScreenRecording)
#include "tst_screenrecording.moc"
