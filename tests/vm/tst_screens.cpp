// Graphical tests on a real X11 guest, through vivarium-test: a desktop with two xterms is read
// (OCR), matched (needles), clicked and typed into (tests/vm/screens/screens.py says what it
// asserts); a desktop whose Xorg fails is reported with Xorg's own error, not at a timeout.
#include "buildpaths.h"
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

class TestScreens : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    ProgramRun runTest(const QString &name, const QStringList &options = {})
    {
        return runVivariumTest(
            QStringList { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/screens/") + name + ".toml",
                "-o", m_dir.filePath(name) }
                + options,
            m_dir.path(), 500);
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void aDesktopIsReadMatchedAndClicked_data()
    {
        QTest::addColumn<QString>("test");
        QTest::newRow("minimal init") << "screens";
        QTest::newRow("systemd") << "screens-systemd";
    }

    void aDesktopIsReadMatchedAndClicked()
    {
        QFETCH(QString, test);
        const ProgramRun outcome = runTest(test);
        QVERIFY2(passed(outcome), "the test failed: its output is above");
        QVERIFY(outcome.output.contains("SCREENS OK"));
        // The mismatch left its diff image as the action's artifact.
        QVERIFY(QFile::exists(m_dir.filePath(test + "/needles/desk-right-xterm-diff.png")));

        // A video of the run that ffprobe reads, as long as the run, in log.html beside the
        // timeline.
        const QString video = m_dir.filePath(test + "/video/desk.mp4");
        QProcess probe;
        probe.start("ffprobe",
            { "-v", "error", "-show_entries", "format=duration:stream=width,height", "-of",
                "default=noprint_wrappers=1", video });
        QVERIFY(probe.waitForFinished(30000));
        const QString info = QString::fromUtf8(probe.readAllStandardOutput());
        QVERIFY2(info.contains("width=1024") && info.contains("height=768"), qPrintable(info));
        const double duration
            = QRegularExpression("duration=([0-9.]+)").match(info).captured(1).toDouble();
        QVERIFY2(duration > 10, qPrintable(info));
        QFile report(m_dir.filePath(test + "/log.html"));
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray html = report.readAll();
        QVERIFY(html.contains("<video controls preload=\"metadata\" muted src=\"video/desk.mp4\""));
        QVERIFY(html.contains("<tr class=\"action\" data-t=\""));
    }

    void aFailingXorgIsNamedWithItsLog()
    {
        QElapsedTimer clock;
        clock.start();
        const ProgramRun outcome = runTest("broken-x", { "--no-video" });
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY2(outcome.output.contains("machine desk: the X11 desktop did not start: Xorg "
                                         "exited with status"),
            qPrintable(outcome.output));
        QVERIFY2(outcome.output.contains("its log is /var/log/Xorg.0.log in the guest"),
            qPrintable(outcome.output));
        QVERIFY2(clock.elapsed() < 100000, "the failure waited for the timeout");
        QVERIFY(!QDir(m_dir.filePath("broken-x/video")).exists()); // --no-video
    }
};

QTEST_GUILESS_MAIN(TestScreens)
#include "tst_screens.moc"
