// The `_vivarium` module the driver's Python layer (resources/script/driver.py) is built on, the
// line tracer that lets the engine pause and step, and running a script.
// Python first: its headers use the name `slots`, which Qt's make a macro.
// clang-format off
#include <pybind11/embed.h>
#include <pybind11/stl.h>
#include <frameobject.h>
// clang-format on

#include "bindings.h"

#include "../network/network.h"
#include "scriptengine.h"

#include <QFile>
#include <QJsonDocument>
#include <atomic>
#include <mutex>

namespace py = pybind11;

// The resources live in a static library: register them before the first use.
static void initScriptResources()
{
    Q_INIT_RESOURCE(script);
}

namespace vivarium {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

std::string ss(const QString &s)
{
    return s.toStdString();
}

PyObject *g_machineError = nullptr;
PyObject *g_timeoutError = nullptr;
PyObject *g_stopped = nullptr;

ScriptEngine *engine()
{
    return ScriptEngine::current();
}

// Runs one driver call without the GIL; on failure, lets the engine pause on the failing line
// (retry, skip or fail), and turns the error into the Python exception the script sees.
template<typename T> T driverCall(const QString &what, const std::function<T()> &call)
{
    for (;;) {
        QString failure;
        MachineError::Kind kind = MachineError::Kind::Failed;
        {
            py::gil_scoped_release release;
            if (ScriptEngine *e = engine())
                e->beforeAction(what);
            try {
                return call();
            } catch (const MachineError &error) {
                failure = QString::fromStdString(error.what());
                kind = error.kind();
            }
        }
        ScriptEngine *e = engine();
        if (kind == MachineError::Kind::Cancelled || (e && e->stopRequested())) {
            PyErr_SetString(g_stopped, "the script was stopped");
            throw py::error_already_set();
        }
        QString replacement;
        ScriptEngine::FailureChoice choice = ScriptEngine::FailureChoice::Fail;
        if (e) {
            py::gil_scoped_release release;
            choice = e->onActionFailed(failure, &replacement);
        }
        if (choice == ScriptEngine::FailureChoice::Retry && replacement.isEmpty())
            continue;
        if (choice == ScriptEngine::FailureChoice::Retry) {
            // The edited line runs instead, in the script's globals; the value of its
            // expression (or of its assignment's) is what the failed call returns.
            py::object globals = py::module_::import("__main__").attr("__dict__");
            py::object value = globals["_vivarium_replacement"](ss(replacement), globals);
            try {
                if (!value.is_none())
                    return value.cast<T>();
            } catch (const py::cast_error &) {
            }
            return T {};
        }
        if (choice == ScriptEngine::FailureChoice::Skip)
            return T {};
        PyErr_SetString(kind == MachineError::Kind::Timeout ? g_timeoutError : g_machineError,
            ss(failure).c_str());
        throw py::error_already_set();
    }
}

void driverCallVoid(const QString &what, const std::function<void()> &call)
{
    driverCall<int>(what, [&] {
        call();
        return 0;
    });
}

Machine *machineNamed(const std::string &name)
{
    ScriptEngine *e = engine();
    Machine *m = e ? e->run()->machine(qs(name)) : nullptr;
    if (!m)
        throw py::value_error("there is no machine " + name);
    return m;
}

LinkUpdate linkUpdate(const py::dict &values)
{
    LinkUpdate update;
    for (auto [key, value] : values) {
        const std::string k = py::str(key);
        if (k == "delay_ms")
            update.delayMs = value.cast<double>();
        else if (k == "jitter_ms")
            update.jitterMs = value.cast<double>();
        else if (k == "loss")
            update.loss = value.cast<double>();
        else if (k == "dup")
            update.dup = value.cast<double>();
        else if (k == "bandwidth_kbit")
            update.bandwidthKbit = value.cast<int>();
        else
            throw py::type_error("unknown link setting '" + k
                + "' (known: delay_ms, jitter_ms, loss, dup, bandwidth_kbit)");
    }
    return update;
}

py::dict linkDict(const LinkState &link)
{
    py::dict d;
    const QJsonObject json = eventFields(link.toEvent());
    for (auto it = json.begin(); it != json.end(); ++it) {
        const QJsonValue v = it.value();
        if (v.isBool())
            d[py::str(ss(it.key()))] = v.toBool();
        else if (v.isDouble())
            d[py::str(ss(it.key()))] = v.toDouble();
        else
            d[py::str(ss(it.key()))] = ss(v.toString());
    }
    return d;
}

using Tuple = std::pair<int, std::string>;

void defineMachine(py::module_ &m)
{
    // Every method takes the machine's name: the Python layer holds the objects.
    const auto on = [](const std::string &name) { return machineNamed(name); };
    const auto act = [](const std::string &name, const char *action) -> QString {
        return qs(name) + QLatin1Char('.') + QLatin1String(action);
    };
    m.def("machine_names", [] {
        std::vector<std::string> names;
        if (ScriptEngine *e = engine()) {
            for (const auto &machine : e->run()->machines())
                names.push_back(ss(machine->name()));
        }
        return names;
    });
    m.def("start",
        [=](const std::string &n) { driverCallVoid(act(n, "start"), [&] { on(n)->start(); }); });
    m.def("wait_for_ready", [=](const std::string &n, double timeout) {
        driverCallVoid(act(n, "start"), [&] { on(n)->waitForReady(timeout); });
    });
    m.def("is_up", [=](const std::string &n) { return on(n)->isUp(); });
    m.def("shutdown", [=](const std::string &n, double timeout) {
        driverCallVoid(act(n, "shutdown"), [&] { on(n)->shutdown(timeout); });
    });
    m.def("crash",
        [=](const std::string &n) { driverCallVoid(act(n, "crash"), [&] { on(n)->crash(); }); });
    m.def("reboot",
        [=](const std::string &n) { driverCallVoid(act(n, "reboot"), [&] { on(n)->reboot(); }); });
    m.def("wait_for_shutdown", [=](const std::string &n, double timeout) {
        driverCallVoid(act(n, "wait_for_shutdown"), [&] { on(n)->waitForShutdown(timeout); });
    });
    m.def("execute", [=](const std::string &n, const std::string &command, double timeout) {
        return driverCall<Tuple>(act(n, "execute"), [&] {
            const CommandResult r = on(n)->execute(qs(command), timeout);
            return Tuple { r.status, r.stdoutBytes.toStdString() };
        });
    });
    const auto text = [=](const char *name, QString (Machine::*method)(const QString &, double)) {
        return [=](const std::string &n, const std::string &command, double timeout) {
            return driverCall<std::string>(
                act(n, name), [&] { return ss((on(n)->*method)(qs(command), timeout)); });
        };
    };
    m.def("succeed", text("succeed", &Machine::succeed));
    m.def("fail", text("fail", &Machine::fail));
    m.def("wait_until_succeeds", text("wait_until_succeeds", &Machine::waitUntilSucceeds));
    m.def("wait_until_fails", text("wait_until_fails", &Machine::waitUntilFails));
    m.def("wait_for_console_text", text("wait_for_console_text", &Machine::waitForConsoleText));
    m.def("wait_for_file", [=](const std::string &n, const std::string &path, double timeout) {
        driverCallVoid(act(n, "wait_for_file"), [&] { on(n)->waitForFile(qs(path), timeout); });
    });
    m.def("wait_for_open_port",
        [=](const std::string &n, int port, const std::string &address, double timeout) {
            driverCallVoid(act(n, "wait_for_open_port"),
                [&] { on(n)->waitForOpenPort(port, qs(address), timeout); });
        });
    m.def("wait_for_closed_port",
        [=](const std::string &n, int port, const std::string &address, double timeout) {
            driverCallVoid(act(n, "wait_for_closed_port"),
                [&] { on(n)->waitForClosedPort(port, qs(address), timeout); });
        });
    m.def("wait_for_open_unix_socket",
        [=](const std::string &n, const std::string &path, bool datagram, double timeout) {
            driverCallVoid(act(n, "wait_for_open_unix_socket"),
                [&] { on(n)->waitForOpenUnixSocket(qs(path), datagram, timeout); });
        });
    m.def("systemctl", [=](const std::string &n, const std::string &arguments) {
        return driverCall<Tuple>(act(n, "systemctl"), [&] {
            const CommandResult r = on(n)->systemctl(qs(arguments));
            return Tuple { r.status, r.stdoutBytes.toStdString() };
        });
    });
    m.def("wait_for_unit", [=](const std::string &n, const std::string &unit, double timeout) {
        driverCallVoid(act(n, "wait_for_unit"), [&] { on(n)->waitForUnit(qs(unit), timeout); });
    });
    m.def("get_unit_info", [=](const std::string &n, const std::string &unit) {
        return driverCall<std::map<std::string, std::string>>(act(n, "get_unit_info"), [&] {
            std::map<std::string, std::string> info;
            const auto values = on(n)->getUnitInfo(qs(unit));
            for (auto it = values.cbegin(); it != values.cend(); ++it)
                info[ss(it.key())] = ss(it.value());
            return info;
        });
    });
    m.def("get_unit_property",
        [=](const std::string &n, const std::string &unit, const std::string &property) {
            return driverCall<std::string>(act(n, "get_unit_property"),
                [&] { return ss(on(n)->getUnitProperty(qs(unit), qs(property))); });
        });
    m.def("require_unit_state",
        [=](const std::string &n, const std::string &unit, const std::string &state) {
            driverCallVoid(act(n, "require_unit_state"),
                [&] { on(n)->requireUnitState(qs(unit), qs(state)); });
        });
    m.def("get_console_log", [=](const std::string &n) { return ss(on(n)->getConsoleLog()); });
    m.def("send_console", [=](const std::string &n, const std::string &chars) {
        driverCallVoid(act(n, "send_console"), [&] { on(n)->sendConsole(qs(chars)); });
    });
    m.def("send_monitor_command", [=](const std::string &n, const std::string &command) {
        return driverCall<std::string>(act(n, "send_monitor_command"),
            [&] { return ss(on(n)->sendMonitorCommand(qs(command))); });
    });
    m.def("qmp_event_count", [=](const std::string &n) { return qint64(on(n)->qmpEventCount()); });
    m.def("next_qmp_event", [=](const std::string &n, qint64 next, double timeout) {
        qsizetype index = next;
        const QJsonObject event = driverCall<QJsonObject>(
            act(n, "wait_for_qmp_event"), [&] { return on(n)->nextQmpEvent(&index, timeout); });
        const std::string json = QJsonDocument(event).toJson(QJsonDocument::Compact).toStdString();
        return std::make_pair(py::module_::import("json").attr("loads")(json), qint64(index));
    });
    m.def("send_key", [=](const std::string &n, const std::string &key) {
        driverCallVoid(act(n, "send_key"), [&] { on(n)->sendKey(qs(key)); });
    });
    m.def("send_chars", [=](const std::string &n, const std::string &chars, double delay) {
        driverCallVoid(act(n, "send_chars"), [&] { on(n)->sendChars(qs(chars), delay); });
    });
    m.def("screenshot", [=](const std::string &n, const std::string &name) {
        return driverCall<std::string>(
            act(n, "screenshot"), [&] { return ss(on(n)->screenshot(qs(name))); });
    });
    m.def("forward_port", [=](const std::string &n, int hostPort, int guestPort) {
        driverCallVoid(act(n, "forward_port"), [&] { on(n)->forwardPort(hostPort, guestPort); });
    });
    m.def("block",
        [=](const std::string &n) { driverCallVoid(act(n, "block"), [&] { on(n)->block(); }); });
    m.def("unblock", [=](const std::string &n) {
        driverCallVoid(act(n, "unblock"), [&] { on(n)->unblock(); });
    });
    m.def("set_link", [=](const std::string &n, int vlan, const py::dict &values) {
        const LinkUpdate update = linkUpdate(values);
        driverCallVoid(act(n, "set_link"), [&] { on(n)->setLink(vlan, update); });
    });
    m.def("capture", [=](const std::string &n, int vlan) {
        return driverCall<std::string>(act(n, "capture"), [&] { return ss(on(n)->capture(vlan)); });
    });
    m.def("stop_capture", [=](const std::string &n, int vlan) {
        driverCallVoid(act(n, "stop_capture"), [&] { on(n)->stopCapture(vlan); });
    });
    m.def("copy_from_host",
        [=](const std::string &n, const std::string &source, const std::string &target) {
            driverCallVoid(
                act(n, "copy_from_host"), [&] { on(n)->copyFromHost(qs(source), qs(target)); });
        });
    m.def("copy_from_machine",
        [=](const std::string &n, const std::string &source, const std::string &targetDir) {
            return driverCall<std::string>(act(n, "copy_from_machine"),
                [&] { return ss(on(n)->copyFromMachine(qs(source), qs(targetDir))); });
        });
}

void defineNetwork(py::module_ &m)
{
    const auto network = [] {
        ScriptEngine *e = engine();
        if (!e)
            throw std::runtime_error("no test run");
        return e->run()->network();
    };
    m.def("vlan_numbers", [=] {
        std::vector<int> numbers;
        for (const VlanState &v : network()->vlans())
            numbers.push_back(v.vlan);
        return numbers;
    });
    m.def("vlan_machines", [=](int vlan) {
        std::vector<std::string> names;
        for (const VlanState &v : network()->vlans()) {
            if (v.vlan == vlan) {
                for (const QString &name : v.machines)
                    names.push_back(ss(name));
            }
        }
        return names;
    });
    m.def("vlan_set_link", [=](int vlan, const py::dict &values) {
        const LinkUpdate update = linkUpdate(values);
        driverCallVoid(
            QStringLiteral("vlan%1.set_link").arg(vlan), [&] { network()->setVlan(vlan, update); });
    });
    m.def("vlan_capture", [=](int vlan) {
        return driverCall<std::string>(QStringLiteral("vlan%1.capture").arg(vlan),
            [&] { return ss(network()->startCapture(vlan)); });
    });
    m.def("vlan_stop_capture", [=](int vlan) {
        driverCallVoid(
            QStringLiteral("vlan%1.stop_capture").arg(vlan), [&] { network()->stopCapture(vlan); });
    });
    m.def("link", [=](const std::string &machine, int vlan) {
        return linkDict(driverCall<LinkState>(
            QStringLiteral("link"), [&] { return network()->link(qs(machine), vlan); }));
    });
}

void defineRunner(py::module_ &m)
{
    m.def("log", [](const std::string &text) {
        if (ScriptEngine *e = engine())
            e->run()->events()->post(event::Log { qs(text) });
    });
    m.def("subtest_started", [](const std::string &name) {
        if (ScriptEngine *e = engine()) {
            const ScriptLocation &here = ScriptLocation::current();
            e->run()->events()->post(event::SubtestStarted { qs(name), here.file, here.line });
        }
    });
    m.def("subtest_finished",
        [](const std::string &name, bool passed, const std::string &message, double seconds) {
            if (ScriptEngine *e = engine())
                e->run()->events()->post(
                    event::SubtestFinished { qs(name), passed, qs(message), qint64(seconds * 1000) });
        });
    m.def("sleep", [](double seconds) {
        bool completed = true;
        {
            py::gil_scoped_release release;
            if (ScriptEngine *e = engine())
                completed = e->sleep(seconds);
        }
        if (!completed) {
            PyErr_SetString(g_stopped, "the script was stopped");
            throw py::error_already_set();
        }
    });
    m.def("serial_stdout", [](bool on) {
        if (ScriptEngine *e = engine())
            e->run()->events()->post(event::SerialStdout { on });
    });
    m.def("output_dir", [] { return engine() ? ss(engine()->run()->outDir()) : std::string(); });
    m.def("test_name", [] { return engine() ? ss(engine()->run()->spec().name) : std::string(); });
}

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
        PyErr_SetString(g_stopped, "the script was stopped");
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

} // namespace

PYBIND11_EMBEDDED_MODULE(_vivarium, m)
{
    g_machineError = PyErr_NewException("vivarium.MachineError", PyExc_Exception, nullptr);
    g_timeoutError = PyErr_NewException("vivarium.Timeout", g_machineError, nullptr);
    // Not an Exception: `except Exception` in a script does not swallow Stop.
    g_stopped = PyErr_NewException("vivarium.Stopped", PyExc_BaseException, nullptr);
    m.attr("MachineError") = py::handle(g_machineError);
    m.attr("Timeout") = py::handle(g_timeoutError);
    m.attr("Stopped") = py::handle(g_stopped);
    defineMachine(m);
    defineNetwork(m);
    defineRunner(m);
}

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

namespace {

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

} // namespace

QString runConsole(const QString &source, bool paused)
{
    ensurePython();
    ScriptLocation::current() = { QStringLiteral("<console>"), 0 };
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
    ScriptResult failure;
    failure.file = file;
    ScriptLocation::current() = { file, 0 };
    py::gil_scoped_acquire acquire;
    try {
        py::dict globals = freshGlobals(file);
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
        const bool stopped = error.matches(g_stopped);
        failure.outcome = stopped ? ScriptResult::Outcome::Stopped : ScriptResult::Outcome::Failed;
        failure.message
            = stopped ? QStringLiteral("the script was stopped") : qs(py::str(error.value()));
        if (!error.matches(g_machineError))
            failure.message = qs(py::str(error.type().attr("__name__"))) + QStringLiteral(": ")
                + failure.message;
        if (error.trace())
            locate(py::reinterpret_borrow<py::object>(error.trace()), file, &failure);
        try {
            py::object trace
                = error.trace() ? py::reinterpret_borrow<py::object>(error.trace()) : py::none();
            py::list lines = py::module_::import("traceback")
                                 .attr("format_exception")(error.type(), error.value(), trace);
            for (const py::handle &line : lines)
                failure.traceback += qs(py::str(line));
        } catch (const std::exception &e) {
            failure.traceback = QString::fromStdString(e.what());
        }
        if (failure.line == 0)
            failure.line = ScriptLocation::current().line;
    } catch (const std::exception &error) {
        failure.outcome = ScriptResult::Outcome::Failed;
        failure.message = QString::fromStdString(error.what());
        failure.line = ScriptLocation::current().line;
    }
    return failure;
}

} // namespace vivarium
