#include "benchsuite.h"

#include "buildpaths.h"
#include "core/event/machineerror.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>

using namespace vivarium;

namespace {

// One vivarium-test suite run over tests/suite with extra arguments, in seconds.
double suiteSeconds(const QStringList &arguments, const QString &out)
{
    QProcess run;
    run.setProcessChannelMode(QProcess::MergedChannels);
    QElapsedTimer clock;
    clock.start();
    run.start(QCoreApplication::applicationDirPath() + QStringLiteral("/vivarium-test"),
        QStringList { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/suite"),
            QStringLiteral("--no-video"), QStringLiteral("-o"), out }
            + arguments);
    if (!run.waitForFinished(30 * 60 * 1000) || run.exitCode() != 0)
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("the suite run failed: %1")
                .arg(QString::fromUtf8(run.readAll().right(2000))));
    return double(clock.elapsed()) / 1000.0;
}

} // namespace

QList<BenchFigure> measureSuite(bool quick)
{
    QTemporaryDir dir;
    QList<double> whole, sharded;
    for (int round = 0; round < (quick ? 1 : 3); ++round) {
        whole << suiteSeconds({ QStringLiteral("-j"), QStringLiteral("1") },
            dir.filePath(QStringLiteral("one-%1").arg(round)));
        double shards = 0;
        for (int k = 1; k <= 3; ++k)
            shards += suiteSeconds({ QStringLiteral("--shard"), QStringLiteral("%1/3").arg(k) },
                dir.filePath(QStringLiteral("shard-%1-%2").arg(round).arg(k)));
        sharded << shards;
    }
    return {
        { QStringLiteral("suite_one_job_s"), QStringLiteral("tests/suite (4 tests) with -j 1"),
            percentile(whole, 50), QStringLiteral("s"), QString() },
        { QStringLiteral("suite_sharded_s"),
            QStringLiteral("the same as 3 shards one after another"), percentile(sharded, 50),
            QStringLiteral("s"), QStringLiteral("~ one job + 1") },
    };
}
