#include "ui/run/coverageview.h"

#include "core/coverage/coveragecollector.h"

#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTextBlock>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace vivarium {

namespace {

QString percent(int hit, int found)
{
    return found ? QString::number(100.0 * hit / found, 'f', 1) + QLatin1Char('%')
                 : QStringLiteral("–");
}

} // namespace

CoverageView::CoverageView(QWidget *parent)
    : QWidget(parent)
    , m_status(new QLabel(this))
    , m_refresh(new QPushButton(tr("Refresh"), this))
    , m_files(new QTreeWidget(this))
    , m_source(new QPlainTextEdit(this))
{
    setObjectName(QStringLiteral("coverageView"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_refresh->setToolTip(tr("Collect the machines' coverage counters now (the programs named "
                             "in [coverage] flush write theirs first)"));
    connect(m_refresh, &QPushButton::clicked, this, &CoverageView::refreshRequested);
    m_files->setRootIsDecorated(false);
    m_files->setSortingEnabled(true);
    m_files->header()->setStretchLastSection(false);
    connect(m_files, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (item)
            showSource(item->data(0, Qt::UserRole).toString());
    });
    m_source->setReadOnly(true);
    m_source->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_source->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto *top = new QHBoxLayout;
    top->addWidget(m_status, 1);
    top->addWidget(m_refresh);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_files);
    split->addWidget(m_source);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);
    setCollects(false);
}

void CoverageView::setCollects(bool collects)
{
    m_collects = collects;
    m_refresh->setEnabled(collects);
    m_files->clear();
    m_source->clear();
    m_trace = {};
    m_combined = {};
    m_status->setText(collects ? tr("Coverage is collected when the run ends, or with Refresh.")
                               : tr("This test does not collect coverage: add coverage = true "
                                    "to its test file (docs/coverage.md)."));
}

void CoverageView::setBusy(const QString &what)
{
    m_refresh->setEnabled(false);
    m_status->setText(what);
}

void CoverageView::load(const QString &dir)
{
    m_refresh->setEnabled(m_collects);
    m_files->clear();
    m_source->clear();
    QFile summaryFile(dir + QStringLiteral("/summary.json"));
    const CoverageResult summary = summaryFile.open(QIODevice::ReadOnly)
        ? CoverageResult::fromJson(QJsonDocument::fromJson(summaryFile.readAll()).object())
        : CoverageResult {};
    QString error;
    m_combined = {};
    m_trace = summary.hasData ? Tracefile::read(dir + QStringLiteral("/all.info"), &error)
                              : Tracefile {};
    QString text = summary.hasData ? coverageLine(summary).section(QLatin1Char('\n'), 0, 0)
                                   : tr("No coverage collected.");
    for (const QString &problem : summary.problems)
        text += QStringLiteral("\n") + problem;
    if (!error.isEmpty())
        text += QStringLiteral("\n") + error;
    m_status->setText(text);
    if (m_trace.tests().isEmpty())
        return;

    const QStringList machines = m_trace.tests().keys();
    QStringList headers { tr("File"), tr("All") };
    headers += machines;
    m_files->setHeaderLabels(headers);
    m_combined = m_trace.combined();
    for (auto it = m_combined.cbegin(); it != m_combined.cend(); ++it) {
        auto *item = new QTreeWidgetItem(m_files);
        item->setText(0, QFileInfo(it.key()).fileName());
        item->setToolTip(0, it.key());
        item->setData(0, Qt::UserRole, it.key());
        const CoverageTotals total = CoverageTotals::of({ { it.key(), it.value() } });
        item->setText(1, percent(total.linesHit, total.linesFound));
        for (int i = 0; i < machines.size(); ++i) {
            const SourceCoverage &test = m_trace.tests().value(machines[i]);
            const CoverageTotals t = CoverageTotals::of({ { it.key(), test.value(it.key()) } });
            // A machine that never loaded the file has nothing to say about it.
            item->setText(2 + i,
                test.contains(it.key()) ? percent(t.linesHit, total.linesFound)
                                        : QStringLiteral("–"));
        }
    }
    m_files->sortByColumn(0, Qt::AscendingOrder);
    for (int c = 0; c < headers.size(); ++c)
        m_files->resizeColumnToContents(c);
    m_files->setCurrentItem(m_files->topLevelItem(0));
}

QStringList CoverageView::machinesOf(const QString &source, int line) const
{
    return m_trace.testsThatRan(source, line);
}

void CoverageView::showSource(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        m_source->setPlainText(
            tr("%1 cannot be read on this host: %2").arg(path, file.errorString()));
        return;
    }
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    const FileCoverage counts = m_combined.value(path);
    int width = 0;
    for (const QString &machine : m_trace.tests().keys())
        width += int(machine.size()) + 1;
    QString text;
    for (int i = 0; i < lines.size(); ++i)
        text += QStringLiteral("%1  %2 %3\n")
                    .arg(i + 1, 5)
                    .arg(machinesOf(path, i + 1).join(QLatin1Char(' ')).leftJustified(width),
                        lines[i]);
    m_source->setPlainText(text);
    QList<QTextEdit::ExtraSelection> marks;
    for (auto it = counts.lines.cbegin(); it != counts.lines.cend(); ++it) {
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(m_source->document()->findBlockByNumber(it.key() - 1));
        mark.format.setBackground(
            it.value() > 0 ? QColor(0xdf, 0xf5, 0xe1) : QColor(0xfd, 0xde, 0xdc));
        mark.format.setProperty(QTextFormat::FullWidthSelection, true);
        marks.append(mark);
    }
    m_source->setExtraSelections(marks);
}

} // namespace vivarium
