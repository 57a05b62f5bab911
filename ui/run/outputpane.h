#pragma once

#include "core/report/logformatter.h"

#include <QWidget>

class QComboBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace vivarium {

// The run's output as the terminal log has it (vivarium-test's stdout): print() and log lines,
// actions, subtests as nodes with their lines inside, serial lines per machine. A filter shows
// everything, the script's own lines only, or one machine's serial console.
class OutputPane : public QWidget {
    Q_OBJECT

public:
    explicit OutputPane(QWidget *parent = nullptr);

    void setMachines(const QStringList &machines);
    void clearRun();
    void add(const RecordedEvent &event);
    QTreeWidget *view() const { return m_view; }
    // Every line shown now, indented by depth (for tests and Copy All).
    QString visibleText() const;
    void setFilter(const QString &filter); // "all", "script", or a machine's name

private:
    void applyFilter(QTreeWidgetItem *item);
    QString filter() const;

    LogFormatter m_formatter;
    QComboBox *m_filter;
    QTreeWidget *m_view;
    QList<QTreeWidgetItem *> m_open; // the subtests the next line goes into
};

} // namespace vivarium
