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

// The built vivarium-test, for tests that run it as a user does.
QString vivariumTestProgram();
struct ProgramRun {
    int exitCode = -1;
    QString output; // stdout and stderr, merged
};
// Runs vivarium-test with arguments in workingDir (empty: this process's), input on its stdin;
// aborts the test program when it does not start or does not end within timeoutS.
ProgramRun runVivariumTest(const QStringList &arguments, const QString &workingDir = {},
    int timeoutS = 600, const QByteArray &input = {});
// The output without the machines' console lines ("NAME # ..."): what the script and the driver
// said, for a failing test's message.
QString scriptOutput(const ProgramRun &run);
// Whether the run passed; when not, prints the end of its script output on stderr first (Qt
// Test cuts a failure message near 1 KB, which left CI logs without the error). Use as
// QVERIFY2(passed(run), "...: its output is above").
bool passed(const ProgramRun &run);
