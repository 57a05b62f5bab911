#pragma once

#include <QMainWindow>
#include <QPointer>

class QLabel;
class QTabWidget;
class QTreeWidget;
class QFrame;

namespace vivarium {

class MachinePanel;
class ScriptEditor;
class ScriptRecorder;
class TopologyMenus;
class TopologyModel;
class TopologyView;
class Workbench;
struct ActionEvent;
struct ScriptResult;

// The workbench window: the script editor with its action log, every machine's consoles, and
// the topology graph; a toolbar to start and stop machines and to run, pause, step and stop the
// script; a bar to retry, skip or fail a call the script paused on.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(const QString &testFile, QWidget *parent = nullptr);
    ~MainWindow() override;

    bool openTest(const QString &file);
    Workbench *workbench() const { return m_workbench; }
    ScriptEditor *editor() const { return m_editor; }
    MachinePanel *panel(const QString &machine) const;
    QTreeWidget *actionLog() const { return m_actions; }
    ScriptRecorder *recorder() const { return m_recorder; }
    TopologyMenus *topologyMenus() const { return m_topologyMenus; }
    TopologyModel *topology() const;
    TopologyView *topologyView() const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void buildForTest();
    void addRecent(const QString &file);
    void onActionFinished(const ActionEvent &event);
    void onPaused(const QString &file, int line, const QString &reason);
    void onFailurePaused(const QString &file, int line, const QString &message);
    void onFinished(const ScriptResult &result);
    void showMachine(const QString &machine);
    void machineMenu(const QString &machine, const QPoint &globalPos);
    void saveScript();
    void resolveFailure(int choice);
    QString layoutFile() const;

    Workbench *m_workbench;
    ScriptEditor *m_editor;
    QTreeWidget *m_actions;
    QLabel *m_preview;
    QTabWidget *m_machines;
    ScriptRecorder *m_recorder;
    TopologyMenus *m_topologyMenus;
    QFrame *m_failureBar;
    QLabel *m_failureText;
    QPointer<TopologyModel> m_topology;
    QPointer<TopologyView> m_topologyView;
    QMenu *m_recentMenu = nullptr;
    QString m_failedLineText; // the failing line as it was, to see whether it was edited
};

} // namespace vivarium
