#pragma once

// What the `_vivarium` module (module.cpp) shares with the interpreter (interpreter.cpp): the
// exception types scripts see. Python first: its headers use the name `slots`, which Qt's make
// a macro.
// clang-format off
#include <pybind11/embed.h>
// clang-format on

#include <QString>
#include <string>

namespace vivarium {
class ScriptEngine;
}

namespace vivarium::python {

// Text between Python (UTF-8 std::string through pybind11) and Qt.
inline QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}
inline std::string ss(const QString &s)
{
    return s.toStdString();
}
// The engine whose script runs on this thread.
ScriptEngine *engine();
// The same; throws MachineError (Usage) when no script runs.
ScriptEngine *requireEngine();
// Raises vivarium.Stopped in the script.
[[noreturn]] void raiseStopped();
// Raises vivarium.MachineError with message.
[[noreturn]] void raiseMachineError(const QString &message);

extern PyObject *machineError; // vivarium.MachineError
extern PyObject *timeoutError; // vivarium.Timeout, a MachineError
extern PyObject *stopped; // vivarium.Stopped, a BaseException

} // namespace vivarium::python
