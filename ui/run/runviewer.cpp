#include "ui/run/runviewer.h"

#include "core/report/eventrecorder.h"
#include "core/report/runhistory.h"
#include "core/util/textformat.h"
#include "ui/run/actionlog.h"

#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFontDatabase>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace vivarium {

namespace {

QWidget *consoleView(const QString &path, QWidget *parent)
{
    auto *view = new QPlainTextEdit(parent);
    view->setReadOnly(true);
    view->setLineWrapMode(QPlainTextEdit::WidgetWidth); // every byte shows, whatever the width
    view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        view->setPlainText(QObject::tr("cannot read %1: %2").arg(path, file.errorString()));
        return view;
    }
    QString prefix;
    if (file.size() > RunViewer::consoleLimit) {
        file.seek(file.size() - RunViewer::consoleLimit);
        prefix = QObject::tr("[the last %1 MiB of %2 MiB: the whole console is in %3]\n")
                     .arg(RunViewer::consoleLimit >> 20)
                     .arg(file.size() >> 20)
                     .arg(path);
    }
    view->setPlainText(
        prefix + printableText(QString::fromUtf8(file.readAll()).remove(QLatin1Char('\r'))));
    return view;
}

QWidget *screenshotsView(const QString &directory, QWidget *parent)
{
    auto *list = new QListWidget(parent);
    list->setObjectName(QStringLiteral("runScreenshots"));
    list->setViewMode(QListView::IconMode);
    list->setIconSize(QSize(240, 180));
    list->setResizeMode(QListView::Adjust);
    const QDir shots(directory + QStringLiteral("/screenshots"));
    for (const QString &name :
        shots.entryList({ QStringLiteral("*.png") }, QDir::Files, QDir::Name)) {
        auto *item = new QListWidgetItem(QIcon(shots.filePath(name)), name, list);
        item->setData(Qt::UserRole, shots.filePath(name));
        item->setToolTip(shots.filePath(name));
    }
    QObject::connect(list, &QListWidget::itemDoubleClicked, list, [](QListWidgetItem *item) {
        QDesktopServices::openUrl(QUrl::fromLocalFile(item->data(Qt::UserRole).toString()));
    });
    return list;
}

} // namespace

RunViewer::RunViewer(const QString &directory, QWidget *parent)
    : QDialog(parent)
    , m_tabs(new QTabWidget(this))
    , m_actions(new ActionLog(this))
    , m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("runViewer"));
    const RunSummary run = RunHistory::summarize(directory);
    setWindowTitle(tr("Run of %1 at %2 — Vivarium")
                       .arg(run.test.isEmpty() ? QDir(directory).dirName() : run.test,
                           run.started.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))));
    QString summary = tr("%1 after %2 s, %3 actions")
                          .arg(run.verdict())
                          .arg(double(run.durationMs) / 1000.0, 0, 'f', 1)
                          .arg(run.actions);
    if (!run.failingLine().isEmpty())
        summary += tr(", failed at %1: %2").arg(run.failingLine(), run.result->message.left(300));
    m_summary->setText(summary);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    QString error;
    for (const RecordedEvent &recorded :
        EventRecorder::read(directory + QStringLiteral("/events.jsonl"), &error)) {
        // Only what finished: a run that was killed has no clock left to count.
        if (const auto *finished = std::get_if<event::ActionFinished>(&recorded.event))
            m_actions->finished(finished->action);
        else if (const auto *done = std::get_if<event::Finished>(&recorded.event))
            m_actions->addVerdict(done->result, recorded.t);
    }
    m_tabs->addTab(m_actions, tr("Actions"));
    const QDir dir(directory);
    for (const QString &name :
        dir.entryList({ QStringLiteral("*.serial.log") }, QDir::Files, QDir::Name)) {
        const QString machine = name.chopped(int(QStringLiteral(".serial.log").size()));
        m_tabs->addTab(consoleView(dir.filePath(name), m_tabs), tr("%1 serial").arg(machine));
    }
    m_tabs->addTab(screenshotsView(directory, m_tabs), tr("Screenshots"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *report = buttons->addButton(tr("Open Report"), QDialogButtonBox::ActionRole);
    report->setEnabled(QFile::exists(dir.filePath(QStringLiteral("log.html"))));
    connect(report, &QPushButton::clicked, this, [dir] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(dir.filePath(QStringLiteral("log.html"))));
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(buttons);
    resize(1000, 700);
}

} // namespace vivarium
