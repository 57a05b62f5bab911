// Graphical tests on a real X11 guest, through vivarium-test: a desktop with two xterms is read
// (OCR), matched (needles), clicked and typed into (tests/vm/screens/screens.py says what it
// asserts); a desktop whose Xorg fails is reported with Xorg's own error, not at a timeout.
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestScreens : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    struct Outcome {
        int status = -1;
        QString output;
    };

    Outcome runTest(const QString &name)
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.setWorkingDirectory(m_dir.path());
        process.start(QCoreApplication::applicationDirPath() + "/../../app/vivarium-test",
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/screens/") + name + ".toml", "-o",
                m_dir.filePath(name) });
        if (!process.waitForFinished(500000))
            process.kill();
        return { process.exitCode(), QString::fromUtf8(process.readAll()) };
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
        const Outcome outcome = runTest(test);
        QVERIFY2(outcome.status == 0, qPrintable(outcome.output));
        QVERIFY(outcome.output.contains("SCREENS OK"));
        // The mismatch left its diff image as the action's artifact.
        QVERIFY(QFile::exists(m_dir.filePath(test + "/needles/desk-right-xterm-diff.png")));
    }

    void aFailingXorgIsNamedWithItsLog()
    {
        QElapsedTimer clock;
        clock.start();
        const Outcome outcome = runTest("broken-x");
        QCOMPARE(outcome.status, 1);
        QVERIFY2(outcome.output.contains("machine desk: the X11 desktop did not start: Xorg "
                                         "exited with status"),
            qPrintable(outcome.output));
        QVERIFY2(outcome.output.contains("its log is /var/log/Xorg.0.log in the guest"),
            qPrintable(outcome.output));
        QVERIFY2(clock.elapsed() < 100000, "the failure waited for the timeout");
    }
};

QTEST_GUILESS_MAIN(TestScreens)
#include "tst_screens.moc"
