#pragma once

#include "benchscreens.h"

// The coverage section: the coverage demo (two VMs) with and without [coverage], interleaved
// (the overhead a user sees, the machines' shutdown and the reports included); collecting and
// merging after a run of three machines; the guided property demo against the unguided one.
QList<BenchFigure> measureCoverage(const SessionMaker &makeSession, bool quick);
