#include "ui/run/runsview.h"

#include "core/report/runhistory.h"
#include "ui/run/runcomparisonview.h"
#include "ui/run/runviewer.h"

#include <QDesktopServices>
#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace vivarium {

RunsView::RunsView(QWidget *parent)
    : QWidget(parent)
    , m_list(new QTreeWidget(this))
    , m_open(new QPushButton(tr("Open"), this))
    , m_report(new QPushButton(tr("Report"), this))
    , m_compare(new QPushButton(tr("Compare"), this))
{
    m_list->setObjectName(QStringLiteral("runsList"));
    m_list->setHeaderLabels(
        { tr("Started"), tr("Verdict"), tr("Duration"), tr("Failing line"), tr("Actions") });
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->header()->setSectionResizeMode(Verdict, QHeaderView::Stretch);
    m_list->header()->setStretchLastSection(false);
    m_open->setObjectName(QStringLiteral("runsOpen"));
    m_open->setToolTip(tr("Show the run read-only: its actions, consoles and screenshots"));
    m_report->setObjectName(QStringLiteral("runsReport"));
    m_report->setToolTip(tr("Open the run's log.html"));
    m_compare->setObjectName(QStringLiteral("runsCompare"));
    m_compare->setToolTip(tr("Line up the two selected runs by script line"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_open);
    buttons->addWidget(m_report);
    buttons->addWidget(m_compare);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_list, 1);
    layout->addLayout(buttons);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this, &RunsView::updateButtons);
    connect(m_list, &QTreeWidget::itemDoubleClicked, this, &RunsView::openSelected);
    connect(m_open, &QPushButton::clicked, this, &RunsView::openSelected);
    connect(m_compare, &QPushButton::clicked, this, &RunsView::compareSelected);
    connect(m_report, &QPushButton::clicked, this, [this] {
        const QStringList runs = selectedRuns();
        if (!runs.isEmpty())
            QDesktopServices::openUrl(
                QUrl::fromLocalFile(runs.constFirst() + QStringLiteral("/log.html")));
    });
    updateButtons();
}

void RunsView::setFolder(const QString &folder)
{
    m_folder = folder;
    refresh();
}

void RunsView::refresh()
{
    const QStringList selected = selectedRuns();
    m_list->clear();
    if (m_folder.isEmpty())
        return;
    for (const RunSummary &run : RunHistory(m_folder).runs()) {
        auto *row = new QTreeWidgetItem(m_list);
        row->setText(Started, run.started.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        row->setText(Verdict, run.verdict());
        row->setText(
            Duration, QStringLiteral("%1 s").arg(double(run.durationMs) / 1000.0, 0, 'f', 1));
        row->setText(FailingLine, run.failingLine());
        row->setText(Actions, QString::number(run.actions));
        row->setToolTip(Started, run.directory);
        row->setData(0, Qt::UserRole, run.directory);
        if (run.result && !run.result->passed())
            row->setForeground(Verdict, QColor(0xb3, 0x26, 0x1e));
        row->setSelected(selected.contains(run.directory));
    }
    for (int c = 0; c < ColumnCount; ++c) {
        if (c != Verdict)
            m_list->resizeColumnToContents(c);
    }
    updateButtons();
}

QStringList RunsView::selectedRuns() const
{
    QStringList runs;
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        if (m_list->topLevelItem(i)->isSelected())
            runs << m_list->topLevelItem(i)->data(0, Qt::UserRole).toString();
    }
    return runs;
}

void RunsView::updateButtons()
{
    const qsizetype n = selectedRuns().size();
    m_open->setEnabled(n == 1);
    m_report->setEnabled(n == 1);
    m_compare->setEnabled(n == 2);
}

void RunsView::openSelected()
{
    const QStringList runs = selectedRuns();
    if (runs.size() != 1)
        return;
    auto *viewer = new RunViewer(runs.constFirst(), this);
    viewer->setAttribute(Qt::WA_DeleteOnClose);
    viewer->show();
}

void RunsView::compareSelected()
{
    const QStringList runs = selectedRuns();
    if (runs.size() != 2)
        return;
    // The older run is A: differences read as what changed since.
    auto *view = new RunComparisonView(runs.at(1), runs.at(0), this);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->show();
}

} // namespace vivarium
