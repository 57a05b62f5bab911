#pragma once

// What the `_vivarium` module (module.cpp) shares with the interpreter (interpreter.cpp): the
// exception types scripts see. Python first: its headers use the name `slots`, which Qt's make
// a macro.
// clang-format off
#include <pybind11/embed.h>
// clang-format on

namespace vivarium::python {

extern PyObject *machineError; // vivarium.MachineError
extern PyObject *timeoutError; // vivarium.Timeout, a MachineError
extern PyObject *stopped; // vivarium.Stopped, a BaseException

} // namespace vivarium::python
