#pragma once

#include "benchfigure.h"

// The suite section: what sharding costs in bookkeeping. tests/suite run as one suite with
// -j 1, against the same as three --shard K/3 runs one after another (interleaved).
QList<BenchFigure> measureSuite(bool quick);
