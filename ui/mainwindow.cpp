#include "ui/mainwindow.h"

#include "core/report/runhistory.h"
#include "core/util/textformat.h"
#include "ui/console/pythonconsole.h"
#include "ui/editor/findbar.h"
#include "ui/editor/scriptchecker.h"
#include "ui/editor/scripteditor.h"
#include "ui/machine/machinepanel.h"
#include "ui/record/scriptrecorder.h"
#include "ui/run/actionlog.h"
#include "ui/run/coverageview.h"
#include "ui/run/outputpane.h"
#include "ui/run/propertystatus.h"
#include "ui/run/propertyview.h"
#include "ui/run/runsview.h"
#include "ui/testfiles.h"
#include "ui/topology/topologymenus.h"
#include "ui/topology/topologyview.h"
#include "ui/widgets/historylineedit.h"
#include "ui/workbench.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <utility>

namespace vivarium {

MainWindow::MainWindow(const QString &testFile, QWidget *parent)
    : QMainWindow(parent)
    , m_workbench(new Workbench(this))
    , m_editor(new ScriptEditor(this))
    , m_findBar(new FindBar(m_editor, this))
    , m_actions(new ActionLog(this))
    , m_output(new OutputPane(this))
    , m_machines(new QTabWidget(this))
    , m_recorder(new ScriptRecorder(this))
    , m_topologyMenus(new TopologyMenus(m_workbench, this))
    , m_propertyStatus(new PropertyStatus(this))
    , m_checker(new ScriptChecker(this))
    , m_checkStatus(new QLabel(this))
    , m_failureBar(new QFrame(this))
    , m_failureText(new QLabel(this))
    , m_runs(new RunsView(this))
    , m_property(new PropertyView(this))
    , m_coverage(new CoverageView(this))
{
    setObjectName(QStringLiteral("workbench"));
    m_editor->setObjectName(QStringLiteral("editor"));
    m_actions->setObjectName(QStringLiteral("actions"));

    // The failure bar: what failed, and what to do about it.
    m_failureBar->setObjectName(QStringLiteral("failureBar"));
    m_failureBar->setStyleSheet(QStringLiteral("QFrame#failureBar { background: #fdecea; }"));
    auto *failureLayout = new QHBoxLayout(m_failureBar);
    m_failureText->setWordWrap(true);
    failureLayout->addWidget(m_failureText, 1);
    const struct {
        const char *label;
        const char *tip;
        int choice;
    } choices[] = {
        { QT_TR_NOOP("Retry"), QT_TR_NOOP("Run the call again (or the line as you edited it)"),
            int(ScriptEngine::FailureChoice::Retry) },
        { QT_TR_NOOP("Skip"),
            QT_TR_NOOP("Go on as if the call returned nothing; the run will not count as "
                       "passed"),
            int(ScriptEngine::FailureChoice::Skip) },
        { QT_TR_NOOP("Fail"), QT_TR_NOOP("Let the call fail: the script ends here"),
            int(ScriptEngine::FailureChoice::Fail) },
    };
    for (const auto &c : choices) {
        auto *button = new QPushButton(tr(c.label), m_failureBar);
        button->setObjectName(QStringLiteral("failure") + QLatin1String(c.label));
        button->setToolTip(tr(c.tip));
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
    editorLayout->addWidget(m_findBar);
    left->addWidget(editorBox);
    left->addWidget(m_actions);
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
    auto *outputDock = new QDockWidget(tr("Output"), this);
    outputDock->setObjectName(QStringLiteral("outputDock"));
    outputDock->setWidget(m_output);
    addDockWidget(Qt::BottomDockWidgetArea, outputDock);
    tabifyDockWidget(consoleDock, outputDock);
    auto *runsDock = new QDockWidget(tr("Runs"), this);
    runsDock->setObjectName(QStringLiteral("runsDock"));
    runsDock->setWidget(m_runs);
    addDockWidget(Qt::BottomDockWidgetArea, runsDock);
    tabifyDockWidget(outputDock, runsDock);
    consoleDock->raise();
    resizeDocks({ consoleDock }, { 170 }, Qt::Vertical); // until a saved layout says otherwise

    m_workbench->setCheckpointAtSubtests(
        QSettings().value(QStringLiteral("run/checkpointAtSubtests"), true).toBool());
    createActions();
    m_workbench->setRunsKept(
        QSettings().value(QStringLiteral("runs/kept"), RunHistory::defaultKeep).toInt());
    connect(m_workbench, &Workbench::runsChanged, m_runs, &RunsView::refresh);
    connect(m_workbench, &Workbench::propertyEvent, m_property, &PropertyView::onEvent);
    connect(m_coverage, &CoverageView::refreshRequested, m_workbench, &Workbench::collectCoverage);
    connect(m_workbench, &Workbench::coverageProgress, m_coverage, &CoverageView::setBusy);
    connect(m_workbench, &Workbench::coverageCollected, m_coverage, &CoverageView::load);
    connect(m_workbench, &Workbench::propertyEvent, this, [this](const Event &event) {
        if (const auto *created = std::get_if<event::NetworkCreated>(&event))
            showExampleMachines(created->machines);
    });
    connect(
        m_workbench, &Workbench::machineStateChanged, m_property, &PropertyView::setMachineState);
    connect(m_workbench, &Workbench::message, this,
        [this](const QString &text) { statusBar()->showMessage(text, 15000); });
    connect(m_workbench, &Workbench::actionStarted, this, &MainWindow::onActionStarted);
    connect(m_workbench, &Workbench::actionFinished, this, &MainWindow::onActionFinished);
    connect(m_workbench, &Workbench::outputLine, m_output, &OutputPane::add);
    connect(m_workbench, &Workbench::scriptPaused, this, &MainWindow::onPaused);
    connect(m_workbench, &Workbench::scriptFailurePaused, this, &MainWindow::onFailurePaused);
    connect(m_workbench, &Workbench::scriptResumed, this, &MainWindow::onResumed);
    connect(m_workbench, &Workbench::scriptFinished, this, &MainWindow::onFinished);
    connect(m_workbench, &Workbench::checkpointTaken, this, [this](const Checkpoint &checkpoint) {
        m_actions->addCheckpoint(checkpoint);
        updateActions();
    });
    connect(m_actions, &ActionLog::runFromCheckpoint, this, &MainWindow::runFromCheckpoint);
    connect(m_workbench, &Workbench::reportWritten, this, [this](const QString &path) {
        statusBar()->showMessage(statusBar()->currentMessage() + tr(" — report: %1").arg(path));
        updateActions();
    });
    connect(m_workbench, &Workbench::machineStateChanged, this, &MainWindow::updateActions);
    connect(m_workbench, &Workbench::machineAdded, this, &MainWindow::addMachine);
    // A fresh run has the test file's machines only: the last run's additions go.
    connect(m_workbench, &Workbench::sessionReplaced, this, [this] {
        if (!m_addedMachines.isEmpty() || !m_exampleMachines.isEmpty())
            buildMachineViews();
    });
    statusBar()->addPermanentWidget(m_propertyStatus);
    m_checkStatus->setObjectName(QStringLiteral("typeCheckStatus"));
    statusBar()->addPermanentWidget(m_checkStatus);
    connect(m_checker, &ScriptChecker::started, this,
        [this] { m_checkStatus->setText(tr("Checking types…")); });
    connect(m_checker, &ScriptChecker::finished, this,
        [this](const QList<ScriptFinding> &findings, const QString &error) {
            m_editor->setFindings(findings);
            if (!error.isEmpty()) {
                m_checkStatus->setText(tr("Types not checked"));
                m_checkStatus->setToolTip(error);
            } else {
                m_checkStatus->setText(findings.isEmpty()
                        ? tr("Types: no findings")
                        : tr("Types: %n finding(s)", nullptr, int(findings.size())));
                m_checkStatus->setToolTip(tr("mypy against the script API's stubs, as "
                                             "vivarium-test --check (docs/script-api.md)"));
            }
        });
    connect(m_editor, &ScriptEditor::findingsHere, this, [this](const QStringList &messages) {
        if (!messages.isEmpty())
            statusBar()->showMessage(messages.join(QStringLiteral("; ")), 15000);
    });
    connect(
        m_workbench, &Workbench::propertyProgress, m_propertyStatus, &PropertyStatus::showProgress);
    connect(m_workbench, &Workbench::propertyFalsified, m_propertyStatus,
        &PropertyStatus::showFalsified);
    connect(m_propertyStatus, &PropertyStatus::openRequested, this,
        [this](const QString &file) { openTest(file); });
    connect(m_editor, &ScriptEditor::breakpointsChanged, m_workbench, &Workbench::setBreakpoints);
    connect(m_editor, &QsciScintilla::modificationChanged, this, &MainWindow::updateTitle);
    connect(m_actions, &ActionLog::lineActivated, this, [this](int line) {
        // The line is selected, so the eye finds it: the cursor alone is a thin bar.
        m_editor->setSelection(line - 1, 0, line - 1, int(m_editor->lineText(line).size()));
        m_editor->ensureLineVisible(line - 1);
    });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    resize(settings.contains(QStringLiteral("window/geometry")) ? size() : QSize(1400, 860));
    openTest(testFile);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

MainWindow::~MainWindow() = default;

bool MainWindow::mayDiscardTest()
{
    const bool edited = m_editor->isModified();
    const int running = m_workbench->runningMachines();
    if (!edited && running == 0)
        return true;
    const QString machines = running == 1
        ? tr("1 machine is running and will be stopped.")
        : tr("%1 machines are running and will be stopped.").arg(running);
    QMessageBox box(QMessageBox::Warning, tr("Vivarium"),
        edited ? tr("The script %1 has changes that are not saved.")
                     .arg(QFileInfo(m_workbench->spec().script).fileName())
               : machines,
        QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("discardPrompt"));
    if (edited && running > 0)
        box.setInformativeText(machines);
    if (edited) {
        box.setStandardButtons(QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
        box.setDefaultButton(QMessageBox::Save);
    } else {
        box.addButton(tr("Stop Them"), QMessageBox::AcceptRole);
        box.setStandardButtons(QMessageBox::Cancel);
    }
    box.exec();
    const QAbstractButton *clicked = box.clickedButton();
    if (clicked == box.button(QMessageBox::Cancel) || !clicked)
        return false;
    if (clicked == box.button(QMessageBox::Save))
        return saveScript();
    return true;
}

bool MainWindow::openTest(const QString &file)
{
    if (!mayDiscardTest())
        return false;
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

bool MainWindow::newTest(const QString &tomlPath)
{
    if (!mayDiscardTest())
        return false;
    if (const QString problem = writeNewTest(tomlPath); !problem.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot make the test"), problem);
        statusBar()->showMessage(problem);
        return false;
    }
    return openTest(tomlPath);
}

bool MainWindow::saveTestAs(const QString &tomlPath)
{
    const QString problem = copyTestAs(m_workbench->spec().file, tomlPath, m_editor->text());
    if (!problem.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot save the test"), problem);
        statusBar()->showMessage(problem);
        return false;
    }
    // The edits went into the copy: the original keeps its file as it was.
    m_editor->setModified(false);
    return openTest(tomlPath);
}

void MainWindow::updateTitle()
{
    const TestSpec &spec = m_workbench->spec();
    const QString script = QFileInfo(spec.script.isEmpty() ? spec.file : spec.script).fileName();
    setWindowTitle(QStringLiteral("%1%2 — %3 (%4) — Vivarium")
                       .arg(script, m_editor->isModified() ? QStringLiteral("*") : QString(),
                           spec.name, QFileInfo(spec.file).absoluteFilePath()));
}

void MainWindow::buildForTest()
{
    const TestSpec &spec = m_workbench->spec();
    QString source;
    if (QFile script(spec.script); !spec.script.isEmpty() && script.open(QIODevice::ReadOnly))
        source = QString::fromUtf8(script.readAll());
    m_editor->setText(source);
    m_editor->setModified(false);
    updateTitle();
    m_actions->clearRun();
    m_output->clearRun();
    m_propertyStatus->clear();
    m_runs->setFolder(m_workbench->runsFolder());
    statusBar()->showMessage(tr("Opened %1").arg(spec.file), 5000);
    if (auto *console = findChild<PythonConsole *>()) {
        console->clear();
        console->input()->setHistoryKey(
            QStringLiteral("console ") + QFileInfo(spec.file).absoluteFilePath());
    }
    buildMachineViews();
    updateActions();
    checkTypes();
}

void MainWindow::checkTypes()
{
    m_editor->setFindings({});
    if (m_workbench->spec().script.isEmpty()) {
        m_checkStatus->clear();
        return;
    }
    m_checker->check(m_workbench->spec(), m_editor->text());
}

void MainWindow::addMachinePanel(const QString &machine)
{
    auto *machinePanel = new MachinePanel(machine, m_workbench, m_machines);
    m_machines->addTab(machinePanel, machine);
    connect(machinePanel, &MachinePanel::keyTyped, m_recorder, &ScriptRecorder::keyTyped);
    connect(machinePanel, &MachinePanel::shellCommandEntered, m_recorder,
        &ScriptRecorder::shellCommand);
    connect(machinePanel, &MachinePanel::serialTextSelected, m_recorder,
        &ScriptRecorder::serialSelection);
    connect(
        machinePanel, &MachinePanel::screenshotTaken, m_recorder, &ScriptRecorder::screenshotTaken);
    connect(machinePanel, &MachinePanel::mouseClicked, m_recorder, &ScriptRecorder::mouseClicked);
    connect(
        machinePanel, &MachinePanel::windowWaitChosen, m_recorder, &ScriptRecorder::windowWaited);
    connect(machinePanel, &MachinePanel::textWaitChosen, m_recorder, &ScriptRecorder::textWaited);
    connect(
        machinePanel, &MachinePanel::regionWaitChosen, m_recorder, &ScriptRecorder::regionWaited);
}

// The machines of a property's example network get tabs as the network is made (their serial
// consoles and states live; what the user types goes nowhere: the network ends with its
// example), replacing the last example's; a test without machines of its own says where its
// machines will show.
void MainWindow::showExampleMachines(const QStringList &machines)
{
    for (const QString &machine : std::as_const(m_exampleMachines))
        delete panel(machine);
    delete m_machines->findChild<QLabel *>(QStringLiteral("noMachines"));
    m_exampleMachines.clear();
    for (const QString &machine : machines) {
        if (panel(machine))
            continue;
        m_exampleMachines << machine;
        addMachinePanel(machine);
        m_machines->setTabToolTip(m_machines->count() - 1,
            tr("%1 of the property's current example network").arg(machine));
    }
}

void MainWindow::addMachine(const QString &machine, const QList<int> &vlans)
{
    if (panel(machine))
        return;
    delete m_machines->findChild<QLabel *>(QStringLiteral("noMachines"));
    m_addedMachines << machine;
    addMachinePanel(machine);
    QStringList names;
    for (const MachineSpec &m : m_workbench->spec().machines)
        names << m.name;
    m_output->setMachines(names + m_addedMachines);
    m_topology->addMachine(machine, vlans);
}

// The machines' tabs, the output's machine list and the topology, as the test file declares
// them (a fresh Run drops the machines the last one added).
void MainWindow::buildMachineViews()
{
    const TestSpec &spec = m_workbench->spec();
    m_coverage->setCollects(spec.coverage.enabled);
    m_addedMachines.clear();
    m_exampleMachines.clear();
    QStringList names;
    while (m_machines->count() > 0)
        delete m_machines->widget(0);
    for (const MachineSpec &m : spec.machines) {
        names << m.name;
        addMachinePanel(m.name);
    }
    if (spec.machines.isEmpty()) {
        auto *none = new QLabel(tr("This test declares no machines. The machines its script "
                                   "makes show here when they are made: add_machine, and each "
                                   "example network of a property (drawn in the Property dock)."),
            m_machines);
        none->setObjectName(QStringLiteral("noMachines"));
        none->setWordWrap(true);
        none->setAlignment(Qt::AlignCenter);
        m_machines->addTab(none, tr("Machines"));
    }
    m_output->setMachines(names);

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
        m_viewMenu->insertAction(m_viewMenu->actions().value(0), dock->toggleViewAction());
    }
    dock->setWidget(m_topologyView);
    auto *propertyDock = findChild<QDockWidget *>(QStringLiteral("propertyDock"));
    if (!propertyDock) {
        propertyDock = new QDockWidget(tr("Property"), this);
        propertyDock->setObjectName(QStringLiteral("propertyDock"));
        propertyDock->setWidget(m_property);
        addDockWidget(Qt::RightDockWidgetArea, propertyDock);
        tabifyDockWidget(dock, propertyDock);
        dock->raise();
        m_viewMenu->insertAction(m_viewMenu->actions().value(1), propertyDock->toggleViewAction());
        auto *coverageDock = new QDockWidget(tr("Coverage"), this);
        coverageDock->setObjectName(QStringLiteral("coverageDock"));
        coverageDock->setWidget(m_coverage);
        addDockWidget(Qt::RightDockWidgetArea, coverageDock);
        tabifyDockWidget(propertyDock, coverageDock);
        dock->raise();
        m_viewMenu->insertAction(m_viewMenu->actions().value(2), coverageDock->toggleViewAction());
        // A property starting is what the user wants to see: its dock comes to the front.
        connect(m_property, &PropertyView::started, propertyDock, [propertyDock] {
            propertyDock->show();
            propertyDock->raise();
        });
    }
    connect(m_workbench, &Workbench::machineStateChanged, m_topology,
        [model = m_topology](const QString &machine, const QString &state, const QString &detail) {
            model->setMachineState(machine, state, detail);
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

QMenu *MainWindow::createMachineMenu(const QString &machine)
{
    auto *menu = new QMenu(this);
    const TopologyModel::Node *node = m_topology ? m_topology->node(machine) : nullptr;
    const QString state = node ? node->state : QString();
    const bool up = state == QLatin1String("booting") || state == QLatin1String("ready");
    const bool blocked = m_topology && m_topology->isBlocked(machine);
    const auto add = [&](const QString &text, const char *name, bool enabled, auto slot) {
        QAction *action = menu->addAction(text, this, slot);
        action->setObjectName(QLatin1String(name));
        action->setEnabled(enabled);
    };
    add(tr("Start"), "machineStart", !up, [this, machine] { m_workbench->startMachine(machine); });
    add(tr("Shut Down"), "machineShutdown", up,
        [this, machine] { m_workbench->shutdownMachine(machine); });
    add(tr("Crash"), "machineCrash", up, [this, machine] { m_workbench->crashMachine(machine); });
    menu->addSeparator();
    add(tr("Block"), "machineBlock", up && !blocked,
        [this, machine] { m_workbench->setBlocked(machine, true); });
    add(tr("Unblock"), "machineUnblock", blocked,
        [this, machine] { m_workbench->setBlocked(machine, false); });
    menu->addSeparator();
    add(tr("Open Consoles"), "machineConsoles", true, [this, machine] { showMachine(machine); });
    add(tr("Screenshot"), "machineScreenshot", up, [this, machine] {
        if (MachinePanel *p = panel(machine))
            p->takeScreenshot();
    });
    return menu;
}

void MainWindow::machineMenu(const QString &machine, const QPoint &globalPos)
{
    QMenu *menu = createMachineMenu(machine);
    menu->exec(globalPos);
    delete menu;
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

void MainWindow::runFromCheckpoint(int index)
{
    if (m_workbench->isScriptRunning()) {
        m_pendingRewind = index;
        statusBar()->showMessage(tr("Run from Here: stopping the script first"));
        if (m_workbench->engine())
            m_workbench->engine()->stop();
        return;
    }
    runScript(false, index);
}

void MainWindow::runScript(bool freshMachines, int checkpoint)
{
    if (m_workbench->isScriptRunning())
        return;
    m_editor->setErrorLine(0, {});
    m_editor->setStoppedLine(0);
    m_actions->clearRun();
    m_output->clearRun();
    m_propertyStatus->clear();
    m_property->clear();
    m_paused = m_pausePending = false;
    m_workbench->setBreakpoints(m_editor->breakpoints());
    if (checkpoint >= 0)
        m_workbench->runFromCheckpoint(m_editor->text(), checkpoint);
    else
        m_workbench->runScript(m_editor->text(),
            freshMachines ? Workbench::Machines::Fresh : Workbench::Machines::Running);
    if (!m_workbench->isScriptRunning()) { // the workbench said why in the status bar
        updateActions();
        return;
    }
    if (m_topology)
        m_topology->setScriptState(tr("Script running"));
    statusBar()->showMessage(checkpoint >= 0 ? tr("Running from a checkpoint of the last run")
            : freshMachines                  ? tr("Running on fresh machines")
                                             : tr("Running on the machines as they are"));
    updateActions();
}

void MainWindow::requestPause()
{
    if (!m_workbench->engine() || !m_workbench->isScriptRunning() || m_paused)
        return;
    m_workbench->engine()->pause();
    // The script pauses at its next line: while a call is in flight, that is after it returns.
    const QString call = m_actions->runningCall();
    if (!call.isEmpty()) {
        m_pausePending = true;
        statusBar()->showMessage(tr("Pause pending: the script pauses after %1 returns").arg(call));
    }
    updateActions();
}

void MainWindow::onActionStarted(const ActionEvent &event)
{
    m_actions->started(event);
    if (event.line > 0 && event.file != QLatin1String("<console>")) {
        m_lastLine = event.line;
        m_editor->setRunningLine(event.line);
    }
}

void MainWindow::onActionFinished(const ActionEvent &event)
{
    m_actions->finished(event);
    if (m_actions->runningCall().isEmpty())
        m_editor->setRunningLine(0);
}

void MainWindow::onPaused(const QString &, int line, const QString &reason)
{
    m_paused = true;
    m_pausePending = false;
    m_editor->setCurrentLine(line);
    if (m_topology)
        m_topology->setScriptState(tr("Script paused at line %1").arg(line));
    statusBar()->showMessage(tr("Paused at line %1 (%2)").arg(line).arg(reason));
    updateActions();
}

void MainWindow::onFailurePaused(const QString &, int line, const QString &message)
{
    m_paused = true;
    m_pausePending = false;
    m_editor->setRunningLine(0);
    m_editor->setCurrentLine(line);
    m_editor->setErrorLine(line, message);
    m_failedLineText = m_editor->lineText(line);
    if (m_topology)
        m_topology->setScriptState(tr("Script paused on a failure at line %1").arg(line));
    m_failureText->setText(tr("Line %1 failed: %2\nThe machines are still running. Edit the line "
                              "and Retry, Skip it, or Fail.")
                               .arg(line)
                               .arg(message.section(QLatin1Char('\n'), 0, 2)));
    m_failureBar->show();
    statusBar()->showMessage(tr("Paused on a failure at line %1").arg(line));
    updateActions();
}

void MainWindow::onResumed()
{
    m_paused = false;
    m_editor->setCurrentLine(0);
    m_failureBar->hide();
    if (m_topology)
        m_topology->setScriptState(tr("Script running"));
    statusBar()->showMessage(tr("Running"));
    updateActions();
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
    if (ScriptEngine::FailureChoice(choice) == ScriptEngine::FailureChoice::Skip)
        m_actions->markLastFailureSkipped();
    m_workbench->engine()->resolveFailure(ScriptEngine::FailureChoice(choice), replacement);
}

void MainWindow::onFinished(const ScriptResult &result)
{
    m_paused = m_pausePending = false;
    m_editor->setCurrentLine(0);
    m_editor->setRunningLine(0);
    m_failureBar->hide();
    if (m_topology)
        m_topology->setScriptState({});
    m_actions->addVerdict(result);
    if (result.outcome == ScriptResult::Outcome::Stopped) {
        // The user's own doing: grey, not an error.
        const int line = result.line > 0 ? result.line : m_lastLine;
        m_editor->setStoppedLine(line);
        statusBar()->showMessage(
            line > 0 ? tr("Stopped by you at line %1").arg(line) : tr("Stopped by you"));
    } else {
        if (result.outcome != ScriptResult::Outcome::Passed && result.line > 0)
            m_editor->setErrorLine(result.line, result.message);
        const QString detail = result.outcome != ScriptResult::Outcome::Passed
            ? result.message
            : (result.skipped + result.replaced).join(QStringLiteral("; "));
        // A line retried as an edit ran, but the file on disk does not have it yet.
        const QString save = !result.replaced.isEmpty() && m_editor->isModified()
            ? tr(" — the file still has the old line: Save (Ctrl+S) to keep the edit")
            : QString();
        statusBar()->showMessage(formatText(tr("The script %1%2%3"), result.verdict(),
            detail.isEmpty() ? QString() : QStringLiteral(": ") + detail, save));
    }
    updateActions();
    // Run from Here stopped the script first: it goes on once the script has ended.
    if (const int rewind = std::exchange(m_pendingRewind, -1); rewind >= 0)
        QTimer::singleShot(0, this, [this, rewind] { runScript(false, rewind); });
}

bool MainWindow::saveScript()
{
    const QString path = m_workbench->spec().script;
    QFile file(path);
    if (path.isEmpty() || !file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(m_editor->text().toUtf8()) < 0 || !file.flush()) {
        const QString why = path.isEmpty() ? tr("the test has no script file") : file.errorString();
        QMessageBox::warning(
            this, tr("Cannot save the script"), tr("Cannot save the script %1: %2").arg(path, why));
        return false;
    }
    m_editor->setModified(false);
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    checkTypes();
    return true;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!mayDiscardTest()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

} // namespace vivarium
