#pragma once

#include "core/event/events.h"
#include "core/machine/testrun.h"

#include <QObject>
#include <QStringList>
#include <memory>
#include <mutex>

namespace vivarium {

class EventRecorder;
class ScriptEngine;
class TerminalLog;

// One open test turned into runs: the machines and network (TestRun), the script engine, and the
// event recorder that every report is written from. vivarium-test, the workbench and
// vivarium-bench all go through it, so a run leaves the same output directory whichever started
// it: events.jsonl as it happens, log.html and junit.xml when the script ends, the serial and
// QEMU logs of every machine. Destroying it stops the script, kills every machine and ends the
// network.
class Session : public QObject {
    Q_OBJECT

public:
    struct Options {
        QString outDir; // default: ./vivarium-out/<test name>
        QString accel; // "", "auto", "kvm", "tcg"
        bool keepMachineState = false;
        QString junitPath; // default: <outDir>/junit.xml
        bool pauseOnFailure = false; // the workbench's: a failing call waits for the user
        // Seconds; < 0: the test file's global_timeout; 0: none.
        double globalTimeout = -1;
        bool terminalLog = false; // print the readable log on stdout as the run goes
        bool video = true; // record each graphical machine's screen (<outDir>/video/NAME.mp4)
        PropertySettings property; // over the test file's [property] (vivarium-test's options)
        // A test with [coverage]: the end of a run shuts the machines down before collecting
        // (vivarium-test); the workbench keeps them running to look into.
        bool coveragePowerOff = true;
    };

    // Null, with the reason in error, when the run cannot be set up (guest artifacts, QEMU, the
    // run directory): an environment problem, not the test's.
    static std::unique_ptr<Session> create(
        const TestSpec &spec, const Options &options, QString *error);
    ~Session() override;

    const TestSpec &spec() const;
    TestRun *run() const { return m_run.get(); }
    EventLog *events() const { return m_run->events(); }
    Network *network() const { return m_run->network(); }
    ScriptEngine *engine() const { return m_engine.get(); }
    EventRecorder *recorder() const { return m_recorder.get(); }
    QString outDir() const { return m_run->outDir(); }
    QString reportPath() const; // log.html
    QString junitPath() const;

    // Starts the test's own script: its file, or (without one) a check that every machine
    // comes up. False, with why, when the script cannot be read.
    bool startTestScript(QString *error);
    // Starts source as the script (the workbench's editor text), reported as file.
    void startSource(const QString &source, const QString &file);
    // A Python prompt with the script's globals (vivarium-test --interactive).
    void startInteractive();
    // Records the end and writes junit.xml and log.html for the last script; returns the
    // problems writing them (none: empty). The workbench calls it when the engine finished. A
    // run stopped by interrupt() says so in result.
    QStringList finish(ScriptResult &result);
    // Ends the running script at once, as Stop does, for a signal (why: "SIGTERM"); the result
    // and the reports say "interrupted by SIGTERM" with the line it was at. Thread-safe.
    void interrupt(const QString &why);

    // Writes log.html and junit.xml of a run again from its events.jsonl (a run that was
    // killed has none: its result says it did not finish). Returns the problems, or empty.
    static QStringList rebuildReports(const QString &outDir, ScriptResult *result);

private:
    Session() = default;
    void begin(const QString &source, const QString &file);

    Options m_options;
    std::unique_ptr<TestRun> m_run;
    std::unique_ptr<EventRecorder> m_recorder;
    std::unique_ptr<TerminalLog> m_terminal;
    std::unique_ptr<ScriptEngine> m_engine;
    mutable std::mutex m_mutex;
    QString m_interruption; // why interrupt() stopped the run, or empty
    QString m_source; // the last script's text and file, for log.html
    QString m_sourceFile;
};

} // namespace vivarium
