// The `_vivarium` module the driver's Python layer (resources/script/driver.py) is built on:
// the machine API table's dispatcher, the networks, and the runner's own calls (log, subtests,
// sleep). Every driver call goes through driverCall, which releases the GIL, lets the engine
// pause before it and on its failure, and turns a MachineError into the exception scripts see.
// clang-format off
#include "core/script/pythonmodule.h"
#include <pybind11/stl.h>

#include <QFile>
// clang-format on

#include "core/network/network.h"
#include "core/script/machineapi.h"
#include "core/script/runtimenetworks.h"
#include "core/script/scriptengine.h"

#include <QJsonDocument>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

namespace py = pybind11;

namespace vivarium::python {

PyObject *machineError = nullptr;
PyObject *timeoutError = nullptr;
PyObject *stopped = nullptr;

ScriptEngine *engine()
{
    return ScriptEngine::current();
}

ScriptEngine *requireEngine()
{
    ScriptEngine *e = engine();
    if (!e)
        throw MachineError(MachineError::Kind::Usage, QStringLiteral("no script runs"));
    return e;
}

void raiseStopped()
{
    PyErr_SetString(stopped, "the script was stopped");
    throw pybind11::error_already_set();
}

void raiseMachineError(const QString &message)
{
    PyErr_SetString(machineError, message.toStdString().c_str());
    throw pybind11::error_already_set();
}

void defineJournal(pybind11::module_ &m); // journalmodule.cpp

} // namespace vivarium::python

namespace vivarium {

using python::engine;
using python::qs;
using python::ss;

namespace {

using python::raiseStopped;

// Runs one driver call without the GIL; on failure, lets the engine pause on the failing line
// (retry, skip or fail), and turns the error into the Python exception the script sees.
template<typename T> T castFromPython(const py::object &value)
{
    return value.cast<T>();
}

// The value an edited line gave, as a row of the API table would have returned it.
template<> ApiValue castFromPython<ApiValue>(const py::object &value)
{
    if (py::isinstance<py::bool_>(value))
        return value.cast<bool>();
    if (py::isinstance<py::str>(value))
        return qs(value.cast<std::string>());
    if (py::isinstance<py::dict>(value)) {
        QMap<QString, QString> map;
        for (auto [k, v] : value.cast<py::dict>())
            map.insert(qs(py::str(k)), qs(py::str(v)));
        return map;
    }
    if (py::isinstance<py::tuple>(value) && py::len(value) == 2) {
        const py::tuple pair = value.cast<py::tuple>();
        if (py::isinstance<py::str>(pair[1]))
            return CommandResult { pair[0].cast<int>(),
                QByteArray::fromStdString(pair[1].cast<std::string>()), {} };
        return QSize(pair[0].cast<int>(), pair[1].cast<int>());
    }
    throw py::cast_error("no such result");
}

// A call on the script's own networks that is the machinery's, not the script's: a failure
// raises MachineError, never pauses the workbench.
void networkCall(const std::function<void(RuntimeNetworks *)> &call)
{
    ScriptEngine *e = python::requireEngine();
    QString failure;
    {
        py::gil_scoped_release release;
        try {
            call(e->networks());
            return;
        } catch (const MachineError &error) {
            failure = QString::fromStdString(error.what());
        }
    }
    PyErr_SetString(python::machineError, ss(failure).c_str());
    throw py::error_already_set();
}

template<typename T>
T driverCall(const QString &what, const std::function<T()> &call, const T &skipped = T {})
{
    for (;;) {
        QString failure;
        MachineError::Kind kind = MachineError::Kind::Failed;
        {
            py::gil_scoped_release release;
            ScriptEngine *e = engine();
            if (e)
                e->beforeAction(what);
            try {
                if (e && e->stopRequested())
                    throw MachineError(
                        MachineError::Kind::Cancelled, QStringLiteral("stopped before the call"));
                return call();
            } catch (const MachineError &error) {
                failure = QString::fromStdString(error.what());
                kind = error.kind();
            }
        }
        ScriptEngine *e = engine();
        if (kind == MachineError::Kind::Cancelled || (e && e->stopRequested()))
            raiseStopped();
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
                    return castFromPython<T>(value);
            } catch (const py::cast_error &) {
            }
            return skipped; // a statement gives no value: the call's empty one, as for Skip
        }
        if (choice == ScriptEngine::FailureChoice::Skip)
            return skipped;
        PyErr_SetString(
            kind == MachineError::Kind::Timeout ? python::timeoutError : python::machineError,
            ss(failure).c_str());
        throw py::error_already_set();
    }
}

Machine *machineNamed(const std::string &name)
{
    ScriptEngine *e = engine();
    Machine *m = e ? e->run()->machine(qs(name)) : nullptr;
    if (!m && e)
        m = e->networks()->machine(qs(name));
    if (!m)
        throw py::value_error("there is no machine " + name);
    return m;
}

// A Python argument as the row's type wants it; None takes a Float's default.
QVariant argument(const ApiMethod &method, const ApiArgument &spec, const py::handle &value)
{
    using Type = ApiArgument::Type;
    if (value.is_none() && spec.type == Type::Float && spec.defaultValue.isValid())
        return spec.defaultValue;
    if (value.is_none() && spec.type == Type::OptionalFloat)
        return std::numeric_limits<double>::quiet_NaN();
    if (value.is_none() && spec.type == Type::Region)
        return QRect();
    try {
        switch (spec.type) {
        case Type::Region: {
            const py::sequence parts = value.cast<py::sequence>();
            if (py::len(parts) != 4 || py::isinstance<py::str>(value))
                break;
            return QRect(parts[0].cast<int>(), parts[1].cast<int>(), parts[2].cast<int>(),
                parts[3].cast<int>());
        }
        case Type::String:
            return qs(py::str(value));
        case Type::Int:
            // NixOS formats a port or a coordinate into a command: "8200" works there, so it
            // does here (an integral float too); "eighty" would fail there at run time.
            if (py::isinstance<py::str>(value) || py::isinstance<py::float_>(value)) {
                const py::object number = py::module_::import("builtins").attr("float")(value);
                const double d = number.cast<double>();
                if (std::isfinite(d) && d == std::trunc(d) && std::abs(d) < 1e9)
                    return int(d);
                break;
            }
            return value.cast<int>();
        case Type::Float:
        case Type::OptionalFloat:
            // A timeout as NixOS takes it: any number, or a string of one ("30").
            if (py::isinstance<py::str>(value)) {
                const double d
                    = py::module_::import("builtins").attr("float")(value).cast<double>();
                if (std::isnan(d))
                    break;
                return d;
            }
            return value.cast<double>();
        case Type::Bool:
            return PyObject_IsTrue(value.ptr()) == 1;
        }
    } catch (const py::cast_error &) {
    } catch (const py::error_already_set &error) { // float("eighty")
        if (!error.matches(PyExc_ValueError) && !error.matches(PyExc_TypeError))
            throw;
    }
    const bool text = py::isinstance<py::str>(value);
    throw py::type_error(std::string(method.name) + "(): '" + spec.name + "' must be "
        + (spec.type == Type::Int           ? "an integer (or a string of one)"
                : spec.type == Type::Region ? "None or (x, y, width, height)"
                                            : "a number (or a string of one)")
        + ", not "
        + (text ? std::string(py::repr(value))
                : std::string(py::str(py::type::handle_of(value).attr("__name__")))));
}

// What a row gives back, as the script sees it: output as str, a command as (status, output).
py::object toPython(const ApiValue &value)
{
    struct {
        py::object operator()(std::monostate) const { return py::none(); }
        py::object operator()(bool b) const { return py::bool_(b); }
        py::object operator()(const QString &s) const { return py::str(ss(s)); }
        py::object operator()(const CommandResult &r) const
        {
            // As succeed's text: bytes that are not UTF-8 become U+FFFD, never an error.
            return py::make_tuple(r.status, py::str(ss(QString::fromUtf8(r.stdoutBytes))));
        }
        py::object operator()(const QMap<QString, QString> &map) const
        {
            py::dict d;
            for (auto it = map.cbegin(); it != map.cend(); ++it)
                d[py::str(ss(it.key()))] = ss(it.value());
            return d;
        }
        py::object operator()(const QSize &size) const
        {
            return py::make_tuple(size.width(), size.height());
        }
        py::object operator()(const QStringList &list) const
        {
            py::list items;
            for (const QString &s : list)
                items.append(py::str(ss(s)));
            return items;
        }
        py::object operator()(const QList<QRect> &boxes) const
        {
            py::list items;
            for (const QRect &r : boxes)
                items.append(py::make_tuple(r.x(), r.y(), r.width(), r.height()));
            return items;
        }
        py::object operator()(const QVariantMap &map) const
        {
            if (map.isEmpty())
                return py::none();
            py::dict d;
            for (auto it = map.cbegin(); it != map.cend(); ++it) {
                const QVariant &v = it.value();
                py::object value;
                if (v.typeId() == QMetaType::QPoint)
                    value = py::make_tuple(v.toPoint().x(), v.toPoint().y());
                else if (v.typeId() == QMetaType::Double)
                    value = py::float_(v.toDouble());
                else
                    value = py::int_(v.toInt());
                d[py::str(ss(it.key()))] = value;
            }
            return d;
        }
    } convert;
    return std::visit(convert, value);
}

// The table's dispatcher: call("web", "wait_for_open_port", 80, "localhost", 900.0). driver.py
// binds the script's arguments against the row (names, defaults) before it calls this.
py::object callMethod(const std::string &machine, const std::string &name, const py::args &args)
{
    const ApiMethod *method = machineApiMethod(qs(name));
    if (!method)
        throw py::attribute_error("Machine has no method " + name);
    if (args.size() != method->arguments.size())
        throw py::type_error(name + "() takes " + std::to_string(method->arguments.size())
            + " arguments, " + std::to_string(args.size()) + " given");
    QVariantList values;
    for (size_t i = 0; i < args.size(); ++i)
        values << argument(*method, method->arguments.at(i), args[i]);
    Machine *m = machineNamed(machine);
    const ApiArguments arguments(values);
    if (const QString refusal = kindRefusal(*method, m->spec()); !refusal.isEmpty())
        return toPython(driverCall<ApiValue>(
            qs(machine) + QLatin1Char('.') + qs(name),
            [&]() -> ApiValue { throw MachineError(MachineError::Kind::Usage, refusal); },
            method->skipped));
    if (!method->isAction) {
        ApiValue value;
        {
            py::gil_scoped_release release;
            value = method->call(*m, arguments);
        }
        return toPython(value);
    }
    const ApiValue value = driverCall<ApiValue>(
        qs(machine) + QLatin1Char('.') + qs(name), [&] { return method->call(*m, arguments); },
        method->skipped);
    return toPython(value);
}

// The rows for driver.py: (name, ((argument, default or a marker for required), ...)).
py::list describeApi()
{
    py::list rows;
    py::object required = py::module_::import("inspect").attr("Parameter").attr("empty");
    for (const ApiMethod &method : machineApi()) {
        py::list arguments;
        for (const ApiArgument &a : method.arguments) {
            py::object value = required;
            if (a.defaultValue.isValid()) {
                switch (a.type) {
                case ApiArgument::Type::String:
                    value = py::str(ss(a.defaultValue.toString()));
                    break;
                case ApiArgument::Type::Int:
                    value = py::int_(a.defaultValue.toInt());
                    break;
                case ApiArgument::Type::Float:
                    value = py::float_(a.defaultValue.toDouble());
                    break;
                case ApiArgument::Type::Bool:
                    value = py::bool_(a.defaultValue.toBool());
                    break;
                case ApiArgument::Type::Region:
                case ApiArgument::Type::OptionalFloat:
                    value = py::none();
                    break;
                }
            }
            arguments.append(py::make_tuple(a.name, value));
        }
        rows.append(py::make_tuple(method.name, arguments));
    }
    return rows;
}

LinkUpdate linkUpdate(const py::dict &values)
{
    LinkUpdate update;
    for (auto [key, value] : values) {
        const QString k = qs(py::str(key));
        const LinkField *field = linkField(k);
        if (!field)
            throw py::type_error(
                "unknown link setting '" + ss(k) + "' (known: " + ss(linkFieldKeys()) + ")");
        double number = 0;
        try {
            number = value.cast<double>();
        } catch (const py::cast_error &) {
            throw py::type_error("link setting '" + ss(k) + "' must be a number");
        }
        if (const QString problem = field->check(number); !problem.isEmpty())
            throw py::value_error(ss(problem));
        update.*field->update = number;
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

void defineMachine(py::module_ &m)
{
    m.def("machine_names", [] {
        std::vector<std::string> names;
        if (ScriptEngine *e = engine()) {
            for (const auto &machine : e->run()->machines())
                names.push_back(ss(machine->name()));
        }
        return names;
    });
    m.def("machine_api", &describeApi);
    m.def("memory_floors", [] {
        return std::map<std::string, int> { { "minimal",
                                                MachineSpec::memoryFloorMiB(InitKind::Minimal) },
            { "systemd", MachineSpec::memoryFloorMiB(InitKind::Systemd) } };
    });
    m.def("resource_text", [](const std::string &name) {
        QFile file(QStringLiteral(":/vivarium/script/") + qs(name));
        if (!file.open(QIODevice::ReadOnly))
            throw py::value_error("no resource " + name);
        return ss(QString::fromUtf8(file.readAll()));
    });
    // Networks made at run time (vivarium.stateful): test-file text in, machine names out.
    m.def("network_create", [](const std::string &label, const std::string &toml) {
        ScriptEngine *e = engine();
        if (!e)
            throw py::value_error("no script runs");
        QStringList names;
        QString error;
        {
            py::gil_scoped_release release;
            try {
                names = e->networks()->create(qs(label), qs(toml));
            } catch (const MachineError &failure) {
                error = QString::fromStdString(failure.what());
            }
        }
        if (!error.isEmpty()) // bad text: the loader's message, as for a test file
            throw py::value_error(ss(error));
        std::vector<std::string> out;
        for (const QString &n : names)
            out.push_back(ss(n));
        return out;
    });
    // add_machine(): a machine joins the running test (TestRun::addMachine).
    m.def("machine_add", [](const std::string &name, const std::string &keys) {
        driverCall<int>(QStringLiteral("add_machine"), [&] {
            ScriptEngine *e = engine();
            if (!e)
                throw MachineError(MachineError::Kind::Usage, QStringLiteral("no script runs"));
            if (e->networks()->machine(qs(name)))
                throw MachineError(MachineError::Kind::Usage,
                    QStringLiteral("add_machine(\"%1\"): machine name '%1' is taken by a "
                                   "machine of a network the script made")
                        .arg(qs(name)));
            e->run()->addMachine(qs(name), QByteArray::fromStdString(keys));
            return 0;
        });
    });
    m.def("network_destroy", [](const std::string &label) {
        ScriptEngine *e = engine();
        if (!e)
            throw py::value_error("no script runs");
        py::gil_scoped_release release;
        e->networks()->destroy(qs(label));
    });
    // With [coverage]: what the networks destroyed since the last call ran, {"lines",
    // "branches", "new_lines", "new_branches", "total_lines", "total_branches"} (new: no
    // earlier network ran it; total: every network so far), for vivarium.stateful's guidance;
    // None when none was destroyed with coverage.
    m.def("network_coverage", []() -> py::object {
        ScriptEngine *e = engine();
        if (!e)
            throw py::value_error("no script runs");
        const std::optional<CoverageFrontier::Added> added = e->networks()->takeAdded();
        if (!added)
            return py::none();
        py::dict result;
        result["lines"] = added->lines;
        result["branches"] = added->branches;
        result["new_lines"] = added->newLines;
        result["new_branches"] = added->newBranches;
        result["total_lines"] = e->networks()->coverage().lines();
        result["total_branches"] = e->networks()->coverage().branches();
        return result;
    });
    // A network's snapshots, for vivarium.stateful's examples that fork from an earlier one
    // (RuntimeNetworks): raise MachineError saying why not.
    m.def("network_snapshot", [](const std::string &label, const std::string &name) {
        bool taken = false;
        networkCall([&](RuntimeNetworks *n) { taken = n->snapshot(qs(label), qs(name)); });
        return taken;
    });
    m.def("network_rewind", [](const std::string &label, const std::string &name) {
        networkCall([&](RuntimeNetworks *n) { n->rewind(qs(label), qs(name)); });
    });
    m.def("network_park", [](const std::string &label) {
        networkCall([&](RuntimeNetworks *n) { n->park(qs(label)); });
    });
    m.def("network_unpark", [](const std::string &label) {
        networkCall([&](RuntimeNetworks *n) { n->unpark(qs(label)); });
    });
    m.def("network_delete_snapshot", [](const std::string &label, const std::string &name) {
        networkCall([&](RuntimeNetworks *n) { n->deleteSnapshot(qs(label), qs(name)); });
    });
    // snapshot_all()/restore_all(): the network at one instant (TestRun).
    m.def("snapshot_all", [](const std::string &name) {
        driverCall<int>(QStringLiteral("snapshot_all"), [&] {
            python::requireEngine()->run()->snapshotAll(qs(name));
            return 0;
        });
    });
    m.def("restore_all", [](const std::string &name, const std::string &clock) {
        driverCall<int>(QStringLiteral("restore_all"), [&] {
            python::requireEngine()->run()->restoreAll(qs(name), hostClock(qs(clock)));
            return 0;
        });
    });
    m.def("call", &callMethod);
    // Calls that are not one row: a dict of link settings, QMP events by index.
    m.def("set_link", [](const std::string &n, int vlan, const py::dict &values) {
        const LinkUpdate update = linkUpdate(values);
        driverCall<int>(qs(n) + QStringLiteral(".set_link"), [&] {
            machineNamed(n)->setLink(vlan, update);
            return 0;
        });
    });
    m.def("qmp_event_count",
        [](const std::string &n) { return qint64(machineNamed(n)->qmpEventCount()); });
    m.def("next_qmp_event", [](const std::string &n, qint64 next, double timeout) {
        qsizetype index = next;
        const QJsonObject event
            = driverCall<QJsonObject>(qs(n) + QStringLiteral(".wait_for_qmp_event"),
                [&] { return machineNamed(n)->nextQmpEvent(&index, timeout); });
        const std::string json = QJsonDocument(event).toJson(QJsonDocument::Compact).toStdString();
        return std::make_pair(py::module_::import("json").attr("loads")(json), qint64(index));
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
    const auto voidCall = [](const QString &what, const std::function<void()> &call) {
        driverCall<int>(what, [&] {
            call();
            return 0;
        });
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
        voidCall(
            QStringLiteral("vlan%1.set_link").arg(vlan), [&] { network()->setVlan(vlan, update); });
    });
    m.def("vlan_capture", [=](int vlan) {
        return driverCall<std::string>(QStringLiteral("vlan%1.capture").arg(vlan),
            [&] { return ss(network()->startCapture(vlan)); });
    });
    m.def("vlan_stop_capture", [=](int vlan) {
        voidCall(
            QStringLiteral("vlan%1.stop_capture").arg(vlan), [&] { network()->stopCapture(vlan); });
    });
    m.def("link", [=](const std::string &machine, int vlan) {
        // A machine of a network the script made is on that network.
        Network *own = engine() ? engine()->networks()->networkOf(qs(machine)) : nullptr;
        return linkDict(driverCall<LinkState>(QStringLiteral("link"),
            [&] { return (own ? own : network())->link(qs(machine), vlan); }));
    });
}

void post(const Event &event)
{
    if (ScriptEngine *e = engine())
        e->run()->events()->post(event);
}

// vivarium.stateful's settings (the test file's [property] and the command line) and events.
void defineProperties(py::module_ &m)
{
    m.def("property_settings", [] {
        py::dict d;
        if (!engine())
            return d;
        const PropertySettings &p = engine()->run()->spec().property;
        if (p.examples)
            d["examples"] = *p.examples;
        if (p.steps)
            d["steps"] = *p.steps;
        if (p.seed)
            d["seed"] = *p.seed;
        if (p.derandomize)
            d["derandomize"] = *p.derandomize;
        if (p.forks)
            d["forks"] = *p.forks;
        if (p.guided)
            d["guided"] = *p.guided;
        if (p.replay)
            d["replay"] = true;
        return d;
    });
    m.def("property_started",
        [](const std::string &name, int examples, int steps, const std::string &seed,
            const std::string &mode) {
            post(event::PropertyStarted { qs(name), examples, steps, qs(seed), qs(mode) });
        });
    m.def("property_step",
        [](const std::string &property, int example, const std::string &phase, int index,
            const std::string &step) {
            post(event::PropertyStep { qs(property), example, qs(phase), index, qs(step) });
        });
    const auto list = [](const std::vector<std::string> &items) {
        QStringList out;
        for (const std::string &item : items)
            out << qs(item);
        return out;
    };
    m.def(
        "property_example",
        [list](const std::string &property, int example, const std::string &phase,
            const std::string &network, const std::vector<std::string> &steps, bool passed,
            const std::string &message, double seconds, const std::string &coverage) {
            post(event::PropertyExample { qs(property), example, qs(phase), qs(network),
                list(steps), passed, qs(message), qint64(seconds * 1000), qs(coverage) });
        },
        py::arg("property"), py::arg("example"), py::arg("phase"), py::arg("network"),
        py::arg("steps"), py::arg("passed"), py::arg("message"), py::arg("seconds"),
        py::arg("coverage") = std::string());
    m.def(
        "property_finished",
        [list](const std::string &name, bool passed, int examples, int failing,
            const std::string &seed, const std::string &network,
            const std::vector<std::string> &steps, const std::string &regression,
            const std::string &message, double seconds, const std::vector<std::string> &rules) {
            post(event::PropertyFinished { qs(name), passed, examples, failing, qs(seed),
                qs(network), list(steps), qs(regression), qs(message), qint64(seconds * 1000),
                list(rules) });
        },
        py::arg("name"), py::arg("passed"), py::arg("examples"), py::arg("failing"),
        py::arg("seed"), py::arg("network"), py::arg("steps"), py::arg("regression"),
        py::arg("message"), py::arg("seconds"), py::arg("rules") = std::vector<std::string>());
}

void defineRunner(py::module_ &m)
{
    m.def("log", [](const std::string &text) { post(event::Log { qs(text) }); });
    m.def("subtest_started", [](const std::string &name) {
        const ScriptLocation &here = ScriptLocation::current();
        post(event::SubtestStarted { qs(name), here.file, here.line });
    });
    m.def("subtest_finished",
        [](const std::string &name, bool passed, const std::string &message, double seconds) {
            post(event::SubtestFinished { qs(name), passed, qs(message), qint64(seconds * 1000) });
        });
    // Also the scripts' time.sleep (driver.py): a stop or the global timeout ends it at once.
    m.def("sleep", [](double seconds) {
        if (!(seconds >= 0))
            throw py::value_error("sleep length must be non-negative");
        bool completed = true;
        {
            py::gil_scoped_release release;
            if (ScriptEngine *e = engine())
                completed = e->sleep(seconds);
            else
                std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        }
        if (!completed)
            raiseStopped();
    });
    m.def("serial_stdout", [](bool on) { post(event::SerialStdout { on }); });
    m.def("stop_script", [] {
        py::gil_scoped_release release;
        if (ScriptEngine *e = engine())
            e->stop();
    });
    defineProperties(m);
    m.def("output_dir", [] { return engine() ? ss(engine()->run()->outDir()) : std::string(); });
    m.def("test_name", [] { return engine() ? ss(engine()->run()->spec().name) : std::string(); });
    m.def("script_file",
        [] { return engine() ? ss(engine()->run()->spec().script) : std::string(); });
}

} // namespace

} // namespace vivarium

PYBIND11_EMBEDDED_MODULE(_vivarium, m)
{
    using namespace vivarium;
    python::machineError = PyErr_NewException("vivarium.MachineError", PyExc_Exception, nullptr);
    python::timeoutError = PyErr_NewException("vivarium.Timeout", python::machineError, nullptr);
    // Not an Exception: `except Exception` in a script does not swallow Stop.
    python::stopped = PyErr_NewException("vivarium.Stopped", PyExc_BaseException, nullptr);
    m.attr("MachineError") = py::handle(python::machineError);
    m.attr("Timeout") = py::handle(python::timeoutError);
    m.attr("Stopped") = py::handle(python::stopped);
    defineMachine(m);
    defineNetwork(m);
    defineRunner(m);
    python::defineJournal(m);
}
