#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

namespace vivarium {

// The status bar's view of vivarium.stateful properties: the running one's progress (example
// k of N, searching or shrinking, the step), and once one is falsified a button that opens
// its minimal failing case — a plain test to step through with the consoles live.
class PropertyStatus : public QWidget {
    Q_OBJECT

public:
    explicit PropertyStatus(QWidget *parent = nullptr);

    QString progressText() const;
    QString minimalCase() const { return m_minimalCase; } // empty: none to open

    void showProgress(const QString &text); // empty: no property runs
    void showFalsified(const QString &property, const QString &regressionTest);
    void clear(); // a new run starts, a new test opens

signals:
    void openRequested(const QString &testFile);

private:
    QLabel *m_progress;
    QPushButton *m_open;
    QString m_minimalCase;
};

} // namespace vivarium
