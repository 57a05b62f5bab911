#include "benchpbt.h"

#include "core/report/eventrecorder.h"
#include "core/script/scriptengine.h"
#include "demofile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <unistd.h>

using namespace vivarium;

namespace {

// The demos are measured as they are (resources/demo/pbt.py, pbt-bug.py; their run() settings
// overridden by each test's [property]); the leak figure uses a model that only boots.
const char *const bootScript = R"py(
from vivarium.stateful import Lifecycle, networks, run, st
class Boots(Lifecycle):
    network = networks(min_machines=1, max_machines=2, memory=st.just(128))
run(Boots)
)py";

struct PropertyRun {
    double seconds = 0;
    std::optional<event::PropertyFinished> finished;
    int examplesWithSteps = 0;
    // Of the steps the search drew, the percentage that did something (the rules' figures:
    // ran / drawn; a step the model said could not apply, or one that failed, did not).
    double usefulStepsPct() const
    {
        static const QRegularExpression figures(
            QStringLiteral("^\\w+(?: \\(weight \\d+\\))?: drawn (\\d+), ran (\\d+),"));
        int drawn = 0, ran = 0;
        for (const QString &line : finished ? finished->rules : QStringList()) {
            const QRegularExpressionMatch m = figures.match(line);
            drawn += m.hasMatch() ? m.captured(1).toInt() : 0;
            ran += m.hasMatch() ? m.captured(2).toInt() : 0;
        }
        return drawn > 0 ? 100.0 * ran / drawn : 0;
    }
};

// Runs the script at scriptPath as a test with these [property] settings; the property's end
// and its examples.
PropertyRun runProperty(const SessionMaker &makeSession, const QString &name,
    const QString &scriptPath, const QByteArray &settings)
{
    std::unique_ptr<Session> session = makeSession(name,
        "script = \"" + scriptPath.toUtf8() + "\"\nscript_outside_folder = true\n[property]\n"
            + settings,
        false);
    QString error;
    if (!session->startTestScript(&error))
        throw MachineError(MachineError::Kind::Failed, error);
    PropertyRun run;
    ScriptResult result = session->engine()->wait();
    session->finish(result);
    for (const RecordedEvent &r : session->recorder()->events()) {
        if (const auto *f = std::get_if<event::PropertyFinished>(&r.event))
            run.finished = *f;
        if (const auto *e = std::get_if<event::PropertyExample>(&r.event))
            run.examplesWithSteps += e->steps.isEmpty() ? 0 : 1;
    }
    if (!run.finished)
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("the %1 property did not finish: %2").arg(name, result.message));
    run.seconds = double(run.finished->durationMs) / 1000.0;
    return run;
}

// The same for a script given as text (written to a file of its own for the run).
PropertyRun runPropertySource(const SessionMaker &makeSession, const QString &name,
    const char *script, const QByteArray &settings)
{
    const QString scriptPath
        = QDir::temp().filePath(QStringLiteral("vivarium-bench-%1-%2.py").arg(name).arg(getpid()));
    QFile file(scriptPath);
    file.open(QIODevice::WriteOnly);
    file.write(script);
    file.close();
    struct Remove {
        QString path;
        ~Remove() { QFile::remove(path); }
    } remove { scriptPath };
    return runProperty(makeSession, name, scriptPath, settings);
}

int childProcesses()
{
    int count = 0;
    const QString self = QString::number(getpid());
    for (const QString &pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        QFile stat(QStringLiteral("/proc/") + pid + QStringLiteral("/stat"));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        // pid (comm) state ppid ...: the field after the closing parenthesis and the state.
        const QByteArray text = stat.readAll();
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields.at(1) == self.toLatin1())
            ++count;
    }
    return count;
}

int openFds()
{
    return int(QDir(QStringLiteral("/proc/self/fd"))
                   .entryList(QDir::NoDotAndDotDot | QDir::System)
                   .size());
}

double rssMiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    status.open(QIODevice::ReadOnly);
    static const QRegularExpression rss(QStringLiteral("VmRSS:\\s+(\\d+) kB"));
    return rss.match(QString::fromLatin1(status.readAll())).captured(1).toDouble() / 1024.0;
}

} // namespace

double demoExamplesPerMinute(
    const SessionMaker &makeSession, const QString &demo, bool quick, double *usefulStepsPct)
{
    // Only the examples that ran steps count (Hypothesis also draws examples it discards at
    // once).
    const PropertyRun run = runProperty(makeSession, QFileInfo(demo).baseName(), demoFile(demo),
        QByteArray("examples = ") + (quick ? "5" : "15") + "\nsteps = 6\nseed = 11\n");
    if (usefulStepsPct)
        *usefulStepsPct = run.usefulStepsPct();
    return run.examplesWithSteps / (run.seconds / 60.0);
}

QList<BenchFigure> measurePbt(const SessionMaker &makeSession, bool quick)
{
    QList<BenchFigure> figures;
    double useful = 0;
    figures << BenchFigure { QStringLiteral("pbt_examples_per_min"),
        QStringLiteral("demo property examples a minute (6 steps)"),
        demoExamplesPerMinute(makeSession, QStringLiteral("pbt.py"), quick, &useful),
        QStringLiteral("/m"), QString() };
    figures << BenchFigure { QStringLiteral("pbt_useful_steps_pct"),
        QStringLiteral("of the demo's steps, those that did something (ran / drawn)"), useful,
        QStringLiteral("%"), QString() };

    // The planted bug with its examples forking from snapshots (the default), then on fresh
    // networks: the same examples (a fixed seed), the same minimal case.
    const QByteArray plantedSettings = "examples = 40\nsteps = 8\nseed = 25\n";
    const PropertyRun planted = runProperty(makeSession, QStringLiteral("pbt-bug"),
        demoFile(QStringLiteral("pbt-bug.py")), plantedSettings);
    figures << BenchFigure { QStringLiteral("pbt_find_and_shrink_s"),
        QStringLiteral("planted-bug demo, start to minimal case (forks)"), planted.seconds,
        QStringLiteral("s"), QString() };
    if (!quick) {
        const PropertyRun fresh = runProperty(makeSession, QStringLiteral("pbt-bug-fresh"),
            demoFile(QStringLiteral("pbt-bug.py")), plantedSettings + "forks = false\n");
        figures << BenchFigure { QStringLiteral("pbt_find_and_shrink_fresh_s"),
            QStringLiteral("the same, every example on a fresh network"), fresh.seconds,
            QStringLiteral("s"), QString() };
    }
    figures << BenchFigure { QStringLiteral("pbt_minimal_steps"),
        QStringLiteral("steps of the minimal case it ends with"),
        planted.finished->passed ? -1.0 : double(planted.finished->steps.size()), QString(),
        QStringLiteral("= 2") };

    // What the driver keeps: after 1 example and after many, with the sessions gone.
    runPropertySource(makeSession, QStringLiteral("leak1"), bootScript,
        "examples = 1\nsteps = 2\nderandomize = true\n");
    const int processes = childProcesses(), fds = openFds();
    const double rss = rssMiB();
    runPropertySource(makeSession, QStringLiteral("leak"), bootScript,
        QByteArray("examples = ") + (quick ? "10" : "50") + "\nsteps = 2\nderandomize = true\n");
    figures << BenchFigure { QStringLiteral("pbt_leak_processes"),
        QStringLiteral("child processes after many examples - after 1"),
        double(childProcesses() - processes), QString(), QStringLiteral("= 0") };
    figures << BenchFigure { QStringLiteral("pbt_leak_fds"),
        QStringLiteral("open file descriptors after many examples - after 1"),
        double(openFds() - fds), QString(), QStringLiteral("= 0") };
    figures << BenchFigure { QStringLiteral("pbt_leak_mb"),
        QStringLiteral("driver memory (RSS) after many examples - after 1"), rssMiB() - rss,
        QStringLiteral("MB"), QStringLiteral("< 20") };
    return figures;
}
