#pragma once

#include "core/spec/testspec.h"

#include <QString>
#include <QStringList>

namespace vivarium {

// Type stubs of the script API, for editors and mypy (NixOS type-checks its test scripts the
// same way). The Machine methods that pass straight through come from the API table, so they
// cannot drift from it; driver.py's own methods are listed beside it, and tst_scriptengine
// checks that every public method of driver.py's Machine is in the stub.
QString driverStub();

// The lines that make a test's script globals known to mypy: the stub's names, and each
// machine and VLAN of the test by its global name. Put before the script; they are
// preludeLines(spec) long.
QString scriptPrelude(const TestSpec &spec);

struct ScriptFinding {
    int line = 0; // in the script
    int column = 0;
    QString severity; // "error", "note"
    QString message;
};

// Runs mypy on the test's script with the stubs; *error says why it could not run (mypy
// missing: apt-get install mypy). Findings are in the script's own lines.
QList<ScriptFinding> checkScript(const TestSpec &spec, QString *error);
// The same for the script's text as it is now (the workbench's editor, unsaved edits and all).
QList<ScriptFinding> checkScriptText(const TestSpec &spec, const QString &text, QString *error);

} // namespace vivarium
