#pragma once

#include "core/event/events.h"

#include <QObject>
#include <cstdio>
#include <mutex>

namespace vivarium {

class EventRecorder;

// The readable log of a headless run: actions with durations, nested in subtests, serial lines
// prefixed with the machine's name (while the script wants them: serial_stdout_on/off), log
// lines, machine states, and errors in red when the output is a terminal.
class TerminalLog : public QObject {
    Q_OBJECT

public:
    explicit TerminalLog(EventRecorder *recorder, FILE *out = stdout, QObject *parent = nullptr);

private:
    void print(const RecordedEvent &recorded);
    void line(const QString &text, const char *colour = nullptr);

    FILE *m_out;
    bool m_colour;
    int m_depth = 0;
    bool m_serial = true; // serial_stdout_on()/off()
    std::mutex m_mutex;
};

} // namespace vivarium
