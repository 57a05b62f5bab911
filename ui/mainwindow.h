#pragma once

#include <QHash>
#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QTabWidget;
class QTreeWidget;
class QFrame;

namespace vivarium {

class ActionLog;
class MachinePanel;
class OutputPane;
class PropertyStatus;
class PropertyView;
class CoverageView;
class RunsView;
class ScriptEditor;
class ScriptChecker;
class FindBar;
class ScriptRecorder;
class TopologyMenus;
class TopologyModel;
class TopologyView;
class Workbench;
struct ActionEvent;
struct ScriptResult;

// The workbench window: the script editor with its action log, every machine's consoles, the
// topology graph and the run's output; a toolbar to start and stop machines and to run, pause,
// step and stop the script; a bar to retry, skip or fail a call the script paused on. It never
// drops work silently: an edited script or running machines are asked about before Open, Open
// Recent or Close.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(const QString &testFile, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a test after asking about unsaved edits and running machines; false if the user
    // cancelled or the file does not load.
    bool openTest(const QString &file);
    // File → New Test and Save Test As (ui/testfiles.h), then open what they wrote. false with
    // the reason in a message box and the status bar when they cannot.
    bool newTest(const QString &tomlPath);
    bool saveTestAs(const QString &tomlPath);
    Workbench *workbench() const { return m_workbench; }
    ScriptEditor *editor() const { return m_editor; }
    MachinePanel *panel(const QString &machine) const;
    ActionLog *actionLog() const { return m_actions; }
    OutputPane *output() const { return m_output; }
    PropertyStatus *propertyStatus() const { return m_propertyStatus; }
    RunsView *runs() const { return m_runs; }
    PropertyView *propertyView() const { return m_property; }
    ScriptRecorder *recorder() const { return m_recorder; }
    TopologyMenus *topologyMenus() const { return m_topologyMenus; }
    TopologyModel *topology() const;
    TopologyView *topologyView() const;
    // A window action by its object name ("runAction", "pauseAction"...), for tests.
    QAction *windowAction(const QString &name) const;
    // The machine menu of the graph (built each time; the caller deletes it).
    QMenu *createMachineMenu(const QString &machine);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    // ui/windowactions.cpp: menus, toolbar, what is enabled when, Help.
    void createActions();
    void updateActions();
    void showAbout();
    QAction *addWindowAction(QMenu *menu, const QString &name, const QString &text,
        const QKeySequence &keys, std::function<void()> slot);

    // Asks what to do with unsaved edits and running machines; false: the user cancelled.
    bool mayDiscardTest();
    void updateTitle();
    void buildForTest();
    void checkTypes(); // the editor's script, in the background
    void buildMachineViews();
    void addMachinePanel(const QString &machine);
    void addMachine(const QString &machine, const QList<int> &vlans);
    void showExampleMachines(const QStringList &machines);
    void addRecent(const QString &file);
    // checkpoint >= 0: from that checkpoint of the last run (Run from Here), on its machines.
    void runScript(bool freshMachines, int checkpoint = -1);
    // Run from Here: stops a script that still runs (paused on its failure) first.
    void runFromCheckpoint(int index);
    void requestPause();
    void onActionStarted(const ActionEvent &event);
    void onActionFinished(const ActionEvent &event);
    void onPaused(const QString &file, int line, const QString &reason);
    void onFailurePaused(const QString &file, int line, const QString &message);
    void onResumed();
    void onFinished(const ScriptResult &result);
    void showMachine(const QString &machine);
    void machineMenu(const QString &machine, const QPoint &globalPos);
    bool saveScript();
    void resolveFailure(int choice);
    QString layoutFile() const;

    Workbench *m_workbench;
    ScriptEditor *m_editor;
    FindBar *m_findBar; // under the editor: Ctrl+F, F3, Ctrl+H
    ActionLog *m_actions;
    OutputPane *m_output;
    QTabWidget *m_machines;
    ScriptRecorder *m_recorder;
    TopologyMenus *m_topologyMenus;
    PropertyStatus *m_propertyStatus;
    ScriptChecker *m_checker; // mypy over the editor's text, on open and save
    QLabel *m_checkStatus;
    QFrame *m_failureBar;
    QLabel *m_failureText;
    RunsView *m_runs; // the Runs dock: this test's kept runs
    PropertyView *m_property; // the Property dock: a property run, live
    CoverageView *m_coverage; // the Coverage dock: files and lines by the machines that ran them
    QPointer<TopologyModel> m_topology;
    QPointer<TopologyView> m_topologyView;
    QMenu *m_recentMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QHash<QString, QAction *> m_windowActions;
    QStringList m_addedMachines; // by the running script (add_machine), in its order
    QStringList m_exampleMachines; // of a property's current example network
    QString m_failedLineText; // the failing line as it was, to see whether it was edited
    bool m_paused = false; // the script waits (breakpoint, step, pause or failure)
    bool m_pausePending = false; // Pause was asked while a call was in flight
    int m_lastLine = 0; // the script line of the last call that started
    int m_pendingRewind = -1; // Run from Here waits for the stopped script to end
};

} // namespace vivarium
