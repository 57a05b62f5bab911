#pragma once

#include "core/coverage/tracefile.h"
#include "core/machine/testrun.h"

#include <QStringList>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace vivarium {

// Networks a script makes while it runs — each example of a vivarium.stateful property gets a
// fresh one — from test-file text, with the test file's keys, validation and messages. Each is
// a TestRun of its own (run directory, state disks, switches) under the script's run: its
// machines answer the driver API by name, its events go into the script's run (so reports and
// the workbench show them live), and destroying it kills its machines and removes its run
// directory. Whatever the script leaves is destroyed when it ends.
class RuntimeNetworks {
public:
    explicit RuntimeNetworks(TestRun *parent);
    ~RuntimeNetworks();

    // Creates network `label` from TOML; returns its machines' names. Throws MachineError with
    // the loader's messages (file "<label>") for bad text, or when a name is taken.
    QStringList create(const QString &label, const QString &toml);
    // A test with [coverage]: the network's machines are stopped as at a run's end and their
    // counters kept (the run's coverage/examples/); returns what they ran that no earlier
    // network did. Without coverage: nullopt.
    std::optional<CoverageFrontier::Added> destroy(const QString &label);
    // Every network's coverage so far (lines and branches ever run).
    const CoverageFrontier &coverage() const { return m_coverage; }
    // What the networks destroyed since the last call added, summed (vivarium.stateful scores
    // an example by it, however its network went); nullopt when none was destroyed with
    // coverage.
    std::optional<CoverageFrontier::Added> takeAdded();
    // Network label's running machines saved together as snapshot `name`, taken back to it (the
    // machines off then powered off, those off now started from it), or the snapshot deleted
    // from each machine that has it: TestRun::snapshotAll and rewindTo, for vivarium.stateful's
    // examples that fork from an earlier one. Throw MachineError saying why not.
    // snapshot: false (nothing saved) when no machine runs or one is paused (a snapshot does not
    // keep the pause).
    bool snapshot(const QString &label, const QString &name);
    void rewind(const QString &label, const QString &name);
    void deleteSnapshot(const QString &label, const QString &name);
    // A network set aside with its machines off and its disks (and the snapshots in them) kept,
    // so another network may use the same machine names; unpark makes it the one they name
    // again (its machines off: a rewind starts them from a snapshot). Both throw MachineError.
    void park(const QString &label);
    void unpark(const QString &label);
    void destroyAll();
    // Blocked calls on these networks' machines return at once (a Stop, a signal).
    void cancelAll();
    Machine *machine(const QString &name) const; // null if no network has it
    Network *networkOf(const QString &machine) const; // the network it is on, or null
    QStringList labels() const; // parked ones too

private:
    TestRun *run(const QString &label) const; // throws when there is no such network
    // Throws when the script's run or a network in use has a machine `name` (m_mutex held).
    void checkNameFree(const QString &label, const QString &name) const;

    TestRun *m_parent;
    mutable std::mutex m_mutex;
    std::map<QString, std::unique_ptr<TestRun>> m_runs;
    std::map<QString, std::unique_ptr<TestRun>> m_parked;
    std::map<QString, QString> m_tomls; // each network's text, for its event when unparked
    CoverageFrontier m_coverage;
    std::optional<CoverageFrontier::Added> m_added; // since the last takeAdded()
    int m_destroyed = 0; // numbers the examples' tracefiles in creation order
};

} // namespace vivarium
