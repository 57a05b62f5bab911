#pragma once

#include <QWidget>

class QPushButton;
class QTreeWidget;

namespace vivarium {

// The Runs view: the runs the workbench kept of the open test (RunHistory), newest first, with
// when each started, its verdict, how long it took and the line it failed at. Open shows a run
// read-only (its actions, consoles and screenshots: RunViewer), Report opens its log.html, and
// Compare lines up the two runs selected (RunComparisonView).
class RunsView : public QWidget {
    Q_OBJECT

public:
    explicit RunsView(QWidget *parent = nullptr);

    void setFolder(const QString &folder); // and reads it
    void refresh();
    QTreeWidget *list() const { return m_list; }
    // The selected runs' directories, newest first.
    QStringList selectedRuns() const;
    // The dialogs: public for the Run menu and the tests.
    void openSelected();
    void compareSelected();

    enum Column { Started, Verdict, Duration, FailingLine, Actions, ColumnCount };

private:
    void updateButtons();

    QString m_folder;
    QTreeWidget *m_list;
    QPushButton *m_open;
    QPushButton *m_report;
    QPushButton *m_compare;
};

} // namespace vivarium
