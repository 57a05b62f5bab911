// kernel = "debian" / "vivarium" on a machine (tests/vm/kernels/named.*): each boots its kernel
// with its initramfs beside machines on the build's default, with xfs and btrfs disks.
#include "buildpaths.h"
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

class TestNamedKernels : public QObject {
    Q_OBJECT

private slots:
    // kernel = "debian" / "vivarium" on a machine boots that kernel with its own initramfs,
    // beside machines on the build's default, each with an xfs or btrfs disk; a property
    // draws both per machine (the seed's parameters). Needs scripts/setup's two guest builds.
    void machinesNameTheirKernelAndFileSystem()
    {
        const QString build = QCoreApplication::applicationDirPath() + "/../..";
        for (const char *flavour : { "vivarium", "debian" }) {
            QFile release(build + (qstrcmp(flavour, "debian") == 0 ? "/guest-debian" : "/guest")
                + "/kernel-release");
            QVERIFY2(release.open(QIODevice::ReadOnly), qPrintable(release.fileName()));
            qputenv(QByteArray("GUEST_RELEASE_") + QByteArray(flavour).toUpper(),
                release.readAll().trimmed());
        }
        QTemporaryDir out;
        const ProgramRun run
            = runVivariumTest({ QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/kernels/named.toml"),
                                  "--no-video", "-o", out.path() },
                {}, 900);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("NAMED KERNELS OK"));
        // The property drew more than the simplest machine.
        QVERIFY2(run.output.contains("DRAWN debian") || run.output.contains("DRAWN vivarium xfs")
                || run.output.contains("DRAWN vivarium btrfs"),
            qPrintable(scriptOutput(run).right(2000)));
    }
};

QTEST_MAIN(TestNamedKernels)
#include "tst_namedkernels.moc"
