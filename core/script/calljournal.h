#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <mutex>
#include <optional>

namespace vivarium {

// One driver call of a script run as the script saw it: which `_vivarium` function with which
// arguments, and what it gave back or raised.
struct JournalEntry {
    QString function; // "call", "snapshot_all", "checkpoint", ...
    QString key; // the arguments as Python's repr(): what a replay compares
    QByteArray arguments; // pickled, to run the call again live
    QByteArray value; // pickled result (empty when it raised)
    QString errorType; // "", or the exception it raised: "MachineError", "Timeout", ...
    QString errorMessage;
    QString file;
    int line = 0;
    bool byHand = false; // made from the console, not by the script: a replay passes it by
};

// A point of the run the machines can go back to: a network snapshot taken between two calls.
struct Checkpoint {
    int index = 0; // the journal entry of the checkpoint call
    QString label; // "subtest: ping", "by hand"
    QString snapshot; // snapshot_all's name on the machines
    QString file;
    int line = 0;
    QStringList machines; // those running, and saved, at the checkpoint
};

// The driver calls of one script run, in order, with the checkpoints taken among them: what
// "Run from Here" answers a script's calls from (docs/workbench.md, "Checkpoints"). The script's
// Python state cannot be saved with the machines, so a rewound run executes the script from its
// start with every call before the checkpoint answered from here, then restores the machines and
// goes on live. Written on the script's thread, read from the GUI's: every member locks.
class CallJournal {
public:
    int size() const;
    std::optional<JournalEntry> entry(int index) const;
    void append(const JournalEntry &entry);

    QList<Checkpoint> checkpoints() const;
    void addCheckpoint(const Checkpoint &checkpoint);
    std::optional<Checkpoint> checkpointAt(int index) const;
    // The last checkpoint whose call came before index (the one a run that went another way at
    // index can go back to), if any.
    std::optional<Checkpoint> lastCheckpointBefore(int index) const;
    // Snapshot names are unique over the runs on the same machines: a later run's checkpoint
    // must not overwrite one an earlier journal still refers to.
    int nextCheckpointNumber() const;
    void setNextCheckpointNumber(int number);
    int takeCheckpointNumber();
    // True the first time: why checkpoints cannot be taken is said once a run.
    bool firstRefusal();

private:
    mutable std::mutex m_mutex;
    QList<JournalEntry> m_entries;
    QList<Checkpoint> m_checkpoints;
    int m_nextCheckpoint = 1;
    bool m_refused = false;
};

} // namespace vivarium

#include <QMetaType>
Q_DECLARE_METATYPE(vivarium::Checkpoint)
