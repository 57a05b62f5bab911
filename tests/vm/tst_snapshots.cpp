// Snapshots of image-root machines through vivarium-test, as a user runs them: one machine
// goes back (files, processes, the console), a network of three goes back together and keeps a
// TCP connection, and every refusal names the machine and the reason (tests/vm/snapshots/).
#include "buildpaths.h"
#include "vmtestutil.h"

#include <QFile>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>
#include <cerrno>
#include <cstring>
#include <sys/mount.h>
#include <unistd.h>

class TestSnapshots : public QObject {
    Q_OBJECT

private slots:
    void machinesAndNetworksGoBack()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/snapshots/snapshots.toml"),
                "--no-video", "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("SNAPSHOTS OK"));
        // Each restore is an action of its own in the reports.
        QVERIFY(run.output.contains("client: restore(\"first\")"));
    }

    // The run directory on a 256 MiB tmpfs the script fills: the snapshot fails clearly, the
    // machine goes on, and a snapshot taken once there is room again restores.
    void aFullDiskFailsTheSnapshotClearly()
    {
        if (::geteuid() != 0)
            QSKIP("mounting a small tmpfs for the run directory needs root");
        QTemporaryDir small, out;
        const QByteArray where = QFile::encodeName(small.path());
        QVERIFY2(::mount("vivarium-full", where.constData(), "tmpfs", 0, "size=256m") == 0,
            std::strerror(errno));
        const auto unmount = qScopeGuard([&] { ::umount2(where.constData(), MNT_DETACH); });
        // vivarium-test inherits it.
        const QByteArray before = qgetenv("VIVARIUM_RUN_DIR");
        qputenv("VIVARIUM_RUN_DIR", where);
        const auto restore = qScopeGuard([&] {
            if (before.isEmpty())
                qunsetenv("VIVARIUM_RUN_DIR");
            else
                qputenv("VIVARIUM_RUN_DIR", before);
        });
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/snapshots/fulldisk.toml"), "--no-video",
                "-o", out.path() },
            {}, 600);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("FULL DISK OK"));
        QVERIFY2(run.output.contains("refused: machine client: snapshot full was not taken"),
            qPrintable(run.output));
    }
};

QTEST_MAIN(TestSnapshots)
#include "tst_snapshots.moc"
