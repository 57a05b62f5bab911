#pragma once

#include "core/script/scriptengine.h"
#include "core/session/session.h"

#include <QObject>
#include <atomic>
#include <memory>

namespace vivarium {

// The workbench's model of one open test: its Session (machines, network, script engine, the
// recorder every report is written from), driven from the GUI thread without ever blocking it:
// machine starts and stops go to a worker thread, the script runs on the engine's thread, and
// everything comes back as queued signals. A script run leaves the same output directory as
// vivarium-test: events.jsonl, log.html, junit.xml.
class Workbench : public QObject {
    Q_OBJECT

public:
    explicit Workbench(QObject *parent = nullptr);
    ~Workbench() override;

    // Loads a test file; false with the loader's messages in error.
    bool open(const QString &testFile, QString *error);
    const TestSpec &spec() const { return m_spec; }
    QString testFile() const { return m_spec.file; }
    Session *session() const { return m_session.get(); }
    TestRun *run() const { return m_session ? m_session->run() : nullptr; }
    ScriptEngine *engine() const { return m_session ? m_session->engine() : nullptr; }
    // Where the runs write their reports (empty before anything ran).
    QString outDir() const { return m_session ? m_session->outDir() : QString(); }
    // The folder that keeps this test's runs, one directory each (RunHistory), and how many
    // it keeps (the oldest past that go when a run ends).
    QString runsFolder() const;
    void setRunsKept(int runs) { m_runsKept = qMax(1, runs); }
    int runsKept() const { return m_runsKept; }
    bool isScriptRunning() const;
    // Machines whose QEMU runs now (what closing the test would stop).
    int runningMachines() const;

    void startAll();
    void stopAll();
    // A test with [coverage]: the running machines' counters collected now (their flush
    // programs signalled, nothing stopped), on a worker; coverageCollected when done.
    void collectCoverage();
    void startMachine(const QString &name);
    void crashMachine(const QString &name);
    void shutdownMachine(const QString &name);
    void setBlocked(const QString &name, bool blocked);
    // A link's settings now (as the test file set them before anything started).
    LinkSettings linkSettings(const QString &machine, int vlan);
    // Impairment applied live to one link, or to every link of a VLAN; errors as message.
    void setLink(const QString &machine, int vlan, const LinkUpdate &update);
    void setVlan(int vlan, const LinkUpdate &update);
    // Starts or stops a capture of one machine's NIC on vlan, or (machine empty) of the VLAN.
    void setCapture(int vlan, const QString &machine, bool on);
    // Which machines a script run uses: new ones from the test file (fresh state disks, what
    // vivarium-test does; the machines of the last run are stopped), or the ones running now
    // with whatever was done to them by hand.
    enum class Machines { Fresh, Running };
    // Runs source (the editor's text) as the test's script, pausing on failures.
    // The property settings a Run uses over the test file's [property] (as vivarium-test's
    // --examples, --steps, --seed, --derandomize): unset fields keep the test's. A change takes
    // effect at the next Run on fresh machines.
    void setPropertySettings(const PropertySettings &settings);
    const PropertySettings &propertySettings() const { return m_propertySettings; }
    void runScript(const QString &source, Machines machines = Machines::Fresh);
    // Checkpoints (docs/workbench.md, "Checkpoints"): the last run's, in its order, on the
    // machines running now (none after a Run on fresh machines has dropped them).
    QList<Checkpoint> checkpoints() const;
    // Runs source from the last run's checkpoint at index (its call journal's): the calls
    // before it answered from that run, the machines restored to it, then live. False, with a
    // message, when there is no such checkpoint or a script runs.
    bool runFromCheckpoint(const QString &source, int index);
    // A checkpoint now, of the machines as they are (the console's checkpoint()): while the
    // script is paused, or after it ended on the machines it ran on.
    void takeCheckpoint();
    // Also at each subtest (the default), or only where asked.
    void setCheckpointAtSubtests(bool on);
    bool checkpointAtSubtests() const { return m_checkpointAtSubtests; }
    // An HMP command; the answer comes back as monitorAnswer.
    void monitorCommand(const QString &machine, const QString &command);
    void setBreakpoints(const QSet<int> &lines);
    // A Python console entry (ScriptEngine::evaluate); its output comes as consoleOutput.
    void evaluate(const QString &source);
    // Runs work on a worker thread; a MachineError becomes a message.
    void inWorker(const QString &what, std::function<void()> work);

signals:
    void message(const QString &text); // for the status bar and log
    void serialBytes(const QString &machine, const QByteArray &bytes);
    void shellBytes(const QString &machine, const QByteArray &bytes);
    void machineStateChanged(const QString &machine, const QString &state, const QString &detail);
    // The script added a machine (add_machine): it gets its views like the test file's.
    void machineAdded(const QString &machine, const QList<int> &vlans);
    void actionFinished(const vivarium::ActionEvent &event);
    void actionStarted(const vivarium::ActionEvent &event);
    void linkChanged(const vivarium::LinkState &link);
    void vlanChanged(const vivarium::VlanState &vlan);
    void scriptPaused(const QString &file, int line, const QString &reason);
    void scriptFailurePaused(const QString &file, int line, const QString &message);
    void scriptResumed();
    void scriptFinished(const vivarium::ScriptResult &result);
    // The reports of the script that finished are written (log.html's path).
    void reportWritten(const QString &path);
    void consoleOutput(const QString &source, const QString &output);
    void monitorAnswer(const QString &machine, const QString &command, const QString &answer);
    // The session (and with it every Machine) was replaced or dropped: views holding a
    // machine's sockets (the Screen's VNC) let go of them.
    void sessionReplaced();
    // A vivarium.stateful property's progress ("property P: example 3 of 60 (shrinking), step
    // 2: ping(...)"); empty when it ended.
    void propertyProgress(const QString &text);
    // Each property event (started, step, example, finished) and each network the script made
    // or ended at run time (a property's example networks), for the Property view.
    void propertyEvent(const vivarium::Event &event);
    // A property was falsified and its minimal case written as a test (the .toml's path).
    void propertyFalsified(const QString &property, const QString &regressionTest);
    // A collection is under way (what it does now) / done: <dir> holds all.info and
    // summary.json (docs/coverage.md).
    void coverageProgress(const QString &what);
    void coverageCollected(const QString &dir);
    // Everything the terminal log says (subtests, log lines, serial lines...), a line at a time.
    void outputLine(const vivarium::RecordedEvent &event);
    // The running script took a checkpoint, or replayed one that is still there.
    void checkpointTaken(const vivarium::Checkpoint &checkpoint);
    // A run directory was made or the history pruned: the Runs view reads it again.
    void runsChanged();

private:
    bool ensureRun();
    ScriptEngine::Checkpoints checkpointMode() const; // what the setting asks of the engine
    void dropSession(); // stops the script, ends the machines, forgets the session
    void onEvent(const vivarium::Event &event);
    void onScriptFinished(const vivarium::ScriptResult &result);
    void onPropertyEvent(const vivarium::Event &event);

    TestSpec m_spec;
    QSet<int> m_breakpoints;
    PropertySettings m_propertySettings;
    QHash<QString, int> m_propertyExamples; // a running property's name -> examples asked
    QMap<QString, int> m_shrinkFirstExample; // property -> its first shrink try
    int m_runsKept = 20;
    bool m_checkpointAtSubtests = true;
    bool m_scriptRan = false; // the session's directory holds a script run's reports
    std::unique_ptr<Session> m_session;
    std::atomic<bool> m_collectingCoverage { false };
};

} // namespace vivarium
