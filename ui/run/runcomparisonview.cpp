#include "ui/run/runcomparisonview.h"

#include "core/report/runhistory.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace vivarium {

namespace {

QString seconds(qint64 ms)
{
    return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', ms < 10000 ? 2 : 1);
}

// What a step ended with, as one cell: the result, then its output or its error.
QString outcome(const RunStep &step)
{
    QString detail = step.result == ActionEvent::Result::Ok ? step.output : step.message;
    detail = detail.simplified().left(120);
    const QString result = ActionEvent::resultName(step.result);
    return detail.isEmpty() ? result : result + QStringLiteral(": ") + detail;
}

QString runLabel(const QString &directory)
{
    const RunSummary run = RunHistory::summarize(directory);
    return QStringLiteral("%1 (%2)").arg(
        run.started.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")), run.verdict());
}

} // namespace

RunComparisonView::RunComparisonView(const QString &runA, const QString &runB, QWidget *parent)
    : QDialog(parent)
    , m_first(new QLabel(this))
    , m_steps(new QTreeWidget(this))
    , m_durations(new QTreeWidget(this))
{
    setObjectName(QStringLiteral("runComparison"));
    setWindowTitle(tr("Compare Runs — Vivarium"));
    m_first->setObjectName(QStringLiteral("firstDifference"));
    m_first->setWordWrap(true);
    m_first->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_steps->setObjectName(QStringLiteral("comparedSteps"));
    m_steps->setRootIsDecorated(false);
    m_steps->setUniformRowHeights(true);
    m_steps->setHeaderLabels({ tr("Line"), tr("Step"), tr("Run A"), tr("A took"), tr("Run B"),
        tr("B took"), tr("Difference") });
    m_steps->header()->setSectionResizeMode(Step, QHeaderView::Stretch);
    m_durations->setObjectName(QStringLiteral("durationChanges"));
    m_durations->setRootIsDecorated(false);
    m_durations->setHeaderLabels(
        { tr("Line"), tr("Step"), tr("A took"), tr("B took"), tr("Change") });
    m_durations->header()->setSectionResizeMode(1, QHeaderView::Stretch);

    QString error;
    if (!RunComparison::compareRuns(runA, runB, &m_comparison, &error)) {
        m_first->setText(error);
    } else {
        const QColor differs(0xb3, 0x26, 0x1e);
        for (const RunComparison::Row &row : std::as_const(m_comparison.rows)) {
            const RunStep &step
                = row.a >= 0 ? m_comparison.stepsA.at(row.a) : m_comparison.stepsB.at(row.b);
            auto *item = new QTreeWidgetItem(m_steps);
            item->setText(Line, QString::number(step.line));
            item->setText(Step, step.what);
            item->setToolTip(Step, step.what);
            if (row.a >= 0) {
                item->setText(ResultA, outcome(m_comparison.stepsA.at(row.a)));
                item->setText(DurationA, seconds(m_comparison.stepsA.at(row.a).durationMs));
            }
            if (row.b >= 0) {
                item->setText(ResultB, outcome(m_comparison.stepsB.at(row.b)));
                item->setText(DurationB, seconds(m_comparison.stepsB.at(row.b).durationMs));
            }
            item->setText(Difference, row.difference);
            if (!row.difference.isEmpty()) {
                for (int c = 0; c < ColumnCount; ++c)
                    item->setForeground(c, differs);
            }
        }
        if (m_comparison.firstDifference < 0) {
            m_first->setText(tr("The runs took the same %n step(s) with the same results.", nullptr,
                int(m_comparison.rows.size())));
        } else {
            const RunComparison::Row &row = m_comparison.rows.at(m_comparison.firstDifference);
            const RunStep &step
                = row.a >= 0 ? m_comparison.stepsA.at(row.a) : m_comparison.stepsB.at(row.b);
            m_first->setText(tr("First difference at step %1, %2:%3 %4: %5")
                                 .arg(m_comparison.firstDifference + 1)
                                 .arg(QFileInfo(step.file).fileName())
                                 .arg(step.line)
                                 .arg(step.what, row.difference));
            QTreeWidgetItem *first = m_steps->topLevelItem(m_comparison.firstDifference);
            m_steps->setCurrentItem(first);
            m_steps->scrollToItem(first, QAbstractItemView::PositionAtCenter);
        }
        for (const RunComparison::DurationChange &change :
            std::as_const(m_comparison.durationChanges)) {
            const RunStep &step = m_comparison.stepsA.at(m_comparison.rows.at(change.row).a);
            auto *item = new QTreeWidgetItem(m_durations);
            item->setText(0, QString::number(step.line));
            item->setText(1, step.what);
            item->setText(2, seconds(change.aMs));
            item->setText(3, seconds(change.bMs));
            const qint64 delta = change.bMs - change.aMs;
            item->setText(4, (delta >= 0 ? QStringLiteral("+") : QString()) + seconds(delta));
        }
    }
    for (int c : { int(Line), int(DurationA), int(DurationB) })
        m_steps->resizeColumnToContents(c);
    m_steps->setColumnWidth(ResultA, 220);
    m_steps->setColumnWidth(ResultB, 220);

    auto *runs = new QLabel(tr("Run A: %1\nRun B: %2").arg(runLabel(runA), runLabel(runB)), this);
    runs->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_steps);
    split->addWidget(m_durations);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(runs);
    layout->addWidget(m_first);
    layout->addWidget(split, 1);
    layout->addWidget(buttons);
    resize(1200, 760);
}

} // namespace vivarium
