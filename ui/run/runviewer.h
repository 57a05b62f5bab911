#pragma once

#include <QDialog>

class QLabel;
class QTabWidget;

namespace vivarium {

class ActionLog;

// One kept run, read-only: its verdict, its actions (as the action log showed them), every
// machine's serial console and the screenshots it took, from the files in its directory. Nothing
// here runs or changes anything.
class RunViewer : public QDialog {
    Q_OBJECT

public:
    explicit RunViewer(const QString &directory, QWidget *parent = nullptr);

    ActionLog *actions() const { return m_actions; }
    QTabWidget *tabs() const { return m_tabs; }
    QLabel *summary() const { return m_summary; }

    // How much of a console it shows (the end of it; the file has every byte).
    static constexpr qint64 consoleLimit = 8 * 1024 * 1024;

private:
    QTabWidget *m_tabs;
    ActionLog *m_actions;
    QLabel *m_summary;
};

} // namespace vivarium
