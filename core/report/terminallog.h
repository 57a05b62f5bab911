#pragma once

#include "core/report/logformatter.h"

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

    FILE *m_out;
    bool m_colour;
    LogFormatter m_formatter;
    std::mutex m_mutex;
};

} // namespace vivarium
