#pragma once

#include "core/coverage/tracefile.h"

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace vivarium {

// A run's coverage (docs/coverage.md): the source files with their percentages per machine
// and combined, and the selected file's source with each line marked by the machines that ran
// it (green: ran, red: not run, plain: nothing to run). Reads what the collection wrote into
// <outDir>/coverage; Refresh asks for a collection now (the workbench flushes the programs
// named in [coverage] flush first).
class CoverageView : public QWidget {
    Q_OBJECT

public:
    explicit CoverageView(QWidget *parent = nullptr);

    // Whether the open test collects coverage: without it the view says how to turn it on.
    void setCollects(bool collects);
    // Shows <dir>/all.info and summary.json; says why when there is nothing.
    void load(const QString &dir);
    void setBusy(const QString &what); // a collection runs: Refresh waits

    QTreeWidget *files() const { return m_files; }
    QPlainTextEdit *source() const { return m_source; }
    QLabel *status() const { return m_status; }
    QPushButton *refreshButton() const { return m_refresh; }
    // The machines shown for line of source (the column's text), for tests and tooltips.
    QStringList machinesOf(const QString &source, int line) const;

signals:
    void refreshRequested();

private:
    void showSource(const QString &path);

    QLabel *m_status;
    QPushButton *m_refresh;
    QTreeWidget *m_files;
    QPlainTextEdit *m_source;
    Tracefile m_trace;
    SourceCoverage m_combined; // m_trace's machines summed, for the source view
    bool m_collects = false;
};

} // namespace vivarium
