#include "ui/run/actionlog.h"

#include "core/event/actionevent.h"
#include "core/event/scriptresult.h"
#include "core/script/calljournal.h"

#include <QDateTime>
#include <QFileInfo>
#include <QHeaderView>
#include <QMenu>
#include <QUrl>

namespace vivarium {

namespace {

const QColor failedColour(0xb3, 0x26, 0x1e);
const QColor runningColour(0x1a, 0x5f, 0xb4);
const QColor checkpointColour(0x26, 0x7a, 0x3e);
constexpr int checkpointRole = Qt::UserRole + 1; // a checkpoint row's journal index

QString callText(const ActionEvent &event)
{
    return QStringLiteral("%1(%2)").arg(event.action, event.argumentsText(false));
}

QString seconds(qint64 ms)
{
    return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', ms < 10000 ? 2 : 1);
}

void paint(QTreeWidgetItem *item, const QColor &colour)
{
    for (int c = 0; c < ActionLog::ColumnCount; ++c)
        item->setForeground(c, colour);
}

} // namespace

ActionLog::ActionLog(QWidget *parent)
    : QTreeWidget(parent)
{
    setHeaderLabels({ tr("Time"), tr("Machine"), tr("Action"), tr("Duration"), tr("Result") });
    setRootIsDecorated(false);
    setUniformRowHeights(true);
    header()->setSectionResizeMode(Action, QHeaderView::Stretch);
    header()->setStretchLastSection(false);
    // Wide enough for what each column holds, from the font (not Qt's 100 px for all): the
    // call's text gets the rest.
    const QFontMetrics metrics(font());
    const int pad = 3 * metrics.averageCharWidth();
    header()->resizeSection(Time, metrics.horizontalAdvance(QStringLiteral("00:00:00")) + pad);
    header()->resizeSection(Machine, metrics.horizontalAdvance(QStringLiteral("machine-1")) + pad);
    header()->resizeSection(Duration, metrics.horizontalAdvance(QStringLiteral("1000.0 s")) + pad);
    header()->resizeSection(Result, metrics.horizontalAdvance(QStringLiteral("timeout")) + pad);
    m_clock.setInterval(100);
    connect(&m_clock, &QTimer::timeout, this, &ActionLog::tick);
    connect(this, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem *item) {
        if (const int line = item->data(0, Qt::UserRole).toInt(); line > 0)
            emit lineActivated(line);
    });
    setContextMenuPolicy(Qt::CustomContextMenu);
    connect(this, &QWidget::customContextMenuRequested, this, [this](const QPoint &at) {
        QTreeWidgetItem *item = itemAt(at);
        if (!item || !item->data(0, checkpointRole).isValid())
            return;
        QMenu menu(this);
        menu.setObjectName(QStringLiteral("checkpointMenu"));
        const int index = item->data(0, checkpointRole).toInt();
        menu.addAction(tr("Run from Here"), this, [this, index] { emit runFromCheckpoint(index); })
            ->setObjectName(QStringLiteral("runFromHereAction"));
        menu.exec(viewport()->mapToGlobal(at));
    });
}

void ActionLog::addCheckpoint(const Checkpoint &checkpoint)
{
    auto *row = new QTreeWidgetItem(this);
    row->setText(Time, QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")));
    row->setText(Machine, checkpoint.machines.join(QStringLiteral(", ")));
    row->setText(Action,
        tr("⚑ checkpoint %1 (line %2): right-click to run from here")
            .arg(checkpoint.label)
            .arg(checkpoint.line));
    row->setToolTip(Action,
        tr("The machines as they were before line %1 (snapshot %2). Run from Here answers the "
           "script's calls before it from this run and goes on live from it.")
            .arg(checkpoint.line)
            .arg(checkpoint.snapshot));
    row->setData(0, Qt::UserRole, checkpoint.line);
    row->setData(0, checkpointRole, checkpoint.index);
    paint(row, checkpointColour);
    scrollToItem(row);
}

void ActionLog::clearRun()
{
    clear();
    m_rows.clear();
    m_running.clear();
    m_clock.stop();
}

QTreeWidgetItem *ActionLog::rowFor(const ActionEvent &event)
{
    if (QTreeWidgetItem *row = m_rows.value(event.id); row && event.id != 0)
        return row;
    auto *row = new QTreeWidgetItem(this);
    row->setText(
        Time, QDateTime::fromMSecsSinceEpoch(event.startMs).toString(QStringLiteral("HH:mm:ss")));
    row->setText(Machine, event.machine);
    row->setText(Action, callText(event));
    row->setData(0, Qt::UserRole, event.line);
    if (event.id != 0)
        m_rows.insert(event.id, row);
    scrollToItem(row);
    return row;
}

void ActionLog::started(const ActionEvent &event)
{
    QTreeWidgetItem *row = rowFor(event);
    row->setText(Result, tr("running"));
    paint(row, runningColour);
    m_running.insert(row, event.startMs);
    tick();
    m_clock.start();
}

void ActionLog::finished(const ActionEvent &event)
{
    QTreeWidgetItem *row = rowFor(event);
    m_running.remove(row);
    if (m_running.isEmpty())
        m_clock.stop();
    row->setText(Duration, seconds(event.durationMs));
    row->setText(Result, ActionEvent::resultName(event.result));
    row->setToolTip(Action, event.message.isEmpty() ? row->text(Action) : event.message);
    paint(row, event.result == ActionEvent::Result::Ok ? palette().text().color() : failedColour);
    if (!event.artifact.isEmpty() && QFileInfo(event.artifact).isFile()) {
        // The screenshot shows when the mouse rests on the row.
        const QString url = QUrl::fromLocalFile(event.artifact).toString();
        row->setToolTip(Action,
            QStringLiteral("<p>%1</p><img src=\"%2\" width=\"320\">")
                .arg(event.artifact.toHtmlEscaped(), url.toHtmlEscaped()));
        row->setData(0, Qt::UserRole + 1, event.artifact);
    }
}

QString ActionLog::runningCall() const
{
    if (m_running.isEmpty())
        return {};
    const QTreeWidgetItem *row = m_running.begin().key();
    return row->text(Machine) + QLatin1Char('.') + row->text(Action);
}

void ActionLog::tick()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (auto it = m_running.begin(); it != m_running.end(); ++it)
        it.key()->setText(Duration, seconds(now - it.value()) + QStringLiteral("…"));
}

void ActionLog::markLastFailureSkipped()
{
    for (int i = topLevelItemCount() - 1; i >= 0; --i) {
        QTreeWidgetItem *row = topLevelItem(i);
        if (row->text(Result) != QLatin1String("ok") && row->text(Result) != tr("running")) {
            row->setText(Result, row->text(Result) + tr(" (skipped)"));
            return;
        }
    }
}

void ActionLog::addVerdict(const ScriptResult &result, qint64 atMs)
{
    auto *row = new QTreeWidgetItem(this);
    const QDateTime at
        = atMs > 0 ? QDateTime::fromMSecsSinceEpoch(atMs) : QDateTime::currentDateTime();
    row->setText(Time, at.toString(QStringLiteral("HH:mm:ss")));
    row->setText(Action, tr("The script %1").arg(result.verdict()));
    row->setText(Result, result.verdict());
    row->setData(0, Qt::UserRole, result.passed() ? 0 : result.line);
    QFont font = row->font(Action);
    font.setBold(true);
    row->setFont(Action, font);
    if (!result.passed())
        paint(row,
            result.outcome == ScriptResult::Outcome::Stopped ? QColor(Qt::darkGray) : failedColour);
    scrollToItem(row);
}

} // namespace vivarium
