#pragma once

#include "core/event/actionevent.h"
#include "core/event/scriptresult.h"
#include "core/spec/testspec.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QStringList>
#include <atomic>
#include <optional>
#include <variant>

// The one vocabulary of what happens in a run. Machines, the network and the script engine post
// these to the run's EventLog; the recorder stamps and serialises them (events.jsonl), and the
// terminal log, log.html, junit.xml and the workbench read them as they are, never as JSON parsed
// back. A new kind of event is a struct here, a case in events.cpp, and the readers that care.
namespace vivarium::event {

// A script run begins: what the reports are about (so they can be rebuilt from events.jsonl).
struct RunStarted {
    QString test;
    QString scriptFile;
    QString outDir;
};
struct ActionStarted {
    ActionEvent action;
};
struct ActionFinished {
    ActionEvent action;
};
struct MachineState {
    QString machine;
    QString state; // machineStateName(): "off", "booting", "ready", "failed"
    QString detail;
};
// The script added a machine while the test runs (add_machine): what the topology and the
// reports show of it. Its NICs follow as LinkChanged events.
struct MachineAdded {
    QString machine;
    QList<int> vlans;
    int memoryMiB = 0;
    QString init; // "minimal", "systemd"
    bool graphics = false;

    // "added machine web3 (256 MiB, minimal, VLANs 1, 2)", as the logs say it.
    QString text() const;
};
// A whole line a machine wrote on its serial console (without the line end).
struct ConsoleLine {
    QString machine;
    QString line;
};
// The script's own output: log.info(), print().
struct Log {
    QString text;
};
struct SubtestStarted {
    QString name;
    QString file;
    int line = 0;
};
struct SubtestFinished {
    QString name;
    bool passed = true;
    QString message;
    qint64 durationMs = 0;
};
// The live state of one link (a machine's NIC on a VLAN) after a change.
struct LinkChanged {
    QString machine;
    int vlan = 0;
    QString interface;
    QString mac;
    QString ipv4;
    QString ipv6;
    bool up = false;
    bool blocked = false;
    LinkSettings settings;
    QString capturePath;
};
struct VlanChanged {
    int vlan = 0;
    QStringList machines;
    bool up = false;
    QString capturePath;
};
// A switch or filter died while the network ran.
struct NetworkFailed {
    QString message;
};
struct ScriptPaused {
    QString file;
    int line = 0;
    QString reason; // "breakpoint", "step", "paused", "before m.succeed", "failure"
    QString message; // for a failure: the driver's error
};
struct ScriptResumed { };
// serial_stdout_on()/off(): whether the terminal log shows serial lines.
struct SerialStdout {
    bool on = true;
};
// A machine's screen is being recorded: path (absolute) from startMs (ms since the epoch).
struct VideoStarted {
    QString machine;
    QString path;
    qint64 startMs = 0;
};
// vivarium.stateful: a property begins, with what it runs. mode: "random" (from seed),
// "derandomized" (no seed: Hypothesis derives the examples from the property), "replay" (the
// failing examples kept from earlier runs only).
struct PropertyStarted {
    QString name;
    int examples = 0;
    int steps = 0;
    QString seed;
    QString mode;
};
// One rule of an example begins. phase: "generate"; "shrink" once an example failed;
// "final" while Hypothesis replays the minimal failing example.
struct PropertyStep {
    QString property;
    int example = 0;
    QString phase;
    int index = 0; // 1-based, in the example
    QString step; // ping(source='n1', destination='n2')
};
// An example ended: its network (JSON of the drawn machines) and steps, and how it went.
struct PropertyExample {
    QString property;
    int example = 0;
    QString phase;
    QString network;
    QStringList steps;
    bool passed = true;
    QString message;
    qint64 durationMs = 0;
    // With [coverage]: what its network ran, "+N lines, +M branches new (L lines, B branches
    // in all so far)"; empty without.
    QString coverage;
};
// A property ended. Falsified: the minimal case (network, steps) and its regression test.
// rules: each rule's figures over the search, then warnings (a rule never drawn, or one that
// never did anything).
struct PropertyFinished {
    QString name;
    bool passed = true;
    int examples = 0;
    int failing = 0; // examples that failed: the first, then those the shrinking found
    QString seed;
    QString network;
    QStringList steps;
    QString regressionTest;
    QString message;
    qint64 durationMs = 0;
    QStringList rules;
};
// A network the script made at run time (network_create: a property's example network) and
// its end: the workbench draws it while it lives.
struct NetworkCreated {
    QString label;
    QStringList machines;
    QString toml; // the network as a test file
};
struct NetworkDestroyed {
    QString label;
};
// A checkpoint of the network between two driver calls (the workbench's rewind): where it was
// taken, and the snapshot that holds it on each machine saved.
struct CheckpointTaken {
    QString label;
    QString snapshot;
    QString file;
    int line = 0;
    int index = 0; // the call it was taken before (the run's call journal)
    QStringList machines;
    qint64 durationMs = 0;
};
// A run started from a checkpoint of the run before: the calls before it answered from that
// run, then the machines restored. diverged: where the script went another way than the run
// it replays (then it went on live from the last checkpoint before that point).
struct Rewound {
    QString label;
    int line = 0;
    int replayedCalls = 0;
    qint64 restoreMs = 0;
    QString diverged;
    QString text() const; // one line for the logs
};
// The machines' coverage counters were collected into <outDir>/coverage (docs/coverage.md):
// summary is coverage/summary.json (CoverageResult::json()).
struct CoverageCollected {
    QJsonObject summary;
};
struct Finished {
    ScriptResult result;
};

} // namespace vivarium::event

namespace vivarium {

using Event = std::variant<event::RunStarted, event::ActionStarted, event::ActionFinished,
    event::MachineState, event::MachineAdded, event::ConsoleLine, event::Log, event::SubtestStarted,
    event::SubtestFinished, event::LinkChanged, event::VlanChanged, event::NetworkFailed,
    event::ScriptPaused, event::ScriptResumed, event::SerialStdout, event::VideoStarted,
    event::PropertyStarted, event::PropertyStep, event::PropertyExample, event::PropertyFinished,
    event::NetworkCreated, event::NetworkDestroyed, event::CheckpointTaken, event::Rewound,
    event::CoverageCollected, event::Finished>;

// An event as recorded: when it happened (ms since the epoch) and what.
struct RecordedEvent {
    qint64 t = 0;
    Event event;
};

// "action_finished", "console", ...: the "type" of the event in events.jsonl.
QString eventTypeName(const Event &event);
// One line of events.jsonl (docs/reports.md), and back: nullopt for an unknown type.
QJsonObject toJson(const RecordedEvent &recorded);
// The event's own fields, as in events.jsonl without "type" and "t".
QJsonObject eventFields(const Event &event);
std::optional<RecordedEvent> eventFromJson(const QJsonObject &object);

// Where a run's machines, network and script post their events. Thread-safe: post() from any
// thread; receivers on other threads get queued calls. The raw terminal bytes are not events
// (they are not recorded) but travel here too, for the workbench's terminals.
class EventLog : public QObject {
    Q_OBJECT

public:
    using QObject::QObject;
    quint64 nextId();
    void post(const Event &event) { emit happened(event); }

signals:
    void happened(const vivarium::Event &event);
    // Raw bytes of a machine's serial console and of its hvc0 shell, as they come (terminals).
    void serialBytes(const QString &machine, const QByteArray &bytes);
    void shellBytes(const QString &machine, const QByteArray &bytes);

private:
};

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::Event)
