#pragma once

#include "core/spec/testspec.h"

namespace vivarium {

// What a machine of a test with coverage gets (docs/coverage.md): every process's environment
// points the counters of GCC's --coverage, clang's source-based coverage and coverage.py into
// the machine's directory, /vivarium/coverage, which on the host is guestDir/coverage.
namespace guestcoverage {

inline constexpr const char *guestDir = "/vivarium/coverage";
// Below guestDir, one directory per kind of counters.
inline constexpr const char *gcovDir = "gcov";
inline constexpr const char *llvmDir = "llvm";
inline constexpr const char *pythonDir = "python";

// The machine with the coverage environment in its `environment` (for the backdoor's
// commands), and the files that give it to systemd's services and Python; the machine's own
// keys win.
MachineSpec withCoverage(const MachineSpec &machine, const CoverageSettings &settings);
// `export NAME=VALUE` lines of the environment, which the minimal init sources before the
// machine's commands.
QByteArray environmentScript(const CoverageSettings &settings);
// Makes the host's side of /vivarium/coverage: a directory per kind that every guest user
// may write (counters of programs run as any user). Kept across the machine's restarts in
// one run. Returns an error message, or empty.
QString prepareDirectory(const QString &hostDir);

} // namespace guestcoverage
} // namespace vivarium
