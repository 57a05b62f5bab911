#pragma once

#include "core/coverage/coveragecollector.h"
#include "core/event/events.h"

namespace vivarium {

class TestRun;

// Collects a run's coverage (docs/coverage.md): the programs [coverage] flush names get their
// signal on every ready machine; with powerOff (the end of a vivarium-test run) each running
// machine's programs are stopped (SIGTERM, as a service is) and the machine is shut down
// cleanly, so what writes its counters at exit has written; then every machine's counters,
// added machines' too, become the reports under <outDir>/coverage. Posts CoverageCollected.
// events: the run's so far, which say what crashed. Blocking.
CoverageResult collectRunCoverage(TestRun *run, const QList<RecordedEvent> &events, bool powerOff,
    const std::function<void(const QString &)> &progress = {});

// An example network's coverage (vivarium.stateful): its machines flushed and stopped as at a
// run's end, their counters as one tracefile (test name: the machine), saved at savePath
// (the script's run's coverage/examples/, which the run's report merges in).
Tracefile collectExampleCoverage(TestRun *example, const QString &savePath, QStringList *problems);

} // namespace vivarium
