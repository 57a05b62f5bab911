#include "core/report/terminallog.h"

#include "core/report/eventrecorder.h"
#include "core/util/textformat.h"

#include <unistd.h>

namespace vivarium {

namespace {

const char *colourOf(LogLine::Tone tone)
{
    switch (tone) {
    case LogLine::Tone::Bad:
        return "\033[31m";
    case LogLine::Tone::Good:
        return "\033[32m";
    case LogLine::Tone::Muted:
        return "\033[90m";
    case LogLine::Tone::Plain:
        break;
    }
    return nullptr;
}

} // namespace

TerminalLog::TerminalLog(EventRecorder *recorder, FILE *out, QObject *parent)
    : QObject(parent)
    , m_out(out)
    , m_colour(::isatty(::fileno(out)) != 0)
{
    connect(recorder, &EventRecorder::recorded, this, &TerminalLog::print, Qt::DirectConnection);
}

void TerminalLog::print(const RecordedEvent &recorded)
{
    std::lock_guard lock(m_mutex);
    for (const LogLine &l : m_formatter.lines(recorded)) {
        const QByteArray indent(l.depth * 2, ' ');
        // Guest output is shown, not obeyed: the serial log file keeps the raw bytes.
        const QString text = printableText(l.text);
        const char *colour = m_colour ? colourOf(l.tone) : nullptr;
        if (colour)
            std::fprintf(m_out, "%s%s%s\033[0m\n", indent.constData(), colour, qPrintable(text));
        else
            std::fprintf(m_out, "%s%s\n", indent.constData(), qPrintable(text));
    }
    std::fflush(m_out);
}

} // namespace vivarium
