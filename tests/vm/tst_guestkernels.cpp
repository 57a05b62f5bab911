// Both guest kernels, each built as a user builds it (VIVARIUM_GUEST_KERNEL=own or debian
// scripts/build-guest; the own one runs scripts/build-kernel once, cached), boot a minimal, a
// systemd and an X11 guest that do what tests/vm/kernels/kernels.py asks of them.
#include "buildpaths.h"
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestGuestKernels : public QObject {
    Q_OBJECT

private slots:
    void guestsBootOnTheKernel_data()
    {
        QTest::addColumn<QString>("flavour");
        QTest::newRow("own") << QStringLiteral("own");
        QTest::newRow("debian") << QStringLiteral("debian");
    }

    void guestsBootOnTheKernel()
    {
        QFETCH(QString, flavour);
        const QString guestDir = QCoreApplication::applicationDirPath() + "/../../guest-" + flavour;
        QProcess build;
        build.setProcessChannelMode(QProcess::MergedChannels);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VIVARIUM_GUEST_KERNEL", flavour);
        build.setProcessEnvironment(env);
        build.start(QStringLiteral(VIVARIUM_SOURCE_DIR "/scripts/build-guest"), { guestDir });
        QVERIFY(build.waitForFinished(3000 * 1000)); // a first build of the own kernel: minutes
        QVERIFY2(build.exitCode() == 0, build.readAll().constData());
        // The agent comes from this build, as in build/guest.
        QFile::remove(guestDir + "/vivarium-agent");
        QVERIFY(QFile::copy(QCoreApplication::applicationDirPath() + "/../../guest/vivarium-agent",
            guestDir + "/vivarium-agent"));
        QFile release(guestDir + "/kernel-release");
        QVERIFY(release.open(QIODevice::ReadOnly));
        qputenv("GUEST_RELEASE", release.readAll().trimmed());
        qputenv("GUEST_FLAVOUR", flavour.toUtf8());
        qputenv("VIVARIUM_GUEST_DIR", QDir::cleanPath(guestDir).toUtf8());

        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/kernels/kernels.toml"), "--no-video",
                "-o", out.path() },
            {}, 600);
        qunsetenv("VIVARIUM_GUEST_DIR");
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("GUEST KERNEL OK"));
    }
};

QTEST_MAIN(TestGuestKernels)
#include "tst_guestkernels.moc"
