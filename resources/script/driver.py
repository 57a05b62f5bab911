# Vivarium's script globals: the NixOS test driver's API over the _vivarium module.
# Executed into each script's globals before the script; names starting with _vivarium are
# Vivarium's plumbing.
import _vivarium
import contextlib as _contextlib
import importlib.util as _importlib_util
import pickle as _pickle
import re as _re
import sys as _sys
import time as _time
import unittest as _unittest

MachineError = _vivarium.MachineError
Timeout = _vivarium.Timeout
Stopped = _vivarium.Stopped

_DEFAULT_TIMEOUT = 900


class _Log:
    """The driver's logger: log.info(...), log.nested(...)."""

    def log(self, message, attributes=None):
        _vivarium.log(str(message))

    info = warning = error = log

    @_contextlib.contextmanager
    def nested(self, message, attributes=None):
        _vivarium.log(str(message))
        yield


log = _Log()


class _ScriptOutput:
    """sys.stdout of a script: each line becomes a log event."""

    def __init__(self):
        self._pending = ""

    def write(self, text):
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            _vivarium.log(line)
        return len(text)

    def flush(self):
        if self._pending:
            _vivarium.log(self._pending)
            self._pending = ""


_RECORDED_ERRORS = {"MachineError": MachineError, "Timeout": Timeout, "TypeError": TypeError,
                    "ValueError": ValueError}


def _recorded_answer(value, error_type, message):
    """What a recorded driver call gave, given back: its value (pickled), or the error it raised
    (the call journal's replay here, vivarium.forks' record of a property's examples)."""
    if error_type:
        raise _RECORDED_ERRORS.get(error_type, MachineError)(message)
    return _pickle.loads(value)


class _Journaled:
    """`_vivarium`'s driver calls, each written into the run's call journal with what it gave
    back. A run started from a checkpoint (the workbench's Run from Here) executes the script
    from its start with each call before the checkpoint answered from the last run's journal
    (no machine touched, sleeps instant), then the machines go back to the checkpoint and the
    script goes on live. A call that differs from the last run's (another call, other
    arguments) takes the machines back to the last checkpoint before it and runs the answered
    calls since then again, live (docs/workbench.md, "Checkpoints")."""

    def __init__(self, module):
        self._module = module
        # While a vivarium.stateful property runs: hook(name, function, args) makes each call
        # (vivarium.forks answers the calls an earlier example made from its record).
        self.hook = None

    def __getattr__(self, name):
        function = getattr(self._module, name)
        return lambda *args: self._run(name, function, args)

    def _run(self, name, function, args):
        module = self._module
        if self.hook is not None:
            hook, live = self.hook, function
            function = lambda *a: hook(name, live, a)  # noqa: E731
        if not module.journaling():  # vivarium-test: nothing can go back, nothing is kept
            return function(*args)
        key = repr(args)
        if module.replaying():
            index = module.journal_size()
            recorded = module.journal_recorded(index)
            # Calls made by hand from the console were not the script's: passed by (a
            # checkpoint taken by hand among them may be the one to go back to).
            while recorded is not None and recorded[5] and module.replaying():
                module.journal_replayed(index)
                index += 1
                recorded = module.journal_recorded(index)
        if module.replaying():
            if recorded is not None and recorded[0] == name and recorded[1] == key:
                module.journal_replayed(index)  # at the checkpoint: the machines go back
                return _recorded_answer(*recorded[2:5])
            expected = "nothing more" if recorded is None else f"{recorded[0]}{recorded[1]}"
            for again, arguments in module.rewind_diverged(index, f"{name}{key}", expected):
                getattr(module, again)(*_pickle.loads(arguments))
        try:
            value = function(*args)
        except (MachineError, TypeError, ValueError) as error:
            module.journal_append(name, key, _pickle.dumps(args), b"", type(error).__name__,
                                  str(error))
            raise
        module.journal_append(name, key, _pickle.dumps(args), _pickle.dumps(value), "", "")
        return value


_calls = _Journaled(_vivarium)


def checkpoint(label=None):
    """In the workbench: the network snapshotted here, a point Run from Here can go back to
    (docs/workbench.md, "Checkpoints"). Elsewhere (vivarium-test), nothing. True when taken."""
    return _calls.checkpoint(str(label) if label is not None else "by hand", False)


_polling_conditions = []


class PollingCondition:
    """A condition checked before every machine call while it is active (`with cond:`)."""

    def __init__(self, condition, seconds_interval=2.0, description=None):
        self.condition = condition
        self.seconds_interval = seconds_interval
        self.description = description or getattr(condition, "__doc__", None) or condition.__name__
        self.last_called = float("-inf")
        self.checking = False  # the condition's own machine calls do not check it again

    def check(self, force=False):
        if self.checking or (not self.overdue and not force):
            return True
        self.checking = True
        try:
            self.last_called = _time.monotonic()
            try:
                result = self.condition()
            except Exception:
                result = False
        finally:
            self.checking = False
        if not result:
            raise MachineError(f"polling condition failed: {self.description}")
        return True

    @property
    def overdue(self):
        return self.last_called + self.seconds_interval < _time.monotonic()

    def wait(self, timeout=_DEFAULT_TIMEOUT):
        def condition(last=False):
            return self.condition()

        retry(condition, timeout)

    def __enter__(self):
        _polling_conditions.append(self)
        return self

    def __exit__(self, *exc):
        if self in _polling_conditions:
            _polling_conditions.remove(self)


def polling_condition(fun_=None, *, seconds_interval=2.0, description=None):
    def wrap(fun):
        return PollingCondition(fun, seconds_interval, description)

    return wrap(fun_) if fun_ is not None else wrap


def _check_polling_conditions():
    for condition in list(_polling_conditions):
        condition.check()


def _timeout(value):
    return _DEFAULT_TIMEOUT if value is None else float(value)


class Machine:
    """One machine of the test, with the NixOS driver's methods.

    The methods that pass straight through to Vivarium's C++ come from its API table
    (_vivarium.machine_api(), installed below the class); those written here are the ones
    that are genuinely Python and call the table's rows by name with _api."""

    def __init__(self, name):
        self.name = name
        self._qmp_cursor = _vivarium.qmp_event_count(name)

    def __repr__(self):
        return f"<Machine '{self.name}'>"

    def _api(self, method, *args):
        _check_polling_conditions()
        return _calls.call(self.name, method, *args)

    # Logging
    def log(self, message):
        _vivarium.log(f"{self.name}: {message}")

    def nested(self, message, attrs=None):
        return log.nested(f"{self.name}: {message}")

    # Life cycle
    def start(self, allow_reboot=False):
        self._api("start")

    def sleep(self, secs):
        _vivarium.sleep(float(secs))

    # Commands
    def execute(self, command, check_return=True, check_output=True, timeout=_DEFAULT_TIMEOUT):
        status, output = self._api("execute", command, _timeout(timeout))
        if not check_output:
            output = ""
        if not check_return:
            return (-1, output)
        return (status, output)

    def succeed(self, *commands, timeout=None):
        output = ""
        for command in commands:
            output += self._api("succeed", command, _timeout(timeout))
        return output

    def fail(self, *commands, timeout=None):
        output = ""
        for command in commands:
            output += self._api("fail", command, _timeout(timeout))
        return output

    # systemd: the user= variants
    def _user_command(self, user, query):
        query = query.replace("'", "\\'")
        return (
            f"su -l {user} --shell /bin/sh -c "
            f"$'XDG_RUNTIME_DIR=/run/user/`id -u` systemctl --user {query}'"
        )

    def systemctl(self, q, user=None):
        if user is not None:
            return self.execute(self._user_command(user, q))
        return self._api("systemctl", q)

    def start_job(self, jobname, user=None):
        return self.systemctl(f"start {jobname}", user)

    def stop_job(self, jobname, user=None):
        return self.systemctl(f"stop {jobname}", user)

    def get_unit_info(self, unit, user=None):
        if user is not None:
            status, lines = self.execute(self._user_command(user, f'--no-pager show "{unit}"'))
            if status != 0:
                raise MachineError(f'retrieving systemctl info for unit "{unit}" failed')
            return dict(line.split("=", 1) for line in lines.splitlines() if "=" in line)
        return self._api("get_unit_info", unit)

    def get_unit_property(self, unit, property, user=None):
        if user is not None:
            return self.get_unit_info(unit, user)[property]
        return self._api("get_unit_property", unit, property)

    def wait_for_unit(self, unit, user=None, timeout=_DEFAULT_TIMEOUT):
        if user is not None:
            def active(last):
                state = self.get_unit_info(unit, user)["ActiveState"]
                if state == "failed" or (last and state != "active"):
                    raise MachineError(f'unit "{unit}" reached state "{state}"')
                return state == "active"

            retry(active, timeout)
            return
        self._api("wait_for_unit", unit, _timeout(timeout))

    # Consoles and QEMU
    def wait_for_qmp_event(self, event_filter, timeout=60 * 10):
        """The first QMP event for which event_filter(event) is true, among those that came
        since the script started or since the last wait_for_qmp_event ended: a dict with
        "event", "data" and "timestamp", as QEMU sends it."""
        deadline = _time.monotonic() + timeout
        index = self._qmp_cursor
        while True:
            left = deadline - _time.monotonic()
            try:
                if left <= 0:
                    raise Timeout("")
                event, index = _calls.next_qmp_event(self.name, index, left)
            except Timeout:
                raise Timeout(
                    f"machine {self.name}: no QMP event matched within {timeout} s"
                ) from None
            self._qmp_cursor = index
            if event_filter(event):
                return event

    # Keyboard and screen
    def send_key(self, key, delay=0.01, log=True):
        self._api("send_key", key)
        if delay:
            _vivarium.sleep(delay)

    def send_chars(self, chars, delay=0.01):
        self._api("send_chars", chars, float(delay or 0))

    def get_tty_text(self, tty):
        return self.succeed(
            f"fold -w$(stty -F /dev/tty{tty} size | awk '{{print $2}}') /dev/vcs{tty}"
        )

    def wait_until_tty_matches(self, tty, regexp, timeout=_DEFAULT_TIMEOUT):
        matcher = _re.compile(regexp)

        def tty_matches(last):
            text = self.get_tty_text(tty)
            if last:
                self.log(f"last attempt: text on tty{tty} was:\n{text}")
            return matcher.search(text) is not None

        retry(tty_matches, timeout)

    def wait_for_window(self, regexp, timeout=_DEFAULT_TIMEOUT):
        pattern = _re.compile(regexp)

        # A window counts once it is mapped: an X client names its window before it shows it,
        # and a recorded click that follows the wait must land on it.
        def window_is_visible(last):
            names = self.get_window_names(visible=True)
            if last:
                self.log(f"last attempt: windows were {names}")
            return any(pattern.search(name) for name in names)

        retry(window_is_visible, timeout)

    # Networks
    def set_link(self, vlan, **settings):
        """Vivarium: impair this machine's link on a VLAN (delay_ms, jitter_ms, loss, dup,
        bandwidth_kbit); what is not named stays."""
        _check_polling_conditions()
        _calls.set_link(self.name, int(vlan), settings)

    def link(self, vlan):
        """Vivarium: the live state of this machine's link on a VLAN, as a dict."""
        return _calls.link(self.name, int(vlan))

    # Files
    def copy_from_host_via_shell(self, source, target):
        self.copy_from_host(source, target)



def _vivarium_install_api():
    """Adds a method to Machine for each row of the API table it does not define itself."""
    import inspect

    for name, arguments in _vivarium.machine_api():
        if name in Machine.__dict__:
            continue
        parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        parameters += [
            inspect.Parameter(argument, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
            for argument, default in arguments
        ]
        signature = inspect.Signature(parameters)

        def method(*args, _name=name, _signature=signature, **kwargs):
            bound = _signature.bind(*args, **kwargs)
            bound.apply_defaults()
            self, *values = bound.arguments.values()
            return self._api(_name, *values)

        method.__name__ = method.__qualname__ = name
        method.__signature__ = signature
        method.__doc__ = f"{name}{signature} (Vivarium's C++ API table)"
        setattr(Machine, name, method)


_vivarium_install_api()
Machine.copy_from_vm = Machine.copy_from_machine


class Vlan:
    """A VLAN of the test (Vivarium's own object; vlan1, vlan2 ...)."""

    def __init__(self, number):
        self.nr = number

    def __repr__(self):
        return f"<VLAN {self.nr}>"

    @property
    def machines(self):
        return [_machines_by_name[name] for name in _vivarium.vlan_machines(self.nr)]

    def set_link(self, **settings):
        """Impair every link on the VLAN (delay_ms, jitter_ms, loss, dup, bandwidth_kbit)."""
        _check_polling_conditions()
        _calls.vlan_set_link(self.nr, settings)

    def capture(self):
        return _calls.vlan_capture(self.nr)

    def stop_capture(self):
        _calls.vlan_stop_capture(self.nr)


_machines_by_name = {}


def start_all():
    for machine in machines:
        machine.start()


def snapshot_all(name):
    """Snapshot `name` of every running machine at one instant (root = "image" machines)."""
    _calls.snapshot_all(str(name))


def restore_all(name, clock="snapshot"):
    """Brings every machine of snapshot_all(name) back to it, together; clock="host" sets
    their clocks to the host's time after."""
    _calls.restore_all(str(name), str(clock))


def join_all():
    for machine in machines:
        machine.wait_for_shutdown()


def retry(fn, timeout=_DEFAULT_TIMEOUT):
    """Calls fn(last_try) every second until it returns True; fails after timeout seconds."""
    for _ in range(int(timeout)):
        if fn(False):
            return
        _vivarium.sleep(1)
    if not fn(True):
        raise Timeout(f"action timed out after {timeout} seconds")


@_contextlib.contextmanager
def subtest(name):
    _calls.checkpoint(str(name), True)
    _vivarium.subtest_started(name)
    started = _time.monotonic()
    try:
        yield
    except BaseException as error:
        _vivarium.subtest_finished(name, False, str(error), _time.monotonic() - started)
        raise
    _vivarium.subtest_finished(name, True, "", _time.monotonic() - started)


def serial_stdout_on():
    _vivarium.serial_stdout(True)


def serial_stdout_off():
    _vivarium.serial_stdout(False)


def create_machine(*args, **kwargs):
    raise NotImplementedError(
        "create_machine (a machine from a NixOS start script) is not supported: declare the "
        "machine in the test file ([machines.NAME]) or add it with add_machine(name, **keys)"
    )


def add_machine(name, **keys):
    """Adds a machine to the running test, with the test file's keys (memory=512, vlans=[1, 2],
    init="systemd", files={...}) over its [defaults], checked as the loader checks a test file.
    It joins its VLANs at once, is numbered after every machine the test has (192.168.V.N with
    N = the number of machines before it + 1) and is off until started. Returns its Machine,
    which is also a script global by its name, in `machines`, and started by start_all()."""
    if not isinstance(name, str):
        raise TypeError(f"add_machine: the name must be a string, not {name!r}")
    import vivarium.tomltext as tomltext

    _check_polling_conditions()
    _calls.machine_add(name, tomltext.keys(keys))
    machine = Machine(name)
    _machines_by_name[name] = machine
    machines.append(machine)
    names = globals()  # the script's: the driver runs in them
    names[name.replace("-", "_")] = machine
    for number in _vivarium.vlan_numbers():
        if not any(vlan.nr == number for vlan in vlans):
            vlans.append(Vlan(number))
            names[f"vlan{number}"] = vlans[-1]
    return machine


class _TestCase(_unittest.TestCase):
    def runTest(self):
        pass


t = _TestCase()


class _VivariumModules:
    """Makes `import vivarium` and `import vivarium.stateful` work in scripts: the modules come
    from Vivarium's resources, vivarium.stateful (Hypothesis) only when imported."""

    # Module name -> resource file; vivarium.stateful is what users import, the others are
    # its parts (the state machine base, the built-in rules, the parallel mode, forks).
    _RESOURCES = {
        "vivarium.stateful": "stateful.py",
        "vivarium.statemachine": "statemachine.py",
        "vivarium.rules": "rules.py",
        "vivarium.parallel": "parallel.py",
        "vivarium.tomltext": "tomltext.py",
        "vivarium.forks": "forks.py",
    }

    def find_spec(self, name, path=None, target=None):
        if name == "vivarium" or name in self._RESOURCES:
            return _importlib_util.spec_from_loader(name, self, is_package=name == "vivarium")
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        if module.__name__ == "vivarium":
            module.MachineError, module.Timeout, module.Stopped = MachineError, Timeout, Stopped
            return
        resource = self._RESOURCES[module.__name__]
        source = _vivarium.resource_text(resource)
        exec(compile(source, f"<vivarium {resource}>", "exec"), module.__dict__)


# Module names a NixOS script may use without importing them: `os` is in NixOS's
# test_symbols; the rest were visible to scripts while the driver ran them in its own module's
# globals (2020-2021 nixpkgs scripts use `re`, `time`, `shlex`... without an import).
_NIXOS_MODULES = (
    "base64", "json", "os", "pathlib", "re", "shlex", "shutil", "subprocess", "sys",
    "tempfile", "time",
)


class _Driver:
    """NixOS's `driver` global: the test's machines and VLANs and the calls on all of them."""

    machines = property(lambda self: machines)
    vlans = property(lambda self: vlans)

    def start_all(self):
        start_all()

    def snapshot_all(self, name):
        snapshot_all(name)

    def restore_all(self, name, clock="snapshot"):
        restore_all(name, clock)

    def join_all(self):
        join_all()

    def test_script(self):
        test_script()

    def run_tests(self):
        test_script()


def test_script():
    """NixOS's: runs the test's script. Vivarium runs it once per run by itself; from the
    interactive prompt (vivarium-test --interactive) this runs the test file's script."""
    path = _vivarium.script_file()
    if not path:
        raise RuntimeError("this test has no script to run")
    if _script_globals.get("__file__") == path:
        raise RuntimeError(
            "test_script() runs the test's script from the interactive prompt; a running "
            "script cannot run itself"
        )
    with open(path, encoding="utf-8") as source:
        code = compile(source.read(), path, "exec")
    exec(code, _script_globals)


def run_tests():
    test_script()


def debug(*args, **kwargs):
    raise NotImplementedError(
        "debug() (NixOS's remote debugger) is not supported: pause the script in the "
        "workbench (a breakpoint, Pause, or pause on failure) or use vivarium-test --interactive"
    )


def dump_machine_ssh(*args, **kwargs):
    raise NotImplementedError(
        "dump_machine_ssh() is not supported: open the machine's Shell tab in the workbench"
    )


def _guard_process():
    """time.sleep ends at once when the script is stopped or out of time, as machine waits do;
    os._exit in the script's own process fails the run instead of leaving it without reports
    (a forked child still exits for real)."""
    import os

    if not hasattr(_time, "_vivarium_sleep"):
        _time._vivarium_sleep = _time.sleep
        _time.sleep = _vivarium.sleep
    if not hasattr(os, "_vivarium_exit"):
        real_exit, pid = os._exit, os.getpid()

        def _exit(status):
            if os.getpid() != pid:
                real_exit(status)
            raise RuntimeError(
                f"os._exit({status}) would end Vivarium without its reports and clean-up: "
                "end the script with sys.exit() or an exception instead"
            )

        os._vivarium_exit = real_exit
        os._exit = _exit


def _vivarium_setup(names):
    global machines, vlans, _script_globals
    _script_globals = names
    _guard_process()
    import importlib

    for module in _NIXOS_MODULES:
        names.setdefault(module, importlib.import_module(module))
    names["driver"] = _Driver()
    if not any(isinstance(f, _VivariumModules) for f in _sys.meta_path):
        _sys.meta_path.insert(0, _VivariumModules())
    for name in [*_VivariumModules._RESOURCES, "vivarium"]:
        _sys.modules.pop(name, None)  # made again for this script's globals
    machines = []
    for name in _vivarium.machine_names():
        machine = Machine(name)
        _machines_by_name[name] = machine
        machines.append(machine)
        names[name.replace("-", "_")] = machine
    vlans = [Vlan(number) for number in _vivarium.vlan_numbers()]
    for vlan in vlans:
        names[f"vlan{vlan.nr}"] = vlan
    names["machines"] = machines
    names["vlans"] = vlans
    if len(machines) == 1:  # NixOS: a test's only machine is also `machine`
        names.setdefault("machine", machines[0])
    _sys.stdout = _ScriptOutput()


def _vivarium_replacement(source, names):
    """Runs an edited line in place of a failed call; returns the value the call should have."""
    import ast

    tree = ast.parse(source.strip())
    if len(tree.body) == 1 and isinstance(tree.body[0], (ast.Expr, ast.Assign)):
        expression = ast.Expression(tree.body[0].value)
        return eval(compile(expression, "<edited line>", "eval"), names)
    exec(compile(tree, "<edited line>", "exec"), names)
    return None


def _vivarium_format_exception(kind, value, trace):
    """An error's traceback without the driver's own frames: what the user can act on."""
    import traceback

    frames = [f for f in traceback.extract_tb(trace) if f.filename != "<vivarium driver.py>"]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(kind, value)
    return "".join(lines)


def _vivarium_console(source, names):
    """Runs a console entry in names; returns what it printed, its value, or its error."""
    import io
    import traceback

    output = io.StringIO()
    saved = _sys.stdout, _sys.stderr, _sys.displayhook

    def show(value):
        # execute()'s (status, output) with its output's real lines; everything else as repr.
        if value is None:
            return
        names["_"] = value
        if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int)
                and isinstance(value[1], str)):
            text = value[1] if value[1].endswith("\n") or not value[1] else value[1] + "\n"
            output.write(f"exit status {value[0]}, output:\n{text}")
        else:
            output.write(repr(value) + "\n")

    _sys.stdout = _sys.stderr = output
    _sys.displayhook = show
    try:
        try:
            code = compile(source, "<console>", "single")
        except SyntaxError:
            code = compile(source, "<console>", "exec")
        exec(code, names)
    except _vivarium.Stopped:
        output.write("stopped\n")
    except _vivarium.MachineError as error:
        output.write(f"{type(error).__name__}: {error}\n")
    except BaseException:  # noqa: B902 - the console shows every error and goes on
        kind, value, trace = _sys.exc_info()
        output.write(_vivarium_format_exception(kind, value, trace.tb_next))
    finally:
        _sys.stdout, _sys.stderr, _sys.displayhook = saved
    return output.getvalue()


def _vivarium_end_threads(grace=10.0):
    """Called when the script ends. As Python ends a program, the script's other threads are
    waited for; daemon threads (which Python would abandon) are stopped: their machine calls
    end with Stopped, and each gets `grace` seconds to return."""
    import threading

    me = threading.current_thread()
    # Threads the script started; not the process's own threads that ever ran Python (earlier
    # scripts' engine threads stay in the list as dummy threads, "alive" for ever).
    others = [
        t
        for t in threading.enumerate()
        if t is not me
        and t is not threading.main_thread()
        and not isinstance(t, threading._DummyThread)
    ]
    for thread in others:
        if not thread.daemon:
            thread.join()
    stragglers = [t for t in others if t.is_alive()]
    if stragglers:
        _vivarium.stop_script()
        for thread in stragglers:
            thread.join(grace)


def _vivarium_finish():
    if isinstance(_sys.stdout, _ScriptOutput):
        _sys.stdout.flush()


def _vivarium_interact(names):
    import code

    _sys.stdout = _sys.__stdout__
    try:
        import readline
        import os

        history = os.path.expanduser("~/.vivarium_history")
        try:
            readline.read_history_file(history)
        except OSError:
            pass
        import rlcompleter

        readline.set_completer(rlcompleter.Completer(names).complete)
        readline.parse_and_bind("tab: complete")
    except ImportError:
        readline = None
    banner = (
        f"Vivarium {_vivarium.test_name()}: machines {', '.join(m.name for m in machines)}; "
        "start_all() boots them. End with Ctrl-D."
    )
    code.InteractiveConsole(names).interact(banner=banner, exitmsg="")
    if readline is not None:
        try:
            readline.write_history_file(history)
        except OSError:
            pass
