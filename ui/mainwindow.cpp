#include "ui/mainwindow.h"

#include "ui/console/pythonconsole.h"
#include "ui/editor/scripteditor.h"
#include "ui/machine/machinepanel.h"
#include "ui/record/scriptrecorder.h"
#include "ui/topology/topologymenus.h"
#include "ui/topology/topologyview.h"
#include "ui/workbench.h"

#include <QAction>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace vivarium {

MainWindow::MainWindow(const QString &testFile, QWidget *parent)
    : QMainWindow(parent)
    , m_workbench(new Workbench(this))
    , m_editor(new ScriptEditor(this))
    , m_actions(new QTreeWidget(this))
    , m_preview(new QLabel(this))
    , m_machines(new QTabWidget(this))
    , m_recorder(new ScriptRecorder(this))
    , m_topologyMenus(new TopologyMenus(m_workbench, this))
    , m_failureBar(new QFrame(this))
    , m_failureText(new QLabel(this))
{
    setObjectName(QStringLiteral("workbench"));
    m_editor->setObjectName(QStringLiteral("editor"));
    m_actions->setObjectName(QStringLiteral("actions"));
    m_actions->setHeaderLabels(
        { tr("Time"), tr("Machine"), tr("Action"), tr("Duration"), tr("Result") });
    m_actions->setRootIsDecorated(false);
    m_actions->header()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_preview->setMaximumHeight(200);
    m_preview->setScaledContents(false);
    m_preview->hide();

    // The failure bar: what failed, and what to do about it.
    m_failureBar->setObjectName(QStringLiteral("failureBar"));
    m_failureBar->setStyleSheet(QStringLiteral("QFrame#failureBar { background: #fdecea; }"));
    auto *failureLayout = new QHBoxLayout(m_failureBar);
    m_failureText->setWordWrap(true);
    failureLayout->addWidget(m_failureText, 1);
    const struct {
        const char *label;
        int choice;
    } choices[] = { { QT_TR_NOOP("Retry"), int(ScriptEngine::FailureChoice::Retry) },
        { QT_TR_NOOP("Skip"), int(ScriptEngine::FailureChoice::Skip) },
        { QT_TR_NOOP("Fail"), int(ScriptEngine::FailureChoice::Fail) } };
    for (const auto &c : choices) {
        auto *button = new QPushButton(tr(c.label), m_failureBar);
        button->setObjectName(QStringLiteral("failure") + QLatin1String(c.label));
        const int choice = c.choice;
        connect(button, &QPushButton::clicked, this, [this, choice] { resolveFailure(choice); });
        failureLayout->addWidget(button);
    }
    m_failureBar->hide();

    auto *left = new QSplitter(Qt::Vertical, this);
    auto *editorBox = new QWidget(left);
    auto *editorLayout = new QVBoxLayout(editorBox);
    editorLayout->setContentsMargins(0, 0, 0, 0);
    editorLayout->addWidget(m_failureBar);
    editorLayout->addWidget(m_editor, 1);
    left->addWidget(editorBox);
    auto *logBox = new QWidget(left);
    auto *logLayout = new QVBoxLayout(logBox);
    logLayout->setContentsMargins(0, 0, 0, 0);
    logLayout->addWidget(m_actions, 1);
    logLayout->addWidget(m_preview);
    left->addWidget(logBox);
    left->setStretchFactor(0, 3);
    left->setStretchFactor(1, 2);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(m_machines);
    split->setSizes({ 560, 640 });
    setCentralWidget(split);

    auto *consoleDock = new QDockWidget(tr("Python Console"), this);
    consoleDock->setObjectName(QStringLiteral("consoleDock"));
    consoleDock->setWidget(new PythonConsole(m_workbench, consoleDock));
    addDockWidget(Qt::BottomDockWidgetArea, consoleDock);
    resizeDocks({ consoleDock }, { 150 }, Qt::Vertical); // until a saved layout says otherwise

    createActions();
    connect(m_workbench, &Workbench::message, this,
        [this](const QString &text) { statusBar()->showMessage(text, 15000); });
    connect(m_workbench, &Workbench::actionFinished, this, &MainWindow::onActionFinished);
    connect(m_workbench, &Workbench::scriptPaused, this, &MainWindow::onPaused);
    connect(m_workbench, &Workbench::scriptFailurePaused, this, &MainWindow::onFailurePaused);
    connect(m_workbench, &Workbench::scriptResumed, this, [this] {
        m_editor->setCurrentLine(0);
        m_failureBar->hide();
        if (m_topology)
            m_topology->setScriptPaused(false);
        statusBar()->showMessage(tr("Running"));
    });
    connect(m_workbench, &Workbench::scriptFinished, this, &MainWindow::onFinished);
    connect(m_workbench, &Workbench::reportWritten, this, [this](const QString &path) {
        statusBar()->showMessage(statusBar()->currentMessage() + tr(" — report: %1").arg(path));
    });
    connect(m_editor, &ScriptEditor::breakpointsChanged, m_workbench, &Workbench::setBreakpoints);
    connect(m_actions, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem *item) {
        const int line = item->data(0, Qt::UserRole).toInt();
        if (line > 0) {
            m_editor->setCursorPosition(line - 1, 0);
            m_editor->ensureLineVisible(line - 1);
        }
        const QString artifact = item->data(0, Qt::UserRole + 1).toString();
        const QPixmap shot(artifact);
        m_preview->setVisible(!shot.isNull());
        if (!shot.isNull())
            m_preview->setPixmap(shot.scaledToHeight(190, Qt::SmoothTransformation));
    });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    resize(settings.contains(QStringLiteral("window/geometry")) ? size() : QSize(1400, 860));
    openTest(testFile);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open Test…"), QKeySequence::Open, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open a test"), QString(), tr("Tests (*.toml)"));
        if (!path.isEmpty())
            openTest(path);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addAction(tr("&Save Script"), QKeySequence::Save, this, &MainWindow::saveScript);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QToolBar *bar = addToolBar(tr("Run"));
    bar->setObjectName(QStringLiteral("runToolBar"));
    QMenu *run = menuBar()->addMenu(tr("&Run"));
    const auto add = [&](const QString &text, const QKeySequence &keys, auto slot) {
        QAction *action = run->addAction(text, keys, this, slot);
        bar->addAction(action);
        return action;
    };
    add(tr("Start All"), QKeySequence(Qt::CTRL | Qt::Key_B), [this] { m_workbench->startAll(); });
    add(tr("Stop All"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B),
        [this] { m_workbench->stopAll(); });
    bar->addSeparator();
    add(tr("Run"), QKeySequence(Qt::Key_F5), [this] {
        m_editor->setErrorLine(0, {});
        m_actions->clear();
        m_workbench->setBreakpoints(m_editor->breakpoints());
        m_workbench->runScript(m_editor->text());
        statusBar()->showMessage(tr("Running"));
    });
    add(tr("Pause"), QKeySequence(Qt::Key_F6), [this] {
        if (m_workbench->engine())
            m_workbench->engine()->pause();
    });
    add(tr("Step Action"), QKeySequence(Qt::Key_F10), [this] {
        if (m_workbench->engine())
            m_workbench->engine()->stepAction();
    });
    add(tr("Step Line"), QKeySequence(Qt::Key_F11), [this] {
        if (m_workbench->engine())
            m_workbench->engine()->stepLine();
    });
    add(tr("Continue"), QKeySequence(Qt::Key_F8), [this] {
        if (m_workbench->engine())
            m_workbench->engine()->resume();
    });
    add(tr("Stop"), QKeySequence(Qt::SHIFT | Qt::Key_F5), [this] {
        if (m_workbench->engine())
            m_workbench->engine()->stop();
    });
    bar->addSeparator();
    QAction *record = add(tr("Record"), QKeySequence(Qt::CTRL | Qt::Key_R), [this](bool on) {
        m_recorder->setRecording(on);
        statusBar()->showMessage(on ? tr("Recording: keys in a Screen, commands in a Shell, "
                                         "selections in a Serial console and screenshots "
                                         "become script lines at the cursor")
                                    : tr("Recording stopped"),
            on ? 0 : 5000);
    });
    record->setObjectName(QStringLiteral("recordAction"));
    record->setCheckable(true);
    connect(m_recorder, &ScriptRecorder::lineRecorded, m_editor, &ScriptEditor::insertRecordedLine);
}

bool MainWindow::openTest(const QString &file)
{
    QString error;
    if (!m_workbench->open(file, &error)) {
        QMessageBox::warning(this, tr("Cannot open the test"), error);
        statusBar()->showMessage(error);
        return false;
    }
    addRecent(QFileInfo(file).absoluteFilePath());
    buildForTest();
    return true;
}

void MainWindow::buildForTest()
{
    const TestSpec &spec = m_workbench->spec();
    setWindowTitle(QStringLiteral("%1 — Vivarium").arg(spec.name));
    QString source;
    if (QFile script(spec.script); !spec.script.isEmpty() && script.open(QIODevice::ReadOnly))
        source = QString::fromUtf8(script.readAll());
    m_editor->setText(source);
    m_actions->clear();
    while (m_machines->count() > 0)
        delete m_machines->widget(0);
    for (const MachineSpec &m : spec.machines) {
        auto *machinePanel = new MachinePanel(m.name, m_workbench, m_machines);
        m_machines->addTab(machinePanel, m.name);
        connect(machinePanel, &MachinePanel::keyTyped, m_recorder, &ScriptRecorder::keyTyped);
        connect(machinePanel, &MachinePanel::shellCommandEntered, m_recorder,
            &ScriptRecorder::shellCommand);
        connect(machinePanel, &MachinePanel::serialTextSelected, m_recorder,
            &ScriptRecorder::serialSelection);
        connect(machinePanel, &MachinePanel::screenshotTaken, m_recorder,
            &ScriptRecorder::screenshotTaken);
    }

    delete m_topologyView;
    delete m_topology;
    m_topology = new TopologyModel(spec, this);
    if (QFile saved(layoutFile()); saved.open(QIODevice::ReadOnly))
        m_topology->restorePositions(QJsonDocument::fromJson(saved.readAll()).object());
    m_topologyView = new TopologyView(m_topology, this);
    auto *dock = findChild<QDockWidget *>(QStringLiteral("topologyDock"));
    if (!dock) {
        dock = new QDockWidget(tr("Topology"), this);
        dock->setObjectName(QStringLiteral("topologyDock"));
        addDockWidget(Qt::RightDockWidgetArea, dock);
    }
    dock->setWidget(m_topologyView);
    connect(m_workbench, &Workbench::machineStateChanged, m_topology,
        [model = m_topology](const QString &machine, const QString &state) {
            model->setMachineState(machine, state);
        });
    connect(m_workbench, &Workbench::linkChanged, m_topology,
        [model = m_topology](const LinkState &link) { model->setLink(link); });
    connect(m_workbench, &Workbench::vlanChanged, m_topology,
        [model = m_topology](
            const VlanState &vlan) { model->setVlanUp(vlan.vlan, vlan.switchRunning); });
    connect(m_topologyView, &TopologyView::machineActivated, this, &MainWindow::showMachine);
    connect(m_topologyView, &TopologyView::machineMenuRequested, this, &MainWindow::machineMenu);
    connect(m_topologyView, &TopologyView::linkMenuRequested, m_topologyMenus,
        &TopologyMenus::showLinkMenu);
    connect(m_topologyView, &TopologyView::vlanMenuRequested, m_topologyMenus,
        &TopologyMenus::showVlanMenu);
    connect(m_topologyView, &TopologyView::nodeMoved, this, [this] {
        QFile file(layoutFile());
        if (file.open(QIODevice::WriteOnly))
            file.write(QJsonDocument(m_topology->positions()).toJson());
    });
}

QString MainWindow::layoutFile() const
{
    const QString test = m_workbench->testFile();
    return test.left(test.size() - QFileInfo(test).suffix().size() - 1)
        + QStringLiteral(".layout.json");
}

TopologyModel *MainWindow::topology() const
{
    return m_topology;
}

TopologyView *MainWindow::topologyView() const
{
    return m_topologyView;
}

MachinePanel *MainWindow::panel(const QString &machine) const
{
    for (int i = 0; i < m_machines->count(); ++i) {
        if (auto *p = qobject_cast<MachinePanel *>(m_machines->widget(i));
            p && p->machine() == machine)
            return p;
    }
    return nullptr;
}

void MainWindow::showMachine(const QString &machine)
{
    if (MachinePanel *p = panel(machine))
        m_machines->setCurrentWidget(p);
}

void MainWindow::machineMenu(const QString &machine, const QPoint &globalPos)
{
    QMenu menu(this);
    menu.addAction(tr("Start"), this, [this, machine] { m_workbench->startMachine(machine); });
    menu.addAction(
        tr("Shut Down"), this, [this, machine] { m_workbench->shutdownMachine(machine); });
    menu.addAction(tr("Crash"), this, [this, machine] { m_workbench->crashMachine(machine); });
    menu.addSeparator();
    menu.addAction(tr("Block"), this, [this, machine] { m_workbench->setBlocked(machine, true); });
    menu.addAction(
        tr("Unblock"), this, [this, machine] { m_workbench->setBlocked(machine, false); });
    menu.addSeparator();
    menu.addAction(tr("Open Consoles"), this, [this, machine] { showMachine(machine); });
    menu.addAction(tr("Screenshot"), this, [this, machine] {
        if (MachinePanel *p = panel(machine))
            p->takeScreenshot();
    });
    menu.exec(globalPos);
}

void MainWindow::addRecent(const QString &file)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recentFiles")).toStringList();
    recent.removeAll(file);
    recent.prepend(file);
    recent = recent.mid(0, 10);
    settings.setValue(QStringLiteral("recentFiles"), recent);
    m_recentMenu->clear();
    for (const QString &path : std::as_const(recent))
        m_recentMenu->addAction(path, this, [this, path] { openTest(path); });
}

void MainWindow::onActionFinished(const ActionEvent &event)
{
    auto *item = new QTreeWidgetItem(m_actions);
    item->setText(
        0, QDateTime::fromMSecsSinceEpoch(event.startMs).toString(QStringLiteral("HH:mm:ss")));
    item->setText(1, event.machine);
    QStringList arguments;
    for (auto it = event.arguments.begin(); it != event.arguments.end(); ++it)
        arguments << (it.value().isString()
                ? it.value().toString().replace(QLatin1Char('\n'), QLatin1String("\\n"))
                : QString::number(it.value().toDouble()));
    item->setText(
        2, QStringLiteral("%1(%2)").arg(event.action, arguments.join(QStringLiteral(", "))));
    item->setText(3, QStringLiteral("%1 s").arg(double(event.durationMs) / 1000.0, 0, 'f', 2));
    item->setText(4, ActionEvent::resultName(event.result));
    item->setToolTip(2, event.message.isEmpty() ? item->text(2) : event.message);
    item->setData(0, Qt::UserRole, event.line);
    item->setData(0, Qt::UserRole + 1, event.artifact);
    if (event.result != ActionEvent::Result::Ok)
        for (int c = 0; c < 5; ++c)
            item->setForeground(c, QColor(0xb3, 0x26, 0x1e));
    m_actions->scrollToItem(item);
}

void MainWindow::onPaused(const QString &, int line, const QString &reason)
{
    m_editor->setCurrentLine(line);
    if (m_topology)
        m_topology->setScriptPaused(true);
    statusBar()->showMessage(tr("Paused at line %1 (%2)").arg(line).arg(reason));
}

void MainWindow::onFailurePaused(const QString &, int line, const QString &message)
{
    m_editor->setCurrentLine(line);
    m_editor->setErrorLine(line, message);
    m_failedLineText = m_editor->lineText(line);
    if (m_topology)
        m_topology->setScriptPaused(true);
    m_failureText->setText(tr("Line %1 failed: %2\nThe machines are still running. Edit the line "
                              "and Retry, Skip it, or Fail.")
                               .arg(line)
                               .arg(message.section(QLatin1Char('\n'), 0, 2)));
    m_failureBar->show();
    statusBar()->showMessage(tr("Paused on a failure at line %1").arg(line));
}

void MainWindow::resolveFailure(int choice)
{
    if (!m_workbench->engine())
        return;
    const int line = m_editor->errorLine();
    const QString edited = line > 0 ? m_editor->lineText(line) : QString();
    const QString replacement = edited != m_failedLineText ? edited.trimmed() : QString();
    m_editor->setErrorLine(0, {});
    m_failureBar->hide();
    m_workbench->engine()->resolveFailure(ScriptEngine::FailureChoice(choice), replacement);
}

void MainWindow::onFinished(const ScriptResult &result)
{
    m_editor->setCurrentLine(0);
    m_failureBar->hide();
    if (m_topology)
        m_topology->setScriptPaused(false);
    if (result.outcome != ScriptResult::Outcome::Passed && result.line > 0)
        m_editor->setErrorLine(result.line, result.message);
    statusBar()->showMessage(
        tr("The script %1%2")
            .arg(ScriptResult::outcomeName(result.outcome),
                result.message.isEmpty() ? QString() : QStringLiteral(": ") + result.message));
}

void MainWindow::saveScript()
{
    const QString path = m_workbench->spec().script;
    QFile file(path);
    if (path.isEmpty() || !file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        statusBar()->showMessage(tr("Cannot save the script %1").arg(path));
        return;
    }
    file.write(m_editor->text().toUtf8());
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

} // namespace vivarium
