#include "core/script/machineapi.h"

#include <algorithm>
#include <iterator>
#include <type_traits>

namespace vivarium {

// restore()'s clock: "snapshot" (the guest's clock is the snapshot's) or "host" (it jumps to
// the host's time).
bool hostClock(const QString &clock)
{
    if (clock != QLatin1String("snapshot") && clock != QLatin1String("host"))
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("restore(): clock is \"snapshot\" or \"host\", not \"%1\"").arg(clock));
    return clock == QLatin1String("host");
}

namespace {

using Type = ApiArgument::Type;

ApiArgument text(const char *name)
{
    return { name, Type::String };
}

ApiArgument timeout(double seconds = Machine::defaultTimeout)
{
    return { "timeout", Type::Float, seconds };
}

// A row from a call that returns what the script gets (nothing, text, a command's result...):
// what a skipped failure returns is that type's empty value.
template<typename F>
ApiMethod row(const char *name, std::vector<ApiArgument> arguments, F call, bool isAction = true)
{
    using Result = std::invoke_result_t<F, Machine &, const ApiArguments &>;
    ApiMethod method { name, std::move(arguments), {}, isAction, {} };
    if constexpr (std::is_void_v<Result>) {
        method.call = [call](Machine &m, const ApiArguments &a) -> ApiValue {
            call(m, a);
            return {};
        };
    } else {
        method.call = [call](Machine &m, const ApiArguments &a) -> ApiValue { return call(m, a); };
        method.skipped = Result {};
    }
    return method;
}

// The rows: the NixOS test driver's machine methods that need nothing but their C++, then
// Vivarium's own. Keep the order of docs/script-api.md.
std::vector<ApiMethod> makeApi()
{
    using A = const ApiArguments &;
    const ApiArgument port { "port", Type::Int };
    const ApiArgument addr { "addr", Type::String, QStringLiteral("localhost") };
    const ApiArgument vlan { "vlan", Type::Int };
    const ApiArgument region { "region", Type::Region, QRect() };
    const ApiArgument threshold { "threshold", Type::OptionalFloat, QVariant::fromValue(0.0) };
    const ApiArgument x { "x", Type::Int };
    const ApiArgument y { "y", Type::Int };
    return {
        // Life cycle
        row("start", {}, [](Machine &m, A) { m.start(); }),
        row("wait_for_ready", { timeout() }, [](Machine &m, A a) { m.waitForReady(a.number(0)); }),
        row(
            "is_up", {}, [](Machine &m, A) { return m.isUp(); }, false),
        row("shutdown", { timeout() }, [](Machine &m, A a) { m.shutdown(a.number(0)); }),
        row("crash", {}, [](Machine &m, A) { m.crash(); }),
        row("reboot", {}, [](Machine &m, A) { m.reboot(); }),
        row("pause", {}, [](Machine &m, A) { m.pause(); }),
        row("resume", {}, [](Machine &m, A) { m.resume(); }),
        row("wait_for_shutdown", { timeout() },
            [](Machine &m, A a) { m.waitForShutdown(a.number(0)); }),
        // Commands (execute, succeed and fail are driver.py's, over these rows)
        row("execute", { text("command"), timeout() },
            [](Machine &m, A a) { return m.execute(a.string(0), a.number(1)); }),
        row("succeed", { text("command"), timeout() },
            [](Machine &m, A a) { return m.succeed(a.string(0), a.number(1)); }),
        row("fail", { text("command"), timeout() },
            [](Machine &m, A a) { return m.fail(a.string(0), a.number(1)); }),
        row("wait_until_succeeds", { text("command"), timeout() },
            [](Machine &m, A a) { return m.waitUntilSucceeds(a.string(0), a.number(1)); }),
        row("wait_until_fails", { text("command"), timeout() },
            [](Machine &m, A a) { return m.waitUntilFails(a.string(0), a.number(1)); }),
        // systemd (the user= variants are driver.py's)
        row("systemctl", { text("q") }, [](Machine &m, A a) { return m.systemctl(a.string(0)); }),
        row("get_unit_info", { text("unit") },
            [](Machine &m, A a) { return m.getUnitInfo(a.string(0)); }),
        row("get_unit_property", { text("unit"), text("property") },
            [](Machine &m, A a) { return m.getUnitProperty(a.string(0), a.string(1)); }),
        row("require_unit_state",
            { text("unit"), { "require_state", Type::String, QStringLiteral("active") } },
            [](Machine &m, A a) { m.requireUnitState(a.string(0), a.string(1)); }),
        row("wait_for_unit", { text("unit"), timeout() },
            [](Machine &m, A a) { m.waitForUnit(a.string(0), a.number(1)); }),
        // Waiting for things
        row("wait_for_file", { text("filename"), timeout() },
            [](Machine &m, A a) { m.waitForFile(a.string(0), a.number(1)); }),
        row("wait_for_open_port", { port, addr, timeout() },
            [](Machine &m, A a) { m.waitForOpenPort(a.integer(0), a.string(1), a.number(2)); }),
        row("wait_for_closed_port", { port, addr, timeout() },
            [](Machine &m, A a) { m.waitForClosedPort(a.integer(0), a.string(1), a.number(2)); }),
        row("wait_for_open_unix_socket",
            { text("addr"), { "is_datagram", Type::Bool, false }, timeout() },
            [](Machine &m, A a) {
                m.waitForOpenUnixSocket(a.string(0), a.boolean(1), a.number(2));
            }),
        // Consoles and QEMU
        row("wait_for_console_text", { text("regex"), timeout() },
            [](Machine &m, A a) { return m.waitForConsoleText(a.string(0), a.number(1)); }),
        row(
            "get_console_log", {}, [](Machine &m, A) { return m.getConsoleLog(); }, false),
        row("send_console", { text("chars") }, [](Machine &m, A a) { m.sendConsole(a.string(0)); }),
        row("send_monitor_command", { text("command") },
            [](Machine &m, A a) { return m.sendMonitorCommand(a.string(0)); }),
        // Snapshots (root = "image"; snapshot_all/restore_all: driver.py)
        row("snapshot", { text("name") }, [](Machine &m, A a) { m.snapshot(a.string(0)); }),
        row("restore", { text("name"), { "clock", Type::String, QStringLiteral("snapshot") } },
            [](Machine &m, A a) { m.restore(a.string(0), hostClock(a.string(1))); }),
        row(
            "snapshots", {}, [](Machine &m, A) { return m.snapshots(); }, false),
        row("delete_snapshot", { text("name") },
            [](Machine &m, A a) { m.deleteSnapshot(a.string(0)); }),
        // Keyboard and screen (driver.py's send_key sleeps after the key)
        row("send_key", { text("key") }, [](Machine &m, A a) { m.sendKey(a.string(0)); }),
        row("send_chars", { text("chars"), { "delay", Type::Float, 0.01 } },
            [](Machine &m, A a) { m.sendChars(a.string(0), a.number(1)); }),
        row("screenshot", { text("filename") },
            [](Machine &m, A a) { return m.screenshot(a.string(0)); }),
        row("get_screen_size", {}, [](Machine &m, A) { return m.screenSize(); }),
        // Desktops, OCR, needles and the mouse (wait_for_window: driver.py)
        row("wait_for_x", { timeout() }, [](Machine &m, A a) { m.waitForX(a.number(0)); }),
        row("get_window_names", { { "visible", Type::Bool, false } },
            [](Machine &m, A a) {
                return m.windowNames(
                    a.boolean(0) ? Machine::Windows::Visible : Machine::Windows::All);
            }),
        row("get_screen_text", { region },
            [](Machine &m, A a) { return m.getScreenText(a.region(0)); }),
        row("get_screen_text_variants", { region },
            [](Machine &m, A a) { return m.getScreenTextVariants(a.region(0)); }),
        row("wait_for_text", { text("regex"), timeout() },
            [](Machine &m, A a) { m.waitForText(a.string(0), a.number(1)); }),
        row("find_text", { text("regex"), region },
            [](Machine &m, A a) { return m.findText(a.string(0), a.region(1)); }),
        row("match_screen", { text("needle"), threshold },
            [](Machine &m, A a) { return m.matchScreen(a.string(0), a.number(1)); }),
        row("wait_for_screen", { text("needle"), timeout(), threshold },
            [](Machine &m, A a) { return m.waitForScreen(a.string(0), a.number(1), a.number(2)); }),
        row("mouse_move", { x, y },
            [](Machine &m, A a) { m.mouseMove(a.integer(0), a.integer(1)); }),
        row("mouse_click", { x, y, { "button", Type::String, QStringLiteral("left") } },
            [](Machine &m, A a) { m.mouseClick(a.integer(0), a.integer(1), a.string(2)); }),
        row("click_text", { text("regex"), timeout() },
            [](Machine &m, A a) { return m.clickText(a.string(0), a.number(1)); }),
        row("click_needle", { text("needle"), timeout(), threshold },
            [](Machine &m, A a) { return m.clickNeedle(a.string(0), a.number(1), a.number(2)); }),
        // Networks (set_link is driver.py's: keyword arguments)
        row("forward_port", { { "host_port", Type::Int, 8080 }, { "guest_port", Type::Int, 80 } },
            [](Machine &m, A a) { m.forwardPort(a.integer(0), a.integer(1)); }),
        row("block", {}, [](Machine &m, A) { m.block(); }),
        row("unblock", {}, [](Machine &m, A) { m.unblock(); }),
        row("capture", { vlan }, [](Machine &m, A a) { return m.capture(a.integer(0)); }),
        row("stop_capture", { vlan }, [](Machine &m, A a) { m.stopCapture(a.integer(0)); }),
        // Files
        row("copy_from_host", { text("source"), text("target") },
            [](Machine &m, A a) { m.copyFromHost(a.string(0), a.string(1)); }),
        row("copy_from_machine", { text("source"), { "target_dir", Type::String, QString() } },
            [](Machine &m, A a) { return m.copyFromMachine(a.string(0), a.string(1)); }),
    };
}

// What each kind lacks: a container has the host's kernel, no screen and no QEMU.
std::vector<ApiMethod> withKinds(std::vector<ApiMethod> api)
{
    static const char *const screen[] = { "send_key", "send_chars", "screenshot", "get_screen_size",
        "wait_for_x", "get_window_names", "get_screen_text", "get_screen_text_variants",
        "wait_for_text", "find_text", "match_screen", "wait_for_screen", "mouse_move",
        "mouse_click", "click_text", "click_needle" };
    for (ApiMethod &method : api) {
        const QLatin1String name(method.name);
        if (std::any_of(std::begin(screen), std::end(screen),
                [&](const char *s) { return name == QLatin1String(s); }))
            method.vmOnly = "screen";
        else if (name == QLatin1String("send_monitor_command"))
            method.vmOnly = "QEMU monitor";
        else if (name == QLatin1String("snapshot") || name == QLatin1String("restore")
            || name == QLatin1String("delete_snapshot"))
            method.vmOnly = "snapshots";
    }
    return api;
}

} // namespace

const std::vector<ApiMethod> &machineApi()
{
    static const std::vector<ApiMethod> api = withKinds(makeApi());
    return api;
}

QString kindRefusal(const ApiMethod &method, const MachineSpec &machine)
{
    if (!method.vmOnly || machine.kind != MachineKind::Container)
        return {};
    return QStringLiteral("machine %1 is a container (kind = \"container\"): it has no %2, "
                          "which %3() needs; make it a VM (kind = \"vm\")")
        .arg(machine.name, QLatin1String(method.vmOnly), QLatin1String(method.name));
}

const ApiMethod *machineApiMethod(const QString &name)
{
    for (const ApiMethod &method : machineApi()) {
        if (name == QLatin1String(method.name))
            return &method;
    }
    return nullptr;
}

} // namespace vivarium
