#include "core/report/terminallog.h"

#include "core/report/eventrecorder.h"

#include <unistd.h>

namespace vivarium {

namespace {

const char *const red = "\033[31m";
const char *const green = "\033[32m";
const char *const grey = "\033[90m";

QString shortArguments(const QJsonObject &arguments)
{
    QStringList parts;
    for (auto it = arguments.begin(); it != arguments.end(); ++it) {
        const QJsonValue v = it.value();
        parts << (v.isString() ? QStringLiteral("\"%1\"").arg(v.toString())
                               : QString::number(v.toDouble()));
    }
    QString text = parts.join(QStringLiteral(", "));
    return text.size() > 120 ? text.left(119) + QStringLiteral("…") : text;
}

} // namespace

TerminalLog::TerminalLog(EventRecorder *recorder, FILE *out, QObject *parent)
    : QObject(parent)
    , m_out(out)
    , m_colour(::isatty(::fileno(out)) != 0)
{
    connect(recorder, &EventRecorder::recorded, this, &TerminalLog::print, Qt::DirectConnection);
}

void TerminalLog::line(const QString &text, const char *colour)
{
    const QByteArray indent(m_depth * 2, ' ');
    if (colour && m_colour)
        std::fprintf(m_out, "%s%s%s\033[0m\n", indent.constData(), colour, qPrintable(text));
    else
        std::fprintf(m_out, "%s%s\n", indent.constData(), qPrintable(text));
    std::fflush(m_out);
}

void TerminalLog::print(const RecordedEvent &recorded)
{
    std::lock_guard lock(m_mutex);
    const Event &e = recorded.event;
    if (const auto *done = std::get_if<event::ActionFinished>(&e)) {
        const ActionEvent &a = done->action;
        const QString call
            = QStringLiteral("%1: %2(%3)").arg(a.machine, a.action, shortArguments(a.arguments));
        const double seconds = double(a.durationMs) / 1000.0;
        if (a.result == ActionEvent::Result::Ok) {
            line(QStringLiteral("%1  (%2 s)").arg(call).arg(seconds, 0, 'f', 2));
        } else {
            line(QStringLiteral("%1  %2 after %3 s")
                     .arg(call, ActionEvent::resultName(a.result))
                     .arg(seconds, 0, 'f', 2),
                red);
            for (const QString &l : a.message.split(QLatin1Char('\n')))
                line(QStringLiteral("  ") + l, red);
        }
    } else if (const auto *console = std::get_if<event::ConsoleLine>(&e)) {
        if (m_serial)
            line(QStringLiteral("%1 # %2").arg(console->machine, console->line), grey);
    } else if (const auto *serial = std::get_if<event::SerialStdout>(&e)) {
        m_serial = serial->on;
    } else if (const auto *log = std::get_if<event::Log>(&e)) {
        line(log->text);
    } else if (const auto *state = std::get_if<event::MachineState>(&e)) {
        line(QStringLiteral("%1: %2 %3").arg(state->machine, state->state, state->detail).trimmed(),
            grey);
    } else if (const auto *started = std::get_if<event::SubtestStarted>(&e)) {
        line(QStringLiteral("subtest: ") + started->name);
        ++m_depth;
    } else if (const auto *finished = std::get_if<event::SubtestFinished>(&e)) {
        m_depth = qMax(0, m_depth - 1);
        line(QStringLiteral("subtest %1 %2 (%3 s)")
                 .arg(finished->name,
                     finished->passed ? QStringLiteral("passed") : QStringLiteral("failed"))
                 .arg(double(finished->durationMs) / 1000.0, 0, 'f', 2),
            finished->passed ? green : red);
    } else if (const auto *failed = std::get_if<event::NetworkFailed>(&e)) {
        line(failed->message, red);
    } else if (const auto *paused = std::get_if<event::ScriptPaused>(&e)) {
        line(QStringLiteral("paused at %1:%2 (%3)")
                 .arg(paused->file)
                 .arg(paused->line)
                 .arg(paused->reason));
    } else if (const auto *end = std::get_if<event::Finished>(&e)) {
        m_depth = 0;
        // A driver error was printed with its action; a Python error shows its traceback.
        const QString traceback = end->result.traceback.trimmed();
        const bool driverError = traceback.contains(QLatin1String("\nvivarium.MachineError: "))
            || traceback.contains(QLatin1String("\nvivarium.Timeout: "));
        const bool stopped = end->result.outcome == ScriptResult::Outcome::Stopped;
        if (!end->result.passed() && !stopped && !traceback.isEmpty() && !driverError)
            for (const QString &l : traceback.split(QLatin1Char('\n')))
                line(l, red);
    }
}

} // namespace vivarium
