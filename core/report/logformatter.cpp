#include "core/report/logformatter.h"

#include "core/util/textformat.h"

namespace vivarium {

void LogFormatter::reset()
{
    m_depth = 0;
    m_serial = true;
}

QList<LogLine> LogFormatter::lines(const RecordedEvent &recorded)
{
    using Tone = LogLine::Tone;
    QList<LogLine> out;
    const auto add = [&](const QString &text, Tone tone = Tone::Plain) {
        out.append({ text, m_depth, tone, {}, false });
    };
    const Event &e = recorded.event;
    if (const auto *done = std::get_if<event::ActionFinished>(&e)) {
        const ActionEvent &a = done->action;
        const QString call
            = formatText(u"%1: %2(%3)", a.machine, a.action, a.argumentsText(false, 120));
        const double seconds = double(a.durationMs) / 1000.0;
        if (a.result == ActionEvent::Result::Ok) {
            add(formatText(u"%1  (%2 s)", call, fixed(seconds, 2)));
        } else {
            add(formatText(u"%1  %2 after %3 s", call, ActionEvent::resultName(a.result),
                    fixed(seconds, 2)),
                Tone::Bad);
            for (const QString &l : a.message.split(QLatin1Char('\n')))
                add(QStringLiteral("  ") + l, Tone::Bad);
        }
    } else if (const auto *console = std::get_if<event::ConsoleLine>(&e)) {
        if (m_serial)
            out.append({ QStringLiteral("%1 # %2").arg(console->machine, console->line), m_depth,
                Tone::Muted, console->machine, false });
    } else if (const auto *serial = std::get_if<event::SerialStdout>(&e)) {
        m_serial = serial->on;
    } else if (const auto *log = std::get_if<event::Log>(&e)) {
        add(log->text);
    } else if (const auto *state = std::get_if<event::MachineState>(&e)) {
        add(QStringLiteral("%1: %2 %3").arg(state->machine, state->state, state->detail).trimmed(),
            Tone::Muted);
    } else if (const auto *added = std::get_if<event::MachineAdded>(&e)) {
        add(added->text());
    } else if (const auto *started = std::get_if<event::SubtestStarted>(&e)) {
        out.append({ QStringLiteral("subtest: ") + started->name, m_depth, Tone::Plain, {}, true });
        ++m_depth;
    } else if (const auto *finished = std::get_if<event::SubtestFinished>(&e)) {
        m_depth = qMax(0, m_depth - 1);
        add(formatText(u"subtest %1 %2 (%3 s)", finished->name,
                finished->passed ? QStringLiteral("passed") : QStringLiteral("failed"),
                fixed(double(finished->durationMs) / 1000.0, 2)),
            finished->passed ? Tone::Good : Tone::Bad);
    } else if (const auto *property = std::get_if<event::PropertyStarted>(&e)) {
        add(formatText(u"property %1: %2 example(s), up to %3 step(s), %4", property->name,
            property->examples, property->steps,
            property->seed.isEmpty() ? property->mode : QStringLiteral("seed ") + property->seed));
    } else if (const auto *example = std::get_if<event::PropertyExample>(&e)) {
        add(formatText(u"property %1: example %2 (%3) %4, %5 step(s), %6 s%7", example->property,
                example->example, example->phase,
                example->passed ? QStringLiteral("passed") : QStringLiteral("failed"),
                example->steps.size(), fixed(double(example->durationMs) / 1000.0, 1),
                example->coverage.isEmpty() ? QString()
                                            : QStringLiteral(", coverage ") + example->coverage),
            example->passed ? Tone::Muted : Tone::Bad);
    } else if (const auto *property = std::get_if<event::PropertyFinished>(&e)) {
        const double minutes = qMax(1.0, double(property->durationMs)) / 60000.0;
        add(formatText(u"property %1 %2 after %3 example(s) (%4 failing), %5 s, %6 a minute",
                property->name,
                property->passed ? QStringLiteral("passed") : QStringLiteral("falsified"),
                property->examples, property->failing,
                fixed(double(property->durationMs) / 1000.0, 1),
                fixed(double(property->examples) / minutes, 1)),
            property->passed ? Tone::Good : Tone::Bad);
    } else if (const auto *failed = std::get_if<event::NetworkFailed>(&e)) {
        add(failed->message, Tone::Bad);
    } else if (const auto *checkpoint = std::get_if<event::CheckpointTaken>(&e)) {
        add(formatText(u"checkpoint %1 at %2:%3 (%4, %5 s)", checkpoint->label, checkpoint->file,
                checkpoint->line, checkpoint->machines.join(QStringLiteral(", ")),
                fixed(double(checkpoint->durationMs) / 1000.0, 2)),
            Tone::Muted);
    } else if (const auto *rewound = std::get_if<event::Rewound>(&e)) {
        add(rewound->text());
    } else if (const auto *paused = std::get_if<event::ScriptPaused>(&e)) {
        add(formatText(u"paused at %1:%2 (%3)", paused->file, paused->line, paused->reason));
    } else if (const auto *end = std::get_if<event::Finished>(&e)) {
        m_depth = 0;
        // A driver error was printed with its action; a Python error shows its traceback.
        const QString traceback = end->result.traceback.trimmed();
        const bool driverError = traceback.contains(QLatin1String("\nvivarium.MachineError: "))
            || traceback.contains(QLatin1String("\nvivarium.Timeout: "));
        const bool stopped = end->result.outcome == ScriptResult::Outcome::Stopped;
        if (end->result.outcome != ScriptResult::Outcome::Passed && !stopped && !traceback.isEmpty()
            && !driverError)
            for (const QString &l : traceback.split(QLatin1Char('\n')))
                add(l, Tone::Bad);
        for (const QString &skipped : end->result.skipped)
            add(QStringLiteral("skipped failure: ") + skipped, Tone::Bad);
        for (const QString &replaced : end->result.replaced)
            add(QStringLiteral("replaced while running: ") + replaced, Tone::Bad);
    }
    return out;
}

} // namespace vivarium
