#include "ui/run/outputpane.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace vivarium {

namespace {

constexpr int machineRole = Qt::UserRole;

QColor colourOf(LogLine::Tone tone, const QPalette &palette)
{
    switch (tone) {
    case LogLine::Tone::Bad:
        return { 0xb3, 0x26, 0x1e };
    case LogLine::Tone::Good:
        return { 0x1e, 0x7b, 0x34 };
    case LogLine::Tone::Muted:
        return palette.color(QPalette::Disabled, QPalette::Text);
    case LogLine::Tone::Plain:
        break;
    }
    return palette.color(QPalette::Text);
}

} // namespace

OutputPane::OutputPane(QWidget *parent)
    : QWidget(parent)
    , m_filter(new QComboBox(this))
    , m_view(new QTreeWidget(this))
{
    setObjectName(QStringLiteral("outputPane"));
    m_filter->setObjectName(QStringLiteral("outputFilter"));
    m_view->setHeaderHidden(true);
    m_view->setUniformRowHeights(true);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Show:"), this));
    bar->addWidget(m_filter);
    bar->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
    setMachines({});
    connect(m_filter, &QComboBox::currentIndexChanged, this, [this] {
        for (int i = 0; i < m_view->topLevelItemCount(); ++i)
            applyFilter(m_view->topLevelItem(i));
    });
}

void OutputPane::setMachines(const QStringList &machines)
{
    m_filter->clear();
    m_filter->addItem(tr("Everything"), QStringLiteral("all"));
    m_filter->addItem(tr("The script (no serial lines)"), QStringLiteral("script"));
    for (const QString &machine : machines)
        m_filter->addItem(tr("Serial of %1").arg(machine), machine);
}

void OutputPane::setFilter(const QString &filter)
{
    m_filter->setCurrentIndex(qMax(0, m_filter->findData(filter)));
}

QString OutputPane::filter() const
{
    return m_filter->currentData().toString();
}

void OutputPane::clearRun()
{
    m_view->clear();
    m_open.clear();
    m_formatter.reset();
}

void OutputPane::applyFilter(QTreeWidgetItem *item)
{
    const QString wanted = filter();
    const QString machine = item->data(0, machineRole).toString();
    bool hidden = false;
    if (wanted == QLatin1String("script"))
        hidden = !machine.isEmpty();
    else if (wanted != QLatin1String("all"))
        hidden = machine != wanted && item->childCount() == 0;
    item->setHidden(hidden);
    for (int i = 0; i < item->childCount(); ++i)
        applyFilter(item->child(i));
}

void OutputPane::add(const RecordedEvent &event)
{
    const bool atEnd
        = m_view->verticalScrollBar()->value() == m_view->verticalScrollBar()->maximum();
    for (const LogLine &line : m_formatter.lines(event)) {
        while (m_open.size() > line.depth)
            m_open.removeLast();
        QTreeWidgetItem *item
            = m_open.isEmpty() ? new QTreeWidgetItem(m_view) : new QTreeWidgetItem(m_open.last());
        item->setText(0, line.text);
        item->setData(0, machineRole, line.machine);
        item->setForeground(0, colourOf(line.tone, palette()));
        if (line.subtestStart) {
            item->setExpanded(true);
            m_open.append(item);
        }
        applyFilter(item);
        if (atEnd)
            m_view->scrollToItem(item);
    }
}

QString OutputPane::visibleText() const
{
    QString text;
    std::function<void(QTreeWidgetItem *, int)> walk = [&](QTreeWidgetItem *item, int depth) {
        if (item->isHidden())
            return;
        text += QString(depth * 2, QLatin1Char(' ')) + item->text(0) + QLatin1Char('\n');
        for (int i = 0; i < item->childCount(); ++i)
            walk(item->child(i), depth + 1);
    };
    for (int i = 0; i < m_view->topLevelItemCount(); ++i)
        walk(m_view->topLevelItem(i), 0);
    return text;
}

} // namespace vivarium
