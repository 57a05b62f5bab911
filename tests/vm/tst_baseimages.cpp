// Base images (docs/guests.md, "Base images"): a machine boots Debian's archive with the
// packages it asks for, built by mmdebstrap into a cached image, beside a machine on the host's
// root; a package the archive lacks fails the start with mmdebstrap's words.
#include "vmtestutil.h"

#include <QTemporaryDir>
#include <QTest>

class TestBaseImages : public QObject {
    Q_OBJECT

private slots:
    void aMachineBootsDebiansArchive()
    {
        QTemporaryDir out;
        const ProgramRun run
            = runVivariumTest({ QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/images/base.toml"),
                                  "--no-video", "-o", out.path() },
                {}, 1200);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("BASE OK"));
    }

    void aPackageTheArchiveLacksIsNamed()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/images/nosuchpackage.toml"),
                "--no-video", "-o", out.path() },
            {}, 600);
        QVERIFY2(!passed(run), qPrintable(run.output));
        QVERIFY2(run.output.contains("machine deb (base = \"debian-bookworm\"): building the base "
                                     "image debian-bookworm failed")
                && run.output.contains("vivarium-no-such-package"),
            qPrintable(run.output));
    }
};

QTEST_MAIN(TestBaseImages)
#include "tst_baseimages.moc"
