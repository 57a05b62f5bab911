#pragma once

#include <QWidget>

class QPlainTextEdit;

namespace vivarium {

class HistoryLineEdit;
class Workbench;

// A Python prompt against the live machines: `server.succeed("ss -tlnp")`, `client.screenshot
// ("x")`, any Python. It runs in the script's globals while the script is paused (so the
// script's variables are there), else in the last script's globals. Output and errors are
// shown under each entry; failing driver calls fail at once, they never pause.
class PythonConsole : public QWidget {
    Q_OBJECT

public:
    PythonConsole(Workbench *workbench, QWidget *parent = nullptr);

    QString transcript() const;
    // Another test opened: the last one's entries and their output are not this one's.
    void clear();
    HistoryLineEdit *input() const { return m_input; }

private:
    void onOutput(const QString &source, const QString &output);

    Workbench *m_workbench;
    QPlainTextEdit *m_output;
    HistoryLineEdit *m_input;
};

} // namespace vivarium
