#include "core/script/scriptstubs.h"

#include "core/script/machineapi.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <variant>

// The resources live in a static library: register them before the first use.
static void initScriptResources()
{
    Q_INIT_RESOURCE(script);
}

namespace vivarium {

namespace {

// How a row's argument is typed: as NixOS takes it (docs/script-api.md, the type rules).
QString pythonType(ApiArgument::Type type)
{
    switch (type) {
    case ApiArgument::Type::String:
        return QStringLiteral("object");
    case ApiArgument::Type::Int:
        return QStringLiteral("int | str");
    case ApiArgument::Type::Float:
    case ApiArgument::Type::OptionalFloat:
        return QStringLiteral("float | str | None");
    case ApiArgument::Type::Bool:
        return QStringLiteral("object");
    case ApiArgument::Type::Region:
        return QStringLiteral("tuple[int, int, int, int] | None");
    }
    return QStringLiteral("Any");
}

// What a row gives back, from the empty value of its type it returns for a skipped failure.
QString returnType(const ApiMethod &method)
{
    struct {
        QString operator()(std::monostate) const { return QStringLiteral("None"); }
        QString operator()(bool) const { return QStringLiteral("bool"); }
        QString operator()(const QString &) const { return QStringLiteral("str"); }
        QString operator()(const CommandResult &) const
        {
            return QStringLiteral("tuple[int, str]");
        }
        QString operator()(const QMap<QString, QString> &) const
        {
            return QStringLiteral("dict[str, str]");
        }
        QString operator()(const QSize &) const { return QStringLiteral("tuple[int, int]"); }
        QString operator()(const QStringList &) const { return QStringLiteral("list[str]"); }
        QString operator()(const QList<QRect> &) const
        {
            return QStringLiteral("list[tuple[int, int, int, int]]");
        }
        QString operator()(const QVariantMap &) const
        {
            return QStringLiteral("dict[str, Any] | None");
        }
    } visitor;
    return std::visit(visitor, method.skipped);
}

// driver.py's own Machine methods (genuinely Python: several commands, user units, retries).
const char *const driverMethods = R"(    def start(self, allow_reboot: bool = ...) -> None: ...
    def sleep(self, secs: float | int | str) -> None: ...
    def log(self, message: object) -> None: ...
    def nested(self, message: object, attrs: Any = ...) -> ContextManager[None]: ...
    def execute(self, command: object, check_return: bool = ..., check_output: bool = ..., timeout: float | str | None = ...) -> tuple[int, str]: ...
    def succeed(self, *commands: object, timeout: float | str | None = ...) -> str: ...
    def fail(self, *commands: object, timeout: float | str | None = ...) -> str: ...
    def systemctl(self, q: object, user: str | None = ...) -> tuple[int, str]: ...
    def start_job(self, jobname: object, user: str | None = ...) -> tuple[int, str]: ...
    def stop_job(self, jobname: object, user: str | None = ...) -> tuple[int, str]: ...
    def get_unit_info(self, unit: object, user: str | None = ...) -> dict[str, str]: ...
    def get_unit_property(self, unit: object, property: str, user: str | None = ...) -> str: ...
    def wait_for_unit(self, unit: object, user: str | None = ..., timeout: float | str | None = ...) -> None: ...
    def wait_for_qmp_event(self, event_filter: Callable[[dict[str, Any]], bool], timeout: float = ...) -> dict[str, Any]: ...
    def send_key(self, key: object, delay: float | None = ..., log: bool = ...) -> None: ...
    def send_chars(self, chars: object, delay: float | None = ...) -> None: ...
    def get_tty_text(self, tty: int | str) -> str: ...
    def wait_until_tty_matches(self, tty: int | str, regexp: str, timeout: float | str | None = ...) -> None: ...
    def wait_for_window(self, regexp: str, timeout: float | str | None = ...) -> None: ...
    def set_link(self, vlan: int, **settings: float) -> None: ...
    def link(self, vlan: int) -> dict[str, Any]: ...
    def copy_from_host_via_shell(self, source: str, target: str) -> None: ...
    def copy_from_vm(self, source: object, target_dir: object = ...) -> str: ...
    def snapshot(self, name: str) -> None: ...
    def restore(self, name: str) -> None: ...
)";

const char *const globals = R"(
class Vlan:
    nr: int
    @property
    def machines(self) -> list[Machine]: ...
    def set_link(self, **settings: float) -> None: ...
    def capture(self) -> str: ...
    def stop_capture(self) -> None: ...

class _Log:
    def log(self, message: object, attributes: Any = ...) -> None: ...
    def info(self, message: object, attributes: Any = ...) -> None: ...
    def warning(self, message: object, attributes: Any = ...) -> None: ...
    def error(self, message: object, attributes: Any = ...) -> None: ...
    def nested(self, message: object, attributes: Any = ...) -> ContextManager[None]: ...

class PollingCondition:
    def check(self, force: bool = ...) -> bool: ...
    def wait(self, timeout: float = ...) -> None: ...
    def __enter__(self) -> PollingCondition: ...
    def __exit__(self, *args: Any) -> None: ...

class _Driver:
    machines: list[Machine]
    vlans: list[Vlan]
    def start_all(self) -> None: ...
    def join_all(self) -> None: ...
    def snapshot_all(self, name: str) -> None: ...
    def restore_all(self, name: str, clock: str = ...) -> None: ...
    def test_script(self) -> None: ...
    def run_tests(self) -> None: ...

machines: list[Machine]
vlans: list[Vlan]
log: _Log
driver: _Driver
t: unittest.TestCase
def start_all() -> None: ...
def join_all() -> None: ...
def snapshot_all(name: str) -> None: ...
def checkpoint(label: str | None = ...) -> bool: ...
def restore_all(name: str, clock: str = ...) -> None: ...
def retry(fn: Callable[[bool], Any], timeout: float | int = ...) -> None: ...
def subtest(name: str) -> ContextManager[None]: ...
def serial_stdout_on() -> None: ...
def serial_stdout_off() -> None: ...
def polling_condition(fun_: Callable[[], Any] | None = ..., *, seconds_interval: float = ..., description: str | None = ...) -> Any: ...
def add_machine(name: str, **keys: Any) -> Machine: ...
def create_machine(*args: Any, **kwargs: Any) -> NoReturn: ...
def test_script() -> None: ...
def run_tests() -> None: ...
def debug(*args: Any, **kwargs: Any) -> NoReturn: ...
def dump_machine_ssh(*args: Any, **kwargs: Any) -> NoReturn: ...
)";

} // namespace

namespace {

// driver.py's own methods that need what only a VM has (a screen, ttys, snapshots).
const QStringList vmOnlyDriverMethods { QStringLiteral("send_key"), QStringLiteral("send_chars"),
    QStringLiteral("get_tty_text"), QStringLiteral("wait_until_tty_matches"),
    QStringLiteral("wait_for_window"), QStringLiteral("snapshot"), QStringLiteral("restore") };

// The methods of a machine class: driver.py's own, then the API table's rows; a container's
// leave out what only a VM has, so `--check` finds such a call at its line before the run.
QString machineMethods(bool container)
{
    QString stub;
    static const QRegularExpression def(QStringLiteral("def (\\w+)\\("));
    QStringList own;
    for (const QString &line : QString::fromUtf8(driverMethods).split(QLatin1Char('\n'))) {
        const QRegularExpressionMatch match = def.match(line);
        if (!match.hasMatch())
            continue;
        own << match.captured(1);
        if (!container || !vmOnlyDriverMethods.contains(match.captured(1)))
            stub += line + QLatin1Char('\n');
    }
    for (const ApiMethod &method : machineApi()) {
        const QString name = QString::fromLatin1(method.name);
        if (own.contains(name) || (container && method.vmOnly))
            continue;
        QStringList parameters { QStringLiteral("self") };
        for (const ApiArgument &a : method.arguments)
            parameters << QStringLiteral("%1: %2%3")
                              .arg(QString::fromLatin1(a.name), pythonType(a.type),
                                  a.defaultValue.isValid() ? QStringLiteral(" = ...") : QString());
        stub += QStringLiteral("    def %1(%2) -> %3: ...\n")
                    .arg(name, parameters.join(QStringLiteral(", ")), returnType(method));
    }
    return stub;
}

} // namespace

QString driverStub()
{
    QString stub = QStringLiteral(
        "# Vivarium's script globals, generated from its API table (vivarium-test --stubs).\n"
        "from typing import Any, Callable, ContextManager, NoReturn\n"
        // The modules scripts get unimported, re-exported (a stub's plain import is not).
        "import base64 as base64, json as json, os as os, pathlib as pathlib, re as re\n"
        "import shlex as shlex, shutil as shutil, subprocess as subprocess, sys as sys\n"
        "import tempfile as tempfile, time as time, unittest\n\n"
        "class MachineError(Exception): ...\n"
        "class Timeout(MachineError): ...\n"
        "class Stopped(BaseException): ...\n\n"
        "class Machine:\n"
        "    name: str\n"
        "    def __init__(self, name: str) -> None: ...\n");
    stub += machineMethods(false);
    // A machine with kind = "container": what it has not is no attribute of it.
    stub += QStringLiteral("\nclass Container:\n    name: str\n");
    stub += machineMethods(true);
    stub += QString::fromUtf8(globals);
    return stub;
}

QString scriptPrelude(const TestSpec &spec)
{
    QString prelude = QStringLiteral("from vivarium_driver import *  # noqa\n");
    const auto type = [](const MachineSpec &m) {
        return m.kind == MachineKind::Container ? QStringLiteral("Container")
                                                : QStringLiteral("Machine");
    };
    for (const MachineSpec &m : spec.machines)
        prelude += m.pythonName() + QStringLiteral(": ") + type(m) + QLatin1Char('\n');
    if (spec.machines.size() == 1)
        prelude += QStringLiteral("machine: ") + type(spec.machines.first()) + QLatin1Char('\n');
    QList<int> vlans;
    for (const MachineSpec &m : spec.machines)
        for (int v : m.vlans)
            if (!vlans.contains(v))
                vlans << v;
    for (int v : std::as_const(vlans))
        prelude += QStringLiteral("vlan%1: Vlan\n").arg(v);
    return prelude;
}

QList<ScriptFinding> checkScript(const TestSpec &spec, QString *error)
{
    if (spec.script.isEmpty()) {
        *error = QStringLiteral("the test has no script to check");
        return {};
    }
    QFile script(spec.script);
    if (!script.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(spec.script, script.errorString());
        return {};
    }
    return checkScriptText(spec, QString::fromUtf8(script.readAll()), error);
}

QList<ScriptFinding> checkScriptText(const TestSpec &spec, const QString &text, QString *error)
{
    QList<ScriptFinding> findings;
    const QString mypy = QStandardPaths::findExecutable(QStringLiteral("mypy"));
    if (mypy.isEmpty()) {
        *error = QStringLiteral("mypy is not installed (apt-get install mypy)");
        return findings;
    }
    QTemporaryDir dir;
    const QString prelude = scriptPrelude(spec);
    const int offset = int(prelude.count(QLatin1Char('\n')));
    const QString checked = dir.filePath(QStringLiteral("script.py"));
    QFile stub(dir.filePath(QStringLiteral("vivarium_driver.pyi")));
    QFile source(checked);
    if (!stub.open(QIODevice::WriteOnly) || !source.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write the stubs in %1").arg(dir.path());
        return findings;
    }
    stub.write(driverStub().toUtf8());
    stub.close();
    // The property-based modules as they run (vivarium.stateful and the rest): mypy reads
    // their signatures, so a wrong call into them is a finding too.
    initScriptResources();
    QDir(dir.path()).mkdir(QStringLiteral("vivarium"));
    QFile(dir.filePath(QStringLiteral("vivarium/__init__.py"))).open(QIODevice::WriteOnly);
    for (const char *module :
        { "stateful", "statemachine", "rules", "parallel", "tomltext", "forks" }) {
        const QString name = QLatin1String(module) + QStringLiteral(".py");
        QFile::copy(QStringLiteral(":/vivarium/script/") + name,
            dir.filePath(QStringLiteral("vivarium/") + name));
    }
    source.write(prelude.toUtf8() + text.toUtf8());
    source.close();
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("MYPYPATH"), dir.path());
    process.setProcessEnvironment(env);
    process.setWorkingDirectory(dir.path());
    process.start(mypy,
        { QStringLiteral("--no-error-summary"), QStringLiteral("--show-column-numbers"),
            QStringLiteral("--ignore-missing-imports"), QStringLiteral("--follow-imports=silent"),
            QStringLiteral("--check-untyped-defs"), QStringLiteral("--no-incremental"),
            QStringLiteral("--python-version"), QStringLiteral("3.11"),
            QStringLiteral("script.py") });
    if (!process.waitForFinished(300000)) {
        *error = QStringLiteral("mypy did not finish: ") + process.errorString();
        return findings;
    }
    // "script.py:12:5: error: message  [code]"
    static const QRegularExpression line(
        QStringLiteral("^script\\.py:(\\d+):(\\d+): (error|note|warning): (.*)$"));
    for (const QString &l :
        QString::fromUtf8(process.readAllStandardOutput()).split(QLatin1Char('\n'))) {
        const QRegularExpressionMatch m = line.match(l);
        if (!m.hasMatch())
            continue;
        const int at = m.captured(1).toInt() - offset;
        if (at < 1)
            continue; // the prelude's own: never the user's
        findings.append({ at, m.captured(2).toInt(), m.captured(3), m.captured(4) });
    }
    if (process.exitCode() > 1) // 1: findings; 2: mypy could not run
        *error = QStringLiteral("mypy failed: ")
            + QString::fromUtf8(process.readAllStandardError()).trimmed();
    return findings;
}

} // namespace vivarium
