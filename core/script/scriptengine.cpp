#include "core/script/scriptengine.h"

#include "core/script/interpreter.h"
#include "core/script/runtimenetworks.h"
#include "core/util/textformat.h"

#include <QFile>
#include <atomic>
#include <chrono>
#include <utility>

namespace vivarium {

namespace {

std::atomic<ScriptEngine *> g_current { nullptr };

} // namespace

ScriptEngine::ScriptEngine(TestRun *run, QObject *parent)
    : QObject(parent)
    , m_run(run)
    , m_networks(std::make_unique<RuntimeNetworks>(run))
{
    qRegisterMetaType<ScriptResult>();
}

ScriptEngine::~ScriptEngine()
{
    stop();
    if (m_thread.joinable())
        m_thread.join();
}

ScriptEngine *ScriptEngine::current()
{
    return g_current.load();
}

void ScriptEngine::setBreakpoints(const QSet<int> &lines)
{
    std::lock_guard lock(m_mutex);
    m_breakpoints = lines;
}

void ScriptEngine::setPauseOnFailure(bool on)
{
    std::lock_guard lock(m_mutex);
    m_pauseOnFailure = on;
}

void ScriptEngine::setGlobalTimeout(double seconds)
{
    std::lock_guard lock(m_mutex);
    m_globalTimeout = seconds;
}

void ScriptEngine::setCheckpoints(Checkpoints mode)
{
    std::lock_guard lock(m_mutex);
    m_checkpoints = mode;
}

ScriptEngine::Checkpoints ScriptEngine::checkpoints() const
{
    std::lock_guard lock(m_mutex);
    return m_checkpoints;
}

void ScriptEngine::setRewind(std::shared_ptr<const CallJournal> recorded, int checkpointIndex)
{
    std::lock_guard lock(m_mutex);
    m_pendingRewind = std::move(recorded);
    m_pendingTarget = checkpointIndex;
}

std::shared_ptr<CallJournal> ScriptEngine::journal() const
{
    std::lock_guard lock(m_mutex);
    return m_journal;
}

bool ScriptEngine::replaying() const
{
    std::lock_guard lock(m_mutex);
    return m_replaying;
}

bool ScriptEngine::inConsole() const
{
    std::lock_guard lock(m_mutex);
    return m_inConsole;
}

std::shared_ptr<const CallJournal> ScriptEngine::recorded() const
{
    std::lock_guard lock(m_mutex);
    return m_recorded;
}

int ScriptEngine::rewindTarget() const
{
    std::lock_guard lock(m_mutex);
    return m_rewindTarget;
}

void ScriptEngine::endReplay()
{
    std::lock_guard lock(m_mutex);
    m_replaying = false;
}

void ScriptEngine::announceCheckpoint(const Checkpoint &checkpoint)
{
    emit checkpointTaken(checkpoint);
}

bool ScriptEngine::isRunning() const
{
    std::lock_guard lock(m_mutex);
    return m_running;
}

bool ScriptEngine::isPaused() const
{
    std::lock_guard lock(m_mutex);
    return m_paused;
}

bool ScriptEngine::stopRequested() const
{
    std::lock_guard lock(m_mutex);
    return m_stop;
}

void ScriptEngine::start(const QString &scriptFile)
{
    QFile file(scriptFile);
    if (!file.open(QIODevice::ReadOnly)) {
        const QString error
            = QStringLiteral("cannot read the script %1: %2").arg(scriptFile, file.errorString());
        launch([error, scriptFile] {
            ScriptResult result;
            result.outcome = ScriptResult::Outcome::Failed;
            result.message = error;
            result.file = scriptFile;
            return result;
        });
        return;
    }
    startSource(QString::fromUtf8(file.readAll()), scriptFile);
}

void ScriptEngine::startSource(const QString &source, const QString &file)
{
    {
        std::lock_guard lock(m_mutex);
        m_sourceLines = source.split(QLatin1Char('\n'));
    }
    launch([this, source, file] { return execute(source, file, false); });
}

void ScriptEngine::startInteractive()
{
    launch([this] { return execute({}, QStringLiteral("<stdin>"), true); });
}

void ScriptEngine::evaluate(const QString &source)
{
    std::unique_lock lock(m_mutex);
    if ((m_running && m_paused) || m_consoleTakesMore) {
        m_consoleQueue << source;
        m_changed.notify_all();
        return;
    }
    if (m_running && !m_consoleRun) {
        lock.unlock();
        emit consoleOutput(source,
            QStringLiteral("The script is running: pause it (or wait for it to stop at a "
                           "failure or a breakpoint) to use the console.\n"));
        return;
    }
    lock.unlock();
    launch(
        [this, source] {
            // This entry, then those that came meanwhile.
            for (QString next = source; !next.isNull();) {
                runConsoleEntry(next, false);
                std::lock_guard lock(m_mutex);
                next = m_consoleQueue.isEmpty() || m_stop ? QString() : m_consoleQueue.takeFirst();
                if (next.isNull()) {
                    m_consoleQueue.clear();
                    m_consoleTakesMore = false; // a later entry starts a run of its own
                }
            }
            return ScriptResult();
        },
        Launch::Console);
}

void ScriptEngine::runConsoleEntry(const QString &source, bool paused)
{
    {
        std::lock_guard lock(m_mutex);
        m_inConsole = true;
    }
    const QString output = runConsole(source, paused);
    {
        std::lock_guard lock(m_mutex);
        m_inConsole = false;
    }
    emit consoleOutput(source, output);
}

void ScriptEngine::waitServingConsole(
    std::unique_lock<std::mutex> &lock, const std::function<bool()> &done)
{
    for (;;) {
        m_changed.wait(lock, [&] { return done() || m_stop || !m_consoleQueue.isEmpty(); });
        if (done() || m_stop)
            break;
        const QString source = m_consoleQueue.takeFirst();
        lock.unlock();
        runConsoleEntry(source, true);
        lock.lock();
    }
    m_consoleQueue.clear(); // the script went on
}

void ScriptEngine::launch(std::function<ScriptResult()> body, Launch kind)
{
    if (m_thread.joinable())
        m_thread.join();
    {
        std::lock_guard lock(m_mutex);
        m_running = true;
        m_stop = false;
        m_timedOut = false;
        m_paused = false;
        m_failurePending = false;
        m_lastLine = 0; // a new run: its first line is new, even if the last run ended there
        if (kind == Launch::Script) {
            m_skipped.clear();
            m_replaced.clear();
            // A new journal; its checkpoints are named on from the last run's, whose snapshots
            // the machines still have.
            const int next = m_journal ? m_journal->nextCheckpointNumber() : 1;
            m_journal = std::make_shared<CallJournal>();
            m_journal->setNextCheckpointNumber(next);
            m_recorded = std::exchange(m_pendingRewind, nullptr);
            m_rewindTarget = std::exchange(m_pendingTarget, -1);
            m_replaying = m_recorded != nullptr;
        }
        m_consoleRun = m_consoleTakesMore = kind == Launch::Console;
        if (m_mode == Mode::PauseNow || m_mode == Mode::StepAction)
            m_mode = Mode::Run;
    }
    m_thread = std::thread([this, kind, body = std::move(body)] {
        ScriptEngine *expected = nullptr;
        if (!g_current.compare_exchange_strong(expected, this)) {
            ScriptResult result;
            result.outcome = ScriptResult::Outcome::Failed;
            result.message = QStringLiteral("another script runs in this process");
            std::lock_guard lock(m_mutex);
            m_result = result;
            m_running = false;
            m_consoleRun = m_consoleTakesMore = false;
            m_changed.notify_all();
            return;
        }
        for (const auto &m : m_run->machines())
            m->clearCancel();
        // The global timeout: a watcher that stops the script when time is up.
        std::thread watcher([this] {
            std::unique_lock lock(m_mutex);
            if (m_globalTimeout <= 0)
                return;
            const auto deadline = std::chrono::steady_clock::now()
                + std::chrono::milliseconds(qint64(m_globalTimeout * 1000));
            if (m_changed.wait_until(lock, deadline, [this] { return !m_running || m_stop; }))
                return;
            m_timedOut = true;
            lock.unlock();
            stop();
        });
        ScriptResult result = body();
        if (kind == Launch::Script) {
            m_networks->destroyAll(); // what the script made goes with it
            bool replayedToTheEnd = false;
            {
                std::lock_guard lock(m_mutex);
                replayedToTheEnd = std::exchange(m_replaying, false);
            }
            if (replayedToTheEnd)
                m_run->events()->post(event::Log { QStringLiteral(
                    "the script ended before it reached the checkpoint: every call it made was "
                    "answered from the last run, and no machine was touched") });
        }
        bool timedOut;
        {
            std::lock_guard lock(m_mutex);
            timedOut = m_timedOut;
        }
        if (timedOut) {
            // Out of time: the machines go too, as with a stop of the whole run.
            m_run->crashAll();
        }
        {
            std::lock_guard lock(m_mutex);
            if (m_timedOut) {
                result.outcome = ScriptResult::Outcome::TimedOut;
                result.message
                    = QStringLiteral("the global timeout of %1 s was reached%2")
                          .arg(m_globalTimeout)
                          .arg(result.line > 0
                                  ? QStringLiteral(" at %1:%2").arg(result.file).arg(result.line)
                                  : QString());
            }
            if (kind == Launch::Script) {
                result.skipped = m_skipped;
                result.replaced = m_replaced;
            }
            m_result = result;
            m_running = false;
            m_consoleRun = m_consoleTakesMore = false;
            m_paused = false;
            m_changed.notify_all();
        }
        watcher.join();
        g_current = nullptr;
        if (kind == Launch::Script)
            emit finished(result);
    });
}

ScriptResult ScriptEngine::execute(const QString &source, const QString &file, bool interactive)
{
    return runPython(source, file, interactive);
}

ScriptResult ScriptEngine::wait()
{
    if (m_thread.joinable())
        m_thread.join();
    std::lock_guard lock(m_mutex);
    return m_result;
}

void ScriptEngine::pause()
{
    std::lock_guard lock(m_mutex);
    m_mode = Mode::PauseNow;
}

void ScriptEngine::continueAs(Mode mode)
{
    std::lock_guard lock(m_mutex);
    m_mode = mode;
    m_paused = false;
    m_changed.notify_all();
}

void ScriptEngine::resume()
{
    continueAs(Mode::Run);
}

void ScriptEngine::stepLine()
{
    continueAs(Mode::StepLine);
}

void ScriptEngine::stepAction()
{
    continueAs(Mode::StepAction);
}

void ScriptEngine::stop()
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_running)
            return;
        m_stop = true;
        m_paused = false;
        m_failurePending = false;
        m_failureChoice = FailureChoice::Fail;
        m_changed.notify_all();
    }
    // Blocked driver calls return at once, on the script's own networks too.
    m_run->cancelAll();
    m_networks->cancelAll();
}

void ScriptEngine::resolveFailure(FailureChoice choice, const QString &replacement)
{
    std::lock_guard lock(m_mutex);
    if (!m_failurePending)
        return;
    m_failureChoice = choice;
    m_replacement = replacement;
    m_failurePending = false;
    m_paused = false;
    m_changed.notify_all();
}

void ScriptEngine::waitWhilePaused(
    std::unique_lock<std::mutex> &lock, const QString &file, int line, const QString &reason)
{
    m_paused = true;
    lock.unlock();
    m_run->events()->post(event::ScriptPaused { file, line, reason, {} });
    emit paused(file, line, reason);
    lock.lock();
    waitServingConsole(lock, [this] { return !m_paused; });
    m_paused = false;
    lock.unlock();
    m_run->events()->post(event::ScriptResumed {});
    emit resumed();
    lock.lock();
}

void ScriptEngine::onLine(const QString &file, int line)
{
    std::unique_lock lock(m_mutex);
    if (m_replaying) // the lines before the checkpoint ran in the last run: no pauses in them
        return;
    if (line == m_lastLine && m_mode != Mode::PauseNow)
        return;
    m_lastLine = line;
    QString reason;
    if (m_mode == Mode::PauseNow)
        reason = QStringLiteral("paused");
    else if (m_mode == Mode::StepLine)
        reason = QStringLiteral("step");
    else if (m_breakpoints.contains(line))
        reason = QStringLiteral("breakpoint");
    if (reason.isEmpty() || m_stop)
        return;
    m_mode = Mode::Run;
    waitWhilePaused(lock, file, line, reason);
}

void ScriptEngine::beforeAction(const QString &what)
{
    std::unique_lock lock(m_mutex);
    if (m_mode != Mode::StepAction || m_stop || m_inConsole)
        return;
    m_mode = Mode::Run;
    const ScriptLocation &here = ScriptLocation::current();
    waitWhilePaused(lock, here.file, here.line, QStringLiteral("before ") + what);
}

ScriptEngine::FailureChoice ScriptEngine::onActionFailed(
    const QString &message, QString *replacement)
{
    std::unique_lock lock(m_mutex);
    if (!m_pauseOnFailure || m_stop || m_inConsole)
        return FailureChoice::Fail;
    m_failurePending = true;
    m_failureChoice = FailureChoice::Fail;
    m_paused = true;
    const ScriptLocation here = ScriptLocation::current();
    lock.unlock();
    m_run->events()->post(
        event::ScriptPaused { here.file, here.line, QStringLiteral("failure"), message });
    emit failurePaused(here.file, here.line, message);
    lock.lock();
    waitServingConsole(lock, [this] { return !m_failurePending; });
    m_paused = false;
    *replacement = m_replacement;
    m_replacement.clear();
    const FailureChoice choice = m_stop ? FailureChoice::Fail : m_failureChoice;
    if (choice == FailureChoice::Skip)
        m_skipped << formatText(
            u"%1:%2: %3", here.file, here.line, message.section(QLatin1Char('\n'), 0, 0));
    if (choice == FailureChoice::Retry && !replacement->isEmpty())
        m_replaced << formatText(u"%1:%2: `%3` replaced by `%4`", here.file, here.line,
            m_sourceLines.value(here.line - 1).trimmed(), replacement->trimmed());
    lock.unlock();
    m_run->events()->post(event::ScriptResumed {});
    emit resumed();
    return choice;
}

bool ScriptEngine::sleep(double seconds)
{
    std::unique_lock lock(m_mutex);
    if (m_replaying)
        return !m_stop;
    return !m_changed.wait_for(
        lock, std::chrono::milliseconds(qint64(seconds * 1000)), [this] { return m_stop; });
}

} // namespace vivarium
