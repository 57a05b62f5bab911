#pragma once

#include <QtGlobal>

namespace vivarium {

// MiB the host can still give (MemAvailable in /proc/meminfo), or -1 when it does not say:
// what decides whether another network (a property's example) or another test (a suite's -j)
// fits beside those running.
qint64 availableMemoryMiB();

} // namespace vivarium
