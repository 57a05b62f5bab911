// Vivarium's own guest kernel, built as a user builds it (VIVARIUM_GUEST_KERNEL=own
// scripts/build-guest: scripts/build-kernel once, cached), boots a minimal, a systemd and an X11
// guest that do what tests/vm/ownkernel/ownkernel.py asks of them.
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestOwnKernel : public QObject {
    Q_OBJECT

private slots:
    void guestsBootOnTheOwnKernel()
    {
        const QString guestDir = QCoreApplication::applicationDirPath() + "/../../guest-own";
        QProcess build;
        build.setProcessChannelMode(QProcess::MergedChannels);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("VIVARIUM_GUEST_KERNEL", "own");
        build.setProcessEnvironment(env);
        build.start(QStringLiteral(VIVARIUM_SOURCE_DIR "/scripts/build-guest"), { guestDir });
        QVERIFY(build.waitForFinished(3000 * 1000)); // a first build: minutes
        QVERIFY2(build.exitCode() == 0, build.readAll().constData());
        // The agent comes from this build, as in build/guest.
        QFile::remove(guestDir + "/vivarium-agent");
        QVERIFY(QFile::copy(QCoreApplication::applicationDirPath() + "/../../guest/vivarium-agent",
            guestDir + "/vivarium-agent"));
        QFile release(guestDir + "/kernel-release");
        QVERIFY(release.open(QIODevice::ReadOnly));
        qputenv("OWN_RELEASE", release.readAll().trimmed());
        qputenv("VIVARIUM_GUEST_DIR", QDir::cleanPath(guestDir).toUtf8());

        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/ownkernel/ownkernel.toml"),
                "--no-video", "-o", out.path() },
            {}, 600);
        QVERIFY2(run.exitCode == 0, qPrintable(scriptOutput(run).right(3000)));
        QVERIFY(run.output.contains("OWN KERNEL OK"));
    }
};

QTEST_MAIN(TestOwnKernel)
#include "tst_ownkernel.moc"
