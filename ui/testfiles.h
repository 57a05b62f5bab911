#pragma once

#include <QString>

namespace vivarium {

// New Test and Save Test As: a test file and its script, written side by side (NAME.toml and
// NAME.py). Neither overwrites a file that exists. Each returns an error message, or empty.

// A new test from a template: one machine and a script that boots it and runs a command.
QString writeNewTest(const QString &tomlPath);

// A copy of the test fromToml as toToml, its script (scriptText, the editor's) beside it as
// NAME.py, and the copy's `script` key naming it; the rest of the test file as it was.
QString copyTestAs(const QString &fromToml, const QString &toToml, const QString &scriptText);

} // namespace vivarium
