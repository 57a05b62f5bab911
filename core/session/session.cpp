#include "core/session/session.h"

#include "core/coverage/runcoverage.h"
#include "core/report/eventrecorder.h"
#include "core/report/reports.h"
#include "core/report/terminallog.h"
#include "core/script/scriptengine.h"

#include <QFile>
#include <QFileInfo>

namespace vivarium {

namespace {

const char *const everyMachineComesUp
    = "start_all()\nfor machine in machines:\n    machine.wait_for_ready()\n";

} // namespace

std::unique_ptr<Session> Session::create(
    const TestSpec &spec, const Options &options, QString *error)
{
    TestRun::Options runOptions;
    runOptions.outDir = options.outDir;
    runOptions.accel = options.accel;
    runOptions.keepMachineState = options.keepMachineState;
    runOptions.video = options.video;
    TestSpec withOptions = spec;
    withOptions.property = spec.property.overriddenBy(options.property);
    std::unique_ptr<TestRun> run = TestRun::create(withOptions, runOptions, error);
    if (!run)
        return nullptr;
    std::unique_ptr<Session> session(new Session);
    session->m_options = options;
    session->m_run = std::move(run);
    session->m_recorder
        = std::make_unique<EventRecorder>(session->outDir() + QStringLiteral("/events.jsonl"));
    session->m_recorder->watch(session->events());
    if (options.terminalLog)
        session->m_terminal = std::make_unique<TerminalLog>(session->m_recorder.get());
    session->m_engine = std::make_unique<ScriptEngine>(session->m_run.get());
    session->m_engine->setPauseOnFailure(options.pauseOnFailure);
    session->m_engine->setGlobalTimeout(
        options.globalTimeout < 0 ? double(spec.globalTimeoutS) : options.globalTimeout);
    return session;
}

Session::~Session()
{
    // The script first (its calls return at once), then the readers of events (the run's
    // reports are written: killing the machines is not part of them), then the machines.
    m_engine->stop();
    m_engine.reset();
    m_terminal.reset();
    m_recorder.reset();
    m_run->stopAll(); // the session's end stops them: nothing crashed
    m_run.reset();
}

const TestSpec &Session::spec() const
{
    return m_run->spec();
}

QString Session::reportPath() const
{
    return outDir() + QStringLiteral("/log.html");
}

QString Session::junitPath() const
{
    return m_options.junitPath.isEmpty() ? outDir() + QStringLiteral("/junit.xml")
                                         : QFileInfo(m_options.junitPath).absoluteFilePath();
}

void Session::begin(const QString &source, const QString &file)
{
    m_source = source;
    m_sourceFile = file;
    {
        std::lock_guard lock(m_mutex);
        m_interruption.clear();
    }
    m_recorder->restart();
    events()->post(event::RunStarted { spec().name, file, outDir() });
}

void Session::interrupt(const QString &why)
{
    {
        std::lock_guard lock(m_mutex);
        m_interruption = why;
    }
    m_engine->stop();
}

bool Session::startTestScript(QString *error)
{
    const QString script = spec().script;
    if (script.isEmpty()) {
        startSource(QString::fromLatin1(everyMachineComesUp), QStringLiteral("<no script>"));
        return true;
    }
    QFile file(script);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the script %1: %2").arg(script, file.errorString());
        return false;
    }
    startSource(QString::fromUtf8(file.readAll()), script);
    return true;
}

void Session::startSource(const QString &source, const QString &file)
{
    begin(source, file);
    m_engine->startSource(source, file);
}

void Session::startInteractive()
{
    begin({}, QStringLiteral("<stdin>"));
    m_engine->setGlobalTimeout(0);
    m_engine->startInteractive();
}

QStringList Session::finish(ScriptResult &result)
{
    QString interruption;
    {
        std::lock_guard lock(m_mutex);
        interruption = m_interruption;
    }
    if (!interruption.isEmpty() && result.outcome == ScriptResult::Outcome::Stopped)
        result.message = QStringLiteral("interrupted by %1").arg(interruption); // at file:line
    // A switch or filter that died broke the network the test ran on: not a pass, even if no
    // later call happened to need it.
    const QString networkError = run()->network() ? run()->network()->error() : QString();
    if (result.passed() && !networkError.isEmpty()) {
        result.outcome = ScriptResult::Outcome::Failed;
        result.message = QStringLiteral("the test's network broke while it ran: ") + networkError;
    }
    if (spec().coverage.enabled) {
        const CoverageResult coverage = collectRunCoverage(m_run.get(), m_recorder->events(),
            m_options.coveragePowerOff
                && !(result.outcome == ScriptResult::Outcome::Stopped && !interruption.isEmpty()),
            [this](const QString &what) { events()->post(event::Log { what }); });
        events()->post(event::Log { coverageLine(coverage) });
    }
    events()->post(event::Finished { result });
    const ReportInput report { spec().name, m_sourceFile, m_source, m_recorder->events(), result };
    QStringList problems;
    for (const QString &problem : { m_recorder->error(), writeJunit(junitPath(), report),
             writeHtmlReport(reportPath(), report) }) {
        if (!problem.isEmpty())
            problems << problem;
    }
    return problems;
}

QStringList Session::rebuildReports(const QString &outDir, ScriptResult *result)
{
    QString error;
    const QList<RecordedEvent> events
        = EventRecorder::read(outDir + QStringLiteral("/events.jsonl"), &error);
    if (!error.isEmpty())
        return { error };
    ReportInput report;
    report.result.outcome = ScriptResult::Outcome::Failed;
    report.result.message
        = QStringLiteral("the run did not finish (its process was killed before it could say how "
                         "it ended)");
    for (const RecordedEvent &e : events) {
        if (const auto *started = std::get_if<event::RunStarted>(&e.event)) {
            report.testName = started->test;
            report.scriptFile = started->scriptFile;
        } else if (const auto *finished = std::get_if<event::Finished>(&e.event)) {
            report.result = finished->result;
        }
    }
    if (report.testName.isEmpty())
        return { QStringLiteral("%1/events.jsonl does not say which test ran (no run_started)")
                     .arg(outDir) };
    QFile script(report.scriptFile);
    if (script.open(QIODevice::ReadOnly))
        report.scriptSource = QString::fromUtf8(script.readAll());
    report.events = events;
    *result = report.result;
    QStringList problems;
    for (const QString &problem : { writeJunit(outDir + QStringLiteral("/junit.xml"), report),
             writeHtmlReport(outDir + QStringLiteral("/log.html"), report) }) {
        if (!problem.isEmpty())
            problems << problem;
    }
    return problems;
}

} // namespace vivarium
