#include "terminallog.h"

#include "../script/bindings.h"
#include "eventrecorder.h"

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

void TerminalLog::print(const QJsonObject &e)
{
    std::lock_guard lock(m_mutex);
    const QString type = e.value(QStringLiteral("type")).toString();
    const auto str = [&](const char *key) { return e.value(QLatin1String(key)).toString(); };
    if (type == QLatin1String("action_finished")) {
        const QString call
            = QStringLiteral("%1: %2(%3)")
                  .arg(str("machine"), str("action"),
                      shortArguments(e.value(QStringLiteral("arguments")).toObject()));
        const double seconds = e.value(QStringLiteral("duration_ms")).toDouble() / 1000.0;
        if (str("result") == QLatin1String("ok")) {
            line(QStringLiteral("%1  (%2 s)").arg(call).arg(seconds, 0, 'f', 2));
        } else {
            line(QStringLiteral("%1  %2 after %3 s")
                     .arg(call, str("result"))
                     .arg(seconds, 0, 'f', 2),
                red);
            for (const QString &l : str("message").split(QLatin1Char('\n')))
                line(QStringLiteral("  ") + l, red);
        }
    } else if (type == QLatin1String("console")) {
        if (serialStdout())
            line(QStringLiteral("%1 # %2").arg(str("machine"), str("line")), grey);
    } else if (type == QLatin1String("log")) {
        line(str("text"));
    } else if (type == QLatin1String("machine_state")) {
        line(QStringLiteral("%1: %2 %3").arg(str("machine"), str("state"), str("detail")).trimmed(),
            grey);
    } else if (type == QLatin1String("subtest_started")) {
        line(QStringLiteral("subtest: ") + str("name"));
        ++m_depth;
    } else if (type == QLatin1String("subtest_finished")) {
        m_depth = qMax(0, m_depth - 1);
        const bool passed = e.value(QStringLiteral("passed")).toBool();
        line(QStringLiteral("subtest %1 %2 (%3 s)")
                 .arg(str("name"), passed ? QStringLiteral("passed") : QStringLiteral("failed"))
                 .arg(e.value(QStringLiteral("duration_ms")).toDouble() / 1000.0, 0, 'f', 2),
            passed ? green : red);
    } else if (type == QLatin1String("network_failed")) {
        line(str("message"), red);
    } else if (type == QLatin1String("script_paused")) {
        line(QStringLiteral("paused at %1:%2 (%3)")
                 .arg(str("file"))
                 .arg(e.value(QStringLiteral("line")).toInt())
                 .arg(str("reason")));
    } else if (type == QLatin1String("finished")) {
        m_depth = 0;
        const bool passed = str("outcome") == QLatin1String("passed");
        // A driver error was printed with its action; a Python error shows its traceback.
        const QString traceback = str("traceback").trimmed();
        const bool driverError = traceback.contains(QLatin1String("\nvivarium.MachineError: "))
            || traceback.contains(QLatin1String("\nvivarium.Timeout: "));
        if (!passed && !traceback.isEmpty() && !driverError)
            for (const QString &l : traceback.split(QLatin1Char('\n')))
                line(l, red);
    }
}

} // namespace vivarium
