#pragma once

#include <QHash>
#include <QTimer>
#include <QTreeWidget>

namespace vivarium {

struct ActionEvent;
struct Checkpoint;
struct ScriptResult;

// The workbench's log of driver calls: a row per call from the moment it starts (its elapsed
// time counting live), finished in place with its duration and result; a skipped failure says
// so; the run's verdict is the last row. A row remembers its script line (clicking it goes
// there) and a screenshot it took (shown as the row's tooltip: no preview moves the rows).
class ActionLog : public QTreeWidget {
    Q_OBJECT

public:
    explicit ActionLog(QWidget *parent = nullptr);

    void clearRun(); // a new run
    void started(const ActionEvent &event);
    void finished(const ActionEvent &event);
    void markLastFailureSkipped();
    // The run's verdict as the last row, at atMs (ms since the epoch; 0: now).
    void addVerdict(const ScriptResult &result, qint64 atMs = 0);
    // A checkpoint row (a flag, its label and line): its context menu runs from it.
    void addCheckpoint(const Checkpoint &checkpoint);
    // The call in flight (its text, "idle.succeed(true)"), or empty.
    QString runningCall() const;

    enum Column { Time, Machine, Action, Duration, Result, ColumnCount };

signals:
    void lineActivated(int line);
    // Run from Here on a checkpoint row: the checkpoint's index in the run's call journal.
    void runFromCheckpoint(int index);

private:
    QTreeWidgetItem *rowFor(const ActionEvent &event);
    void tick();

    QHash<quint64, QTreeWidgetItem *> m_rows; // by the event's id
    QHash<QTreeWidgetItem *, qint64> m_running; // row -> start (ms since the epoch)
    QTimer m_clock;
};

} // namespace vivarium
