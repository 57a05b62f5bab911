#pragma once

#include "core/spec/testspec.h"

#include <memory>
#include <mutex>

namespace vivarium {

// The test as it stands while it runs: the test file's machines, then those the script added
// (add_machine), in the order they came. Machines read it on whatever thread starts them, while
// the script may add to it: a reader takes a snapshot, which stays whole while it holds it, and
// an addition makes a new one (copy on write; a run adds a handful of machines at most).
class LiveSpec {
public:
    explicit LiveSpec(const TestSpec &declared);

    std::shared_ptr<const TestSpec> snapshot() const;
    // Appends machine (checked by SpecLoader::loadAddedMachine) and the VLANs it names that
    // the test has none on yet; returns the new snapshot.
    std::shared_ptr<const TestSpec> add(const MachineSpec &machine);

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const TestSpec> m_current;
};

} // namespace vivarium
