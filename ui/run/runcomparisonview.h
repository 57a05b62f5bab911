#pragma once

#include "core/report/runcomparison.h"

#include <QDialog>

class QLabel;
class QTreeWidget;

namespace vivarium {

// Two runs of a test side by side (RunComparison): each row a step of the script, run A's and
// run B's result, duration and output, a gap where only one run took the step; rows that
// differ in red, the first of them selected and in view; below, the steps whose durations
// changed most.
class RunComparisonView : public QDialog {
    Q_OBJECT

public:
    RunComparisonView(const QString &runA, const QString &runB, QWidget *parent = nullptr);

    const RunComparison &comparison() const { return m_comparison; }
    QTreeWidget *steps() const { return m_steps; }
    QTreeWidget *durations() const { return m_durations; }
    QLabel *firstDifference() const { return m_first; }

    enum Column { Line, Step, ResultA, DurationA, ResultB, DurationB, Difference, ColumnCount };

private:
    RunComparison m_comparison;
    QLabel *m_first;
    QTreeWidget *m_steps;
    QTreeWidget *m_durations;
};

} // namespace vivarium
