#pragma once

#include "core/machine/testrun.h"
#include "core/spec/specloader.h"

#include <QString>

// Loads a test spec from TOML text written to dir/name.toml; aborts the test on errors.
vivarium::TestSpec specFromToml(const QString &dir, const QString &name, const QByteArray &toml);
// Writes bytes to path; aborts the test program when it cannot.
void writeTestFile(const QString &path, const QByteArray &bytes);
// A TestRun with its output under the build tree (kept as test artifacts).
std::unique_ptr<vivarium::TestRun> makeRun(const vivarium::TestSpec &spec);
QString testOutputDir(const QString &name);
