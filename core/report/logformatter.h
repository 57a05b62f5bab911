#pragma once

#include "core/event/events.h"

#include <QList>
#include <QString>

namespace vivarium {

// One line of a run's readable log: what vivarium-test prints and the workbench's Output pane
// shows, from the same events in the same words.
struct LogLine {
    enum class Tone { Plain, Muted, Good, Bad };
    QString text;
    int depth = 0; // subtest nesting
    Tone tone = Tone::Plain;
    QString machine; // a serial line's machine, else empty
    bool subtestStart = false; // this line opens a subtest (the lines after it are inside)
};

// Turns recorded events into log lines: actions with durations, nested in subtests, serial
// lines with the machine's name (while the script wants them: serial_stdout_on/off), log
// lines, machine states, and a Python error's traceback (the interpreter left the driver's own
// frames out of it).
class LogFormatter {
public:
    QList<LogLine> lines(const RecordedEvent &recorded);
    void reset(); // a new run

private:
    int m_depth = 0;
    bool m_serial = true;
};

} // namespace vivarium
