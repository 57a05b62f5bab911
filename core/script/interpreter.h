#pragma once

#include "core/event/scriptresult.h"

#include <QString>

namespace vivarium {

// The embedded interpreter, started once per process (CPython cannot be restarted reliably) on
// first use; its GIL is free between scripts.
void ensurePython();
// Runs source as the script file in fresh globals with the driver's names, tracing its lines
// for the running engine (ScriptEngine::current()). Called on the script's thread without the GIL.
// interactive: then a prompt on stdin/stdout. Returns how it ended.
ScriptResult runPython(const QString &source, const QString &file, bool interactive);
// Runs one console entry for the running engine and returns what it printed (an expression's
// value, print() output, an error). It runs in the script's globals while the script is paused
// (paused), else in those of the engine's last script, else in fresh globals with the driver's
// names that later entries keep. Called on the engine's thread, with or without the GIL.
QString runConsole(const QString &source, bool paused);

} // namespace vivarium
