#pragma once

#include "core/event/scriptresult.h"
#include "core/machine/testrun.h"
#include "core/script/calljournal.h"

#include <QObject>
#include <QSet>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace vivarium {

class RuntimeNetworks;

// Runs a test script in the embedded CPython on a thread of its own, with the NixOS driver's
// globals for the run's machines and VLANs. The workbench and the headless runner share it: the
// runner just never pauses. Control calls are thread-safe and return at once; what happens is
// reported by signals (emitted on the script's thread: connect queued from a GUI); pauses and
// resumes are also events of the run (event::ScriptPaused, event::ScriptResumed).
class ScriptEngine : public QObject {
    Q_OBJECT

public:
    // What to do with an action that failed while pause-on-failure is on.
    enum class FailureChoice { Retry, Skip, Fail };

    explicit ScriptEngine(TestRun *run, QObject *parent = nullptr);
    ~ScriptEngine() override; // stops a running script and waits for its thread

    TestRun *run() const { return m_run; }
    // The networks the running script made (vivarium.stateful examples); destroyed when it ends.
    RuntimeNetworks *networks() const { return m_networks.get(); }
    void setBreakpoints(const QSet<int> &lines);
    void setPauseOnFailure(bool on);
    // 0: none. When reached, the script is stopped, the machines killed, and the run fails.
    void setGlobalTimeout(double seconds);

    // Checkpoints (docs/workbench.md, "Checkpoints"): the network snapshotted where the script
    // or the user calls checkpoint() (ByHand) and also at each subtest (AtSubtests); Off
    // (vivarium-test, where nothing can go back to one): checkpoint() does nothing.
    enum class Checkpoints { Off, ByHand, AtSubtests };
    void setCheckpoints(Checkpoints mode);
    Checkpoints checkpoints() const;
    // The next script run replays `recorded` (the last run's journal, on the same machines): its
    // calls before the checkpoint at index are answered from it, then the machines are restored
    // to that checkpoint and the script goes on live. For one run only.
    void setRewind(std::shared_ptr<const CallJournal> recorded, int checkpointIndex);
    // The running or last script run's calls and checkpoints (null before the first).
    std::shared_ptr<CallJournal> journal() const;

    // Runs the script file (or source, reported as file) on the engine's thread.
    void start(const QString &scriptFile);
    void startSource(const QString &source, const QString &file);
    // A Python prompt with the script's globals on stdin/stdout (nixos-test-driver
    // --interactive); ends at end of input.
    void startInteractive();
    bool isRunning() const;
    // Blocks until the script ended; returns how.
    ScriptResult wait();

    void pause(); // at the next line
    void resume();
    void stepLine(); // run to the next line of the script, then pause
    void stepAction(); // run to the next driver call, then pause before it
    // Ends the script at once: blocked driver calls return, the script gets vivarium.Stopped.
    void stop();
    // After failurePaused: run the call again (replacement: a line of Python run instead, in
    // the script's globals), skip it, or let it fail.
    void resolveFailure(FailureChoice choice, const QString &replacement = {});
    bool isPaused() const;
    // A console entry (Python, against the live machines): run at once in the script's globals
    // while it is paused, else on the engine's thread in the console's own (the last script's)
    // globals. Refused while the script runs unpaused. What it printed comes as consoleOutput.
    // Failing driver calls in it fail at once: the console never pauses.
    void evaluate(const QString &source);

    // For the bindings, on the script's thread.
    static ScriptEngine *current();
    void onLine(const QString &file, int line); // may block while paused
    void beforeAction(const QString &what); // may block while stepping by action
    // Blocks while paused on a failure; returns what the user chose (Fail when not pausing).
    FailureChoice onActionFailed(const QString &message, QString *replacement);
    bool stopRequested() const;
    // A rewound run before its checkpoint: calls are answered from recorded(), sleeps and
    // pauses do not happen. rewindTarget(): the checkpoint's index in recorded().
    bool replaying() const;
    bool inConsole() const; // a console entry runs: its calls are not the script's
    std::shared_ptr<const CallJournal> recorded() const;
    int rewindTarget() const;
    void endReplay();
    // A checkpoint was taken, or replayed and so still there (the journal has it).
    void announceCheckpoint(const Checkpoint &checkpoint);
    // Sleeps, returning early (false) when stopped; at once while replaying.
    bool sleep(double seconds);

signals:
    void paused(const QString &file, int line, const QString &reason);
    void failurePaused(const QString &file, int line, const QString &message);
    void resumed();
    void finished(const vivarium::ScriptResult &result); // not for console entries
    void consoleOutput(const QString &source, const QString &output);
    // The running script's journal has a checkpoint to go back to (emitted on its thread).
    void checkpointTaken(const vivarium::Checkpoint &checkpoint);

private:
    enum class Mode { Run, PauseNow, StepLine, StepAction };
    enum class Launch { Script, Console };
    void launch(std::function<ScriptResult()> body, Launch kind = Launch::Script);
    // Waits until done() or a stop, running console entries that come meanwhile.
    void waitServingConsole(std::unique_lock<std::mutex> &lock, const std::function<bool()> &done);
    void runConsoleEntry(const QString &source, bool paused); // without the lock
    void continueAs(Mode mode);
    ScriptResult execute(const QString &source, const QString &file, bool interactive);
    void waitWhilePaused(
        std::unique_lock<std::mutex> &lock, const QString &file, int line, const QString &reason);

    TestRun *m_run;
    std::unique_ptr<RuntimeNetworks> m_networks;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    QSet<int> m_breakpoints;
    bool m_pauseOnFailure = false;
    double m_globalTimeout = 0;
    Mode m_mode = Mode::Run;
    bool m_paused = false;
    bool m_running = false;
    bool m_stop = false;
    bool m_timedOut = false;
    bool m_failurePending = false;
    bool m_inConsole = false; // a console entry runs: its failures do not pause
    bool m_consoleRun = false; // the thread runs console entries, not a script
    bool m_consoleTakesMore = false; // ...and entries that come now join it
    QStringList m_consoleQueue; // entries for the paused script's or the console's thread
    FailureChoice m_failureChoice = FailureChoice::Fail;
    QString m_replacement;
    int m_lastLine = 0;
    QStringList m_skipped; // this run's failures the user skipped, for its result
    QStringList m_replaced; // ...and the calls the user replaced by an edited line
    QStringList m_sourceLines; // the running script's, for what a replacement replaced
    ScriptResult m_result;
    Checkpoints m_checkpoints = Checkpoints::Off;
    std::shared_ptr<CallJournal> m_journal;
    std::shared_ptr<const CallJournal> m_pendingRewind; // for the next run
    int m_pendingTarget = -1;
    std::shared_ptr<const CallJournal> m_recorded; // this run's replay
    int m_rewindTarget = -1;
    bool m_replaying = false;
};

} // namespace vivarium
