// The embedded interpreter: started once per process, fresh globals with the driver's names for
// each script, the line tracer that lets the engine pause and step, running a script or a
// console entry.
// clang-format off
#include "core/script/pythonmodule.h"
#include <frameobject.h>
// clang-format on

#include "core/script/interpreter.h"

#include "core/script/scriptengine.h"

#include <QFile>
#include <QScopeGuard>
#include <mutex>

namespace py = pybind11;

// The resources live in a static library: register them before the first use.
static void initScriptResources()
{
    Q_INIT_RESOURCE(script);
}

namespace vivarium {

using python::engine;
using python::qs;
using python::ss;

namespace {

// The line tracer: every line of the script's own file reaches the engine (which may pause
// there); other code runs untraced, so libraries keep their speed.
int traceLines(PyObject *fileObject, PyFrameObject *frame, int what, PyObject *)
{
    PyCodeObject *code = PyFrame_GetCode(frame);
    const bool ours = PyUnicode_Compare(code->co_filename, fileObject) == 0;
    Py_DECREF(code);
    if (what == PyTrace_CALL && !ours) {
        // Functions of other files get no line events.
        PyObject_SetAttrString(reinterpret_cast<PyObject *>(frame), "f_trace_lines", Py_False);
        return 0;
    }
    if (what != PyTrace_LINE || !ours)
        return 0;
    ScriptEngine *e = engine();
    if (!e)
        return 0;
    const int line = PyFrame_GetLineNumber(frame);
    ScriptLocation &here = ScriptLocation::current();
    here.line = line;
    Py_BEGIN_ALLOW_THREADS e->onLine(here.file, line);
    Py_END_ALLOW_THREADS if (e->stopRequested())
    {
        PyErr_SetString(python::stopped, "the script was stopped");
        return -1;
    }
    return 0;
}

QString driverSource()
{
    initScriptResources();
    QFile file(QStringLiteral(":/vivarium/script/driver.py"));
    file.open(QIODevice::ReadOnly);
    return QString::fromUtf8(file.readAll());
}

// Where the script failed: its own innermost frame in the traceback.
void locate(const py::object &traceback, const QString &file, ScriptResult *failure)
{
    py::object tb = traceback;
    while (tb && !tb.is_none()) {
        py::object frame = tb.attr("tb_frame");
        if (qs(py::str(frame.attr("f_code").attr("co_filename"))) == file)
            failure->line = tb.attr("tb_lineno").cast<int>();
        tb = tb.attr("tb_next");
    }
}

// The globals of the last script an engine ran, for its console; owned with the GIL held.
struct LastGlobals {
    const ScriptEngine *engine = nullptr;
    py::object *globals = nullptr; // never destroyed: the interpreter outlives every engine
};
LastGlobals g_last;

// Fresh globals with the driver's names, in a __main__ of its own; remembered for the console.
py::dict freshGlobals(const QString &file)
{
    py::module_ types = py::module_::import("types");
    py::module_ main = types.attr("ModuleType")("__main__");
    py::module_::import("sys").attr("modules")["__main__"] = main;
    py::dict globals = main.attr("__dict__");
    globals["__builtins__"] = py::module_::import("builtins");
    globals["__file__"] = ss(file);
    py::object builtins = py::module_::import("builtins");
    builtins.attr("exec")(
        builtins.attr("compile")(ss(driverSource()), "<vivarium driver.py>", "exec"), globals);
    globals["_vivarium_setup"](globals);
    if (!g_last.globals)
        g_last.globals = new py::object;
    *g_last.globals = globals;
    g_last.engine = engine();
    return globals;
}

// A Python exception as the run's result: its message, where in the script, its traceback.
void describe(py::error_already_set &error, const QString &file, ScriptResult *failure)
{
    const bool stopped = error.matches(python::stopped);
    failure->outcome = stopped ? ScriptResult::Outcome::Stopped : ScriptResult::Outcome::Failed;
    failure->message
        = stopped ? QStringLiteral("the script was stopped") : qs(py::str(error.value()));
    if (!error.matches(python::machineError))
        failure->message
            = qs(py::str(error.type().attr("__name__"))) + QStringLiteral(": ") + failure->message;
    if (error.trace())
        locate(py::reinterpret_borrow<py::object>(error.trace()), file, failure);
    if (error.matches(PyExc_SyntaxError)) {
        // Raised by compile(): no frame of the script, the error itself says where.
        py::object lineno = py::getattr(error.value(), "lineno", py::none());
        if (!lineno.is_none())
            failure->line = lineno.cast<int>();
    }
    try {
        py::object trace
            = error.trace() ? py::reinterpret_borrow<py::object>(error.trace()) : py::none();
        // Without the driver's own frames when the driver is there (not if it failed to load).
        py::object main = py::module_::import("__main__");
        if (py::hasattr(main, "_vivarium_format_exception")) {
            failure->traceback = qs(py::str(
                main.attr("_vivarium_format_exception")(error.type(), error.value(), trace)));
        } else {
            py::list lines = py::module_::import("traceback")
                                 .attr("format_exception")(error.type(), error.value(), trace);
            for (const py::handle &line : lines)
                failure->traceback += qs(py::str(line));
        }
    } catch (const std::exception &e) {
        failure->traceback = QString::fromStdString(e.what());
    }
    if (failure->line == 0)
        failure->line = ScriptLocation::current().line;
}

} // namespace

void ensurePython()
{
    static std::once_flag once;
    std::call_once(once, [] {
        // No signal handlers: Ctrl-C belongs to the program embedding Python.
        py::initialize_interpreter(false);
        // The GIL is taken by whichever thread runs a script.
        PyEval_SaveThread();
    });
}

QString runConsole(const QString &source, bool paused)
{
    ensurePython();
    // A paused script serves the console on its own thread: its line is put back afterwards,
    // so the calls it makes next still name the script's line.
    const ScriptLocation scriptLocation = std::exchange(
        ScriptLocation::current(), ScriptLocation { QStringLiteral("<console>"), 0 });
    const auto restore
        = qScopeGuard([&scriptLocation] { ScriptLocation::current() = scriptLocation; });
    py::gil_scoped_acquire acquire;
    try {
        py::object globals;
        if (paused)
            globals = py::module_::import("__main__").attr("__dict__");
        else if (g_last.globals && g_last.engine == engine())
            globals = *g_last.globals;
        else
            globals = freshGlobals(QStringLiteral("<console>"));
        return qs(py::str(globals["_vivarium_console"](ss(source), globals)));
    } catch (py::error_already_set &error) {
        return qs(py::str(error.value())) + QLatin1Char('\n');
    } catch (const std::exception &error) {
        return QString::fromStdString(error.what()) + QLatin1Char('\n');
    }
}

ScriptResult runPython(const QString &source, const QString &file, bool interactive)
{
    ensurePython();
    ScriptResult result;
    result.file = file;
    ScriptLocation::current() = { file, 0 };
    py::gil_scoped_acquire acquire;
    py::object endThreads;
    try {
        py::dict globals = freshGlobals(file);
        endThreads = globals["_vivarium_end_threads"];
        if (interactive) {
            globals["_vivarium_interact"](globals);
        } else {
            py::object code
                = py::module_::import("builtins").attr("compile")(ss(source), ss(file), "exec");
            py::str fileObject(ss(file));
            PyEval_SetTrace(traceLines, fileObject.ptr());
            try {
                py::module_::import("builtins").attr("exec")(code, globals);
            } catch (...) {
                PyEval_SetTrace(nullptr, nullptr);
                throw;
            }
            PyEval_SetTrace(nullptr, nullptr);
            globals["_vivarium_finish"]();
        }
    } catch (py::error_already_set &error) {
        describe(error, file, &result);
    } catch (const std::exception &error) {
        result.outcome = ScriptResult::Outcome::Failed;
        result.message = QString::fromStdString(error.what());
        result.line = ScriptLocation::current().line;
    }
    // The script's own threads end before the run does: they call machines that the run's end
    // destroys (two threads starting machines during the teardown crashed the driver).
    if (endThreads) {
        try {
            endThreads();
        } catch (py::error_already_set &) {
        }
    }
    return result;
}

} // namespace vivarium
