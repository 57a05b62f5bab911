#include "benchcoverage.h"

#include "core/coverage/runcoverage.h"
#include "core/report/eventrecorder.h"
#include "core/script/scriptengine.h"
#include "demofile.h"

#include <QElapsedTimer>

using namespace vivarium;

namespace {

const QByteArray coverageTable
    = "[coverage]\ninclude = [\"/opt/vivarium-demo/*\"]\nflush = [\"vivarium-demo-server\"]\n";

// The demo's script on its two machines (with coverage or not), start to reports written.
double demoSeconds(const SessionMaker &makeSession, bool coverage, int round)
{
    const QByteArray toml = "script = \"" + demoFile(QStringLiteral("coverage-demo.py")).toUtf8()
        + "\"\nscript_outside_folder = true\n" + (coverage ? coverageTable : QByteArray())
        + "[machines.server]\n[machines.client]\n";
    QElapsedTimer clock;
    clock.start();
    std::unique_ptr<Session> session = makeSession(QStringLiteral("coverage-demo-%1-%2")
                                                       .arg(QLatin1String(coverage ? "on" : "off"))
                                                       .arg(round),
        toml, false);
    QString error;
    if (!session->startTestScript(&error))
        throw MachineError(MachineError::Kind::Failed, error);
    ScriptResult result = session->engine()->wait();
    if (!result.passed())
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("the coverage demo failed: %1").arg(result.message));
    session->finish(result);
    return double(clock.elapsed()) / 1000.0;
}

// The first example of the pbt-coverage demo that failed (0: none did), with or without
// guidance, for one seed.
int examplesToFind(const SessionMaker &makeSession, bool guided, int seed, int examples)
{
    const QByteArray toml = "script = \"" + demoFile(QStringLiteral("pbt-coverage.py")).toUtf8()
        + "\"\nscript_outside_folder = true\n" + coverageTable + "[property]\nseed = "
        + QByteArray::number(seed) + "\nexamples = " + QByteArray::number(examples)
        + "\nguided = " + (guided ? "true" : "false") + "\n";
    std::unique_ptr<Session> session
        = makeSession(QStringLiteral("pbt-coverage-%1-%2")
                          .arg(QLatin1String(guided ? "guided" : "random"))
                          .arg(seed),
            toml, false);
    QString error;
    if (!session->startTestScript(&error))
        throw MachineError(MachineError::Kind::Failed, error);
    ScriptResult result = session->engine()->wait();
    for (const RecordedEvent &r : session->recorder()->events())
        if (const auto *e = std::get_if<event::PropertyExample>(&r.event); e && !e->passed)
            return e->example;
    return 0;
}

} // namespace

QList<BenchFigure> measureCoverage(const SessionMaker &makeSession, bool quick)
{
    QList<BenchFigure> figures;
    // Interleaved, so the host's drift falls on both alike.
    QList<double> off, on;
    for (int round = 0; round < (quick ? 1 : 3); ++round) {
        off << demoSeconds(makeSession, false, round);
        on << demoSeconds(makeSession, true, round);
    }
    const double offMedian = percentile(off, 0.5), onMedian = percentile(on, 0.5);
    figures << BenchFigure { QStringLiteral("coverage_overhead_pct"),
        QStringLiteral("the coverage demo with coverage against without (medians, interleaved)"),
        100.0 * (onMedian - offMedian) / offMedian, QStringLiteral("%"), QString() };

    // Three machines ran the demo's programs; their counters collected and merged into the
    // reports, machines left running (what Refresh does).
    std::unique_ptr<Session> three = makeSession(QStringLiteral("coverage-three"),
        coverageTable + "[machines.a]\n[machines.b]\n[machines.c]\n", false);
    three->run()->waitAllReady(300);
    for (Machine *m : three->run()->machines())
        m->succeed(QStringLiteral("/opt/vivarium-demo/bin/vivarium-demo-client localhost STATS "
                                  "|| true; /opt/vivarium-demo/bin/vivarium-demo-stats x || true"));
    QElapsedTimer clock;
    clock.start();
    const CoverageResult merged
        = collectRunCoverage(three->run(), three->recorder()->events(), false);
    figures << BenchFigure { QStringLiteral("coverage_merge_s"),
        QStringLiteral("collecting and merging the counters of three machines"),
        merged.hasData ? double(clock.elapsed()) / 1000.0 : -1, QStringLiteral("s"), QString() };
    three.reset();

    // Guided against random: the same seeds, the example that first met the planted bug
    // (a seed that met none counts as the budget).
    const int budget = quick ? 80 : 250;
    QList<double> guided, random;
    for (int seed = 1; seed <= (quick ? 1 : 5); ++seed) {
        const int g = examplesToFind(makeSession, true, seed, budget);
        const int r = examplesToFind(makeSession, false, seed, budget);
        guided << (g > 0 ? g : budget);
        random << (r > 0 ? r : budget);
    }
    figures << BenchFigure { QStringLiteral("pbt_guided_examples_to_bug"),
        QStringLiteral("pbt-coverage demo: examples to the planted bug, guided (median)"),
        percentile(guided, 0.5), QString(), QString() };
    figures << BenchFigure { QStringLiteral("pbt_unguided_examples_to_bug"),
        QStringLiteral("the same without guidance (same seeds)"), percentile(random, 0.5),
        QString(), QString() };
    return figures;
}
