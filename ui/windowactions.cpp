// The workbench window's menus and toolbar: every action with an icon, a tooltip naming its
// shortcut, and enabled only when it can apply.
#include "buildpaths.h"
#include "ui/editor/findbar.h"
#include "ui/editor/scripteditor.h"
#include "ui/mainwindow.h"
#include "ui/record/scriptrecorder.h"
#include "ui/run/propertysettingsdialog.h"
#include "ui/workbench.h"

#include <QAction>
#include <QApplication>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QProcess>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QUrl>

namespace vivarium {

namespace {

// A theme icon, or Qt's own when the desktop has no theme (as under Xvfb).
QIcon icon(const QString &themeName, QStyle::StandardPixmap fallback)
{
    return QIcon::fromTheme(themeName, QApplication::style()->standardIcon(fallback));
}

QIcon recordIcon()
{
    QPixmap pixmap(32, 32);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setBrush(QColor(0xd3, 0x2f, 0x2f));
    painter.setPen(Qt::NoPen);
    painter.drawEllipse(QRectF(6, 6, 20, 20));
    return QIcon::fromTheme(QStringLiteral("media-record"), QIcon(pixmap));
}

// Where Help > Documentation looks: the installed docs, then the source tree's.
QString documentation()
{
    const QStringList candidates { QCoreApplication::applicationDirPath()
            + QStringLiteral("/../share/doc/vivarium/docs/workbench.md"),
        QStringLiteral(VIVARIUM_SOURCE_DOCS "/workbench.md") };
    for (const QString &candidate : candidates) {
        if (QFileInfo::exists(candidate))
            return QFileInfo(candidate).absoluteFilePath();
    }
    return {};
}

} // namespace

QAction *MainWindow::addWindowAction(QMenu *menu, const QString &name, const QString &text,
    const QKeySequence &keys, std::function<void()> slot)
{
    auto *action = new QAction(text, this);
    action->setObjectName(name);
    action->setShortcut(keys);
    QString tip = QString(text).remove(QLatin1Char('&')).remove(QStringLiteral("…"));
    if (!keys.isEmpty())
        tip += QStringLiteral(" (%1)").arg(keys.toString(QKeySequence::NativeText));
    action->setToolTip(tip);
    connect(action, &QAction::triggered, this, [slot = std::move(slot)] { slot(); });
    menu->addAction(action);
    m_windowActions.insert(name, action);
    return action;
}

QAction *MainWindow::windowAction(const QString &name) const
{
    return m_windowActions.value(name);
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    addWindowAction(file, QStringLiteral("openAction"), tr("&Open Test…"), QKeySequence::Open,
        [this] {
            const QString path = QFileDialog::getOpenFileName(
                this, tr("Open a test"), QString(), tr("Tests (*.toml)"));
            if (!path.isEmpty())
                openTest(path);
        })
        ->setIcon(icon(QStringLiteral("document-open"), QStyle::SP_DialogOpenButton));
    addWindowAction(
        file, QStringLiteral("newTestAction"), tr("&New Test…"), QKeySequence::New, [this] {
            const QString path = QFileDialog::getSaveFileName(this,
                tr("New test (a test file and its script beside it)"), QString(),
                tr("Tests (*.toml)"), nullptr, QFileDialog::DontConfirmOverwrite);
            if (!path.isEmpty())
                newTest(
                    path.endsWith(QLatin1String(".toml")) ? path : path + QStringLiteral(".toml"));
        });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    addWindowAction(file, QStringLiteral("saveAction"), tr("&Save Script"), QKeySequence::Save,
        [this] { saveScript(); })
        ->setIcon(icon(QStringLiteral("document-save"), QStyle::SP_DialogSaveButton));
    addWindowAction(file, QStringLiteral("saveTestAsAction"), tr("Save Test &As…"),
        QKeySequence::SaveAs, [this] {
            const QString path = QFileDialog::getSaveFileName(this,
                tr("Save the test as (its script goes beside it)"), QString(), tr("Tests (*.toml)"),
                nullptr, QFileDialog::DontConfirmOverwrite);
            if (!path.isEmpty())
                saveTestAs(
                    path.endsWith(QLatin1String(".toml")) ? path : path + QStringLiteral(".toml"));
        });
    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    addWindowAction(edit, QStringLiteral("findAction"), tr("&Find…"), QKeySequence::Find,
        [this] { m_findBar->openFind(); });
    addWindowAction(edit, QStringLiteral("findNextAction"), tr("Find &Next"),
        QKeySequence::FindNext, [this] { m_findBar->findNext(); });
    addWindowAction(edit, QStringLiteral("findPreviousAction"), tr("Find &Previous"),
        QKeySequence::FindPrevious, [this] { m_findBar->findPrevious(); });
    addWindowAction(edit, QStringLiteral("replaceAction"), tr("&Replace…"),
        QKeySequence(Qt::CTRL | Qt::Key_H), [this] { m_findBar->openReplace(); });
    file->addSeparator();
    addWindowAction(file, QStringLiteral("openOutputAction"), tr("Open Output &Folder"), {},
        [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(m_workbench->outDir())); });
    addWindowAction(file, QStringLiteral("openReportAction"), tr("Open &Report"), {}, [this] {
        QDesktopServices::openUrl(
            QUrl::fromLocalFile(m_workbench->outDir() + QStringLiteral("/log.html")));
    });
    file->addSeparator();
    addWindowAction(
        file, QStringLiteral("quitAction"), tr("&Quit"), QKeySequence::Quit, [this] { close(); });

    QToolBar *bar = addToolBar(tr("Toolbar"));
    bar->setObjectName(QStringLiteral("runToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    QMenu *run = menuBar()->addMenu(tr("&Run"));
    const auto add = [&](const char *name, const QString &text, const QKeySequence &keys,
                         const QIcon &actionIcon, std::function<void()> slot, bool onBar = true) {
        QAction *action = addWindowAction(run, QLatin1String(name), text, keys, std::move(slot));
        action->setIcon(actionIcon);
        if (onBar)
            bar->addAction(action);
        return action;
    };
    add("startAllAction", tr("Start All"), QKeySequence(Qt::CTRL | Qt::Key_B),
        icon(QStringLiteral("system-run"), QStyle::SP_ComputerIcon),
        [this] { m_workbench->startAll(); });
    add("stopAllAction", tr("Stop All"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B),
        icon(QStringLiteral("process-stop"), QStyle::SP_BrowserStop),
        [this] { m_workbench->stopAll(); });
    bar->addSeparator();
    run->addSeparator();
    add("runAction", tr("Run"), QKeySequence(Qt::Key_F5),
        icon(QStringLiteral("media-playback-start"), QStyle::SP_MediaPlay),
        [this] { runScript(true); })
        ->setToolTip(tr("Run the script on fresh machines, as vivarium-test does (F5)"));
    add(
        "runOnRunningAction", tr("Run on the Running Machines"),
        QKeySequence(Qt::CTRL | Qt::Key_F5),
        icon(QStringLiteral("media-seek-forward"), QStyle::SP_MediaSeekForward),
        [this] { runScript(false); }, false)
        ->setToolTip(tr("Run the script on the machines as they are now, with what was done to "
                        "them by hand (Ctrl+F5)"));
    add("pauseAction", tr("Pause"), QKeySequence(Qt::Key_F6),
        icon(QStringLiteral("media-playback-pause"), QStyle::SP_MediaPause),
        [this] { requestPause(); });
    add("stepActionAction", tr("Step Action"), QKeySequence(Qt::Key_F10),
        icon(QStringLiteral("go-next"), QStyle::SP_ArrowRight), [this] {
            if (m_workbench->engine())
                m_workbench->engine()->stepAction();
        });
    add("stepLineAction", tr("Step Line"), QKeySequence(Qt::Key_F11),
        icon(QStringLiteral("go-down"), QStyle::SP_ArrowDown), [this] {
            if (m_workbench->engine())
                m_workbench->engine()->stepLine();
        });
    add("continueAction", tr("Continue"), QKeySequence(Qt::Key_F8),
        icon(QStringLiteral("media-skip-forward"), QStyle::SP_MediaSkipForward), [this] {
            if (m_workbench->engine())
                m_workbench->engine()->resume();
        });
    add("stopAction", tr("Stop"), QKeySequence(Qt::SHIFT | Qt::Key_F5),
        icon(QStringLiteral("media-playback-stop"), QStyle::SP_MediaStop), [this] {
            if (m_workbench->engine())
                m_workbench->engine()->stop();
        });
    bar->addSeparator();
    run->addSeparator();
    // Checkpoints (docs/workbench.md, "Checkpoints").
    add(
        "takeCheckpointAction", tr("Take a Checkpoint"), QKeySequence(Qt::CTRL | Qt::Key_K),
        icon(QStringLiteral("bookmark-new"), QStyle::SP_DialogSaveButton),
        [this] { m_workbench->takeCheckpoint(); }, false)
        ->setToolTip(tr("Snapshot the machines as they are now, a point to run from later "
                        "(Ctrl+K)"));
    add("runFromCheckpointAction", tr("Run from the Last Checkpoint"),
        QKeySequence(Qt::ALT | Qt::Key_F5),
        icon(QStringLiteral("media-seek-backward"), QStyle::SP_MediaSeekBackward),
        [this] {
            const QList<Checkpoint> checkpoints = m_workbench->checkpoints();
            if (!checkpoints.isEmpty())
                runFromCheckpoint(checkpoints.last().index);
        })
        ->setToolTip(tr("The script again from its last checkpoint: the lines before it "
                        "answered from the last run, the machines restored (Alt+F5)"));
    QAction *atSubtests = add(
        "checkpointSubtestsAction", tr("Checkpoint at Each Subtest"), {}, QIcon(), [] {}, false);
    atSubtests->setCheckable(true);
    atSubtests->setChecked(m_workbench->checkpointAtSubtests());
    connect(atSubtests, &QAction::toggled, this, [this](bool on) {
        m_workbench->setCheckpointAtSubtests(on);
        QSettings().setValue(QStringLiteral("run/checkpointAtSubtests"), on);
    });
    bar->addSeparator();
    run->addSeparator();
    QAction *record = add(
        "recordAction", tr("Record"), QKeySequence(Qt::CTRL | Qt::Key_R), recordIcon(), [] {});
    record->setCheckable(true);
    connect(record, &QAction::toggled, this, [this](bool on) {
        m_recorder->setRecording(on);
        statusBar()->showMessage(on ? tr("Recording: keys in a Screen, commands in a Shell, "
                                         "selections in a Serial console and screenshots "
                                         "become script lines at the cursor")
                                    : tr("Recording stopped"),
            on ? 0 : 5000);
    });
    connect(m_recorder, &ScriptRecorder::lineRecorded, m_editor, &ScriptEditor::insertRecordedLine);
    run->addSeparator();
    add(
        "propertySettingsAction", tr("Property &Settings…"), {},
        icon(QStringLiteral("preferences-system"), QStyle::SP_FileDialogDetailedView),
        [this] {
            PropertySettingsDialog dialog(
                m_workbench->propertySettings(), m_workbench->spec().property, this);
            if (dialog.exec() == QDialog::Accepted)
                m_workbench->setPropertySettings(dialog.settings());
        },
        false);

    add(
        "runsKeptAction", tr("Runs to &Keep…"), {}, QIcon(),
        [this] {
            bool ok = false;
            const int runs = QInputDialog::getInt(this, tr("Runs to Keep"),
                tr("Each run of a test is kept in a folder of its own (the Runs view). How many "
                   "runs of each test to keep (the oldest go first):"),
                m_workbench->runsKept(), 1, 1000, 1, &ok);
            if (!ok)
                return;
            m_workbench->setRunsKept(runs);
            QSettings().setValue(QStringLiteral("runs/kept"), runs);
        },
        false);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        m_viewMenu->addAction(dock->toggleViewAction());
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(bar->toggleViewAction());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    addWindowAction(help, QStringLiteral("documentationAction"), tr("&Documentation"),
        QKeySequence::HelpContents, [this] {
            const QString docs = documentation();
            if (docs.isEmpty())
                statusBar()->showMessage(tr("The documentation is not installed"), 10000);
            else
                QDesktopServices::openUrl(QUrl::fromLocalFile(docs));
        });
    addWindowAction(
        help, QStringLiteral("aboutAction"), tr("&About Vivarium"), {}, [this] { showAbout(); });
}

void MainWindow::updateActions()
{
    const bool running = m_workbench->isScriptRunning();
    const auto enable = [this](const char *name, bool on) {
        if (QAction *action = m_windowActions.value(QLatin1String(name)))
            action->setEnabled(on);
    };
    enable("runAction", !running);
    enable("runOnRunningAction", !running && m_workbench->runningMachines() > 0);
    enable("pauseAction", running && !m_paused && !m_pausePending);
    enable("stepActionAction", running && m_paused);
    enable("stepLineAction", running && m_paused);
    enable("continueAction", running && m_paused);
    enable("stopAction", running);
    enable("stopAllAction", m_workbench->runningMachines() > 0);
    const bool machinesUp = m_workbench->runningMachines() > 0;
    enable("takeCheckpointAction", machinesUp && (!running || m_paused));
    enable("runFromCheckpointAction", machinesUp && !m_workbench->checkpoints().isEmpty());
    const QString out = m_workbench->outDir();
    enable("openOutputAction", !out.isEmpty() && QFileInfo(out).isDir());
    enable(
        "openReportAction", !out.isEmpty() && QFileInfo::exists(out + QStringLiteral("/log.html")));
    if (QAction *pause = m_windowActions.value(QStringLiteral("pauseAction")))
        pause->setText(m_pausePending ? tr("Pause (pending)") : tr("Pause"));
}

void MainWindow::showAbout()
{
    QProcess qemu;
    qemu.start(QStringLiteral("qemu-system-x86_64"), { QStringLiteral("--version") });
    QString qemuVersion = tr("not found");
    if (qemu.waitForFinished(3000) && qemu.exitCode() == 0)
        qemuVersion
            = QString::fromUtf8(qemu.readAllStandardOutput()).section(QLatin1Char('\n'), 0, 0);
    QMessageBox about(this);
    about.setObjectName(QStringLiteral("aboutBox"));
    about.setWindowTitle(tr("About Vivarium"));
    about.setIconPixmap(windowIcon().pixmap(64, 64));
    about.setText(tr("<h3>Vivarium %1</h3><p>A workbench and test driver for networks of QEMU "
                     "virtual machines.</p>")
                      .arg(QStringLiteral(VIVARIUM_VERSION)));
    about.setInformativeText(
        tr("Qt %1 (built with %2)<br>%3")
            .arg(QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR), qemuVersion));
    about.exec();
}

} // namespace vivarium
