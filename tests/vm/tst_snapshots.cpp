// Snapshots of image-root machines through vivarium-test, as a user runs them: one machine
// goes back (files, processes, the console), a network of three goes back together and keeps a
// TCP connection, and every refusal names the machine and the reason (tests/vm/snapshots/).
#include "vmtestutil.h"

#include <QTemporaryDir>
#include <QTest>

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
};

QTEST_MAIN(TestSnapshots)
#include "tst_snapshots.moc"
