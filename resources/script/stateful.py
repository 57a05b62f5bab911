"""vivarium.stateful: property-based testing of whole networks, on Hypothesis.

Each example of a property runs on a network of its own, drawn by a strategy and made for it
(machines, switches, state disks), and destroyed after it: nothing is carried from one example
to the next, so Hypothesis sees the same system every time it replays a step sequence.
"""

import ast as _ast
import itertools as _itertools
import json as _json
import os as _os

import __main__ as _script  # the running script's driver globals: Machine, log, subtest
import _vivarium
from hypothesis import HealthCheck as _HealthCheck
from hypothesis import Phase as _Phase
from hypothesis import settings as _settings
from hypothesis import strategies as st
from hypothesis.stateful import (  # noqa: F401 - re-exported for users' rules
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _json.dumps(value)  # a TOML basic string for every str JSON escapes
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"a machine key's value must be a bool, number, string, list or dict, not {value!r}")


def to_toml(network):
    """A network ({machine name: {test-file key: value}}) as test-file text."""
    lines = []
    for name, keys in network.items():
        lines.append(f"[machines.{name}]")
        for key, value in keys.items():
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


@st.composite
def networks(draw, min_machines=1, max_machines=4, vlans=st.just([1]), **machine_keys):
    """Draws a network of min..max machines named n1, n2, ...; each machine's keys are drawn
    from the strategies given by key (memory=st.integers(96, 256), init=st.sampled_from(...)).
    Shrinks towards fewer machines and each strategy's simplest value."""
    count = draw(st.integers(min_machines, max_machines), label="machines")
    network = {}
    for index in range(1, count + 1):
        keys = {"vlans": draw(vlans, label=f"n{index}.vlans")}
        for key, strategy in machine_keys.items():
            keys[key] = draw(strategy, label=f"n{index}.{key}")
        network[f"n{index}"] = keys
    return network


class NetworkStateMachine(RuleBasedStateMachine):
    """A Hypothesis state machine whose every example gets a fresh network.

    Set `network` to a strategy (networks(...)); rules take machine names from the `nodes`
    bundle; self.machines maps names to driver Machines, self.running is the model's set of
    running machines. Override heal() to undo the faults your rules inject (it runs before
    final_check() and the teardown), final_check() for the checks at the end of an example.
    """

    network = networks()
    nodes = Bundle("nodes")
    _examples = _itertools.count(1)

    def __init__(self):
        super().__init__()
        self.spec = {}
        self.machines = {}
        self.running = set()
        self._label = None
        self._falsifying_steps = []

    @initialize(target=nodes, data=st.data())
    def make_network(self, data):
        self.spec = data.draw(type(self).network, label="network")
        self._label = f"example-{next(NetworkStateMachine._examples)}"
        names = _vivarium.network_create(self._label, to_toml(self.spec))
        self.machines = {name: _script.Machine(name) for name in names}
        _script.log.info(f"{self._label}: {len(names)} machine(s) {self.spec}")
        return multiple(*names)

    def _print_step(self, rule, data, result):
        # Hypothesis prints the steps only when it replays the minimal failing example: record
        # them (bundle references back to machine names) for the regression test.
        def value(printed):
            if printed in self.names_to_values:
                return self.names_to_values[printed]
            try:
                return _ast.literal_eval(printed)
            except (ValueError, SyntaxError):
                return printed

        if rule.function.__name__ != "make_network":
            self._falsifying_steps.append(
                (rule.function.__name__, {k: value(v) for k, v in data.items()})
            )
        super()._print_step(rule, data, result)

    def heal(self):
        pass

    def final_check(self):
        pass

    def teardown(self):
        global _last_example
        _last_example = (dict(self.spec), list(self._falsifying_steps))
        try:
            if self._label:
                self.heal()
                self.final_check()
        finally:
            if self._label:
                _vivarium.network_destroy(self._label)
                self._label = None


_last_example = None  # (network, steps) of the last example run: the minimal one after a failure


def replays_as(*lines):
    """Gives a rule the script lines that do the same in a plain test: format strings over the
    rule's arguments ("{node}.succeed('systemctl restart db')"). The regression test written
    for a falsified property uses them."""

    def mark(function):
        function.vivarium_replay = lines
        return function

    return mark


class Lifecycle(NetworkStateMachine):
    """Built-in rules: boot, shut down and crash machines (the model follows)."""

    @rule(node=NetworkStateMachine.nodes)
    @replays_as("{node}.start()", "{node}.wait_for_ready()")
    def boot(self, node):
        self.machines[node].start()
        self.machines[node].wait_for_ready()
        self.running.add(node)

    @rule(node=NetworkStateMachine.nodes)
    @replays_as("{node}.shutdown()")
    def shutdown(self, node):
        self.machines[node].shutdown()
        self.running.discard(node)

    @rule(node=NetworkStateMachine.nodes)
    @replays_as("{node}.crash()")
    def crash(self, node):
        self.machines[node].crash()
        self.running.discard(node)


class Ping(Lifecycle):
    """Boot/Shutdown/Crash plus Ping(from, to): a running machine's ping is answered iff the
    other machine runs."""

    # (Hypothesis keeps the argument name "target" for a rule's output bundle.)
    @rule(source=NetworkStateMachine.nodes, destination=NetworkStateMachine.nodes)
    @replays_as(
        "# ping {source} -> {destination}: answered iff {destination} runs",
        "if {source}.is_up():",
        "    answered = {source}.execute('ping -4 -c 1 -W 2 {destination}', timeout=30)[0] == 0",
        "    assert answered == {destination}.is_up(), 'ping {source} -> {destination}'",
    )
    def ping(self, source, destination):
        if source not in self.running:
            return  # nothing to ping from: the model says nothing happens
        status, _ = self.machines[source].execute(f"ping -4 -c 1 -W 2 {destination}", timeout=30)
        answered = status == 0
        expected = destination in self.running
        assert answered == expected, (
            f"ping {source} -> {destination}: {'answered' if answered else 'no answer'}, "
            f"but {destination} is {'running' if expected else 'stopped'}"
        )


def regression_test(machine, network, steps, directory):
    """Writes the minimal failing case as a plain Vivarium test, directory/NAME.toml + .py;
    returns the .toml's path."""
    name = machine.__name__
    _os.makedirs(directory, exist_ok=True)
    lines = [
        f"# The minimal failing case vivarium.stateful found for the property {name}:",
        f"# the network and the {len(steps)} step(s) it shrank to. Replay with vivarium-test, or",
        "# open it in the workbench and step through it.",
        "",
    ]
    for rule_name, arguments in steps:
        function = getattr(machine, rule_name, None)
        replay = getattr(function, "vivarium_replay", None)
        call = f"{rule_name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"
        lines.append(f"# step: {call}")
        if replay is None:
            lines.append(f"raise NotImplementedError('rule {rule_name} has no @replays_as lines')")
            continue
        names = {k: (v.replace("-", "_") if isinstance(v, str) else v) for k, v in arguments.items()}
        lines.extend(line.format(**names) for line in replay)
    with open(_os.path.join(directory, name + ".py"), "w") as script:
        script.write("\n".join(lines) + "\n")
    toml = _os.path.join(directory, name + ".toml")
    with open(toml, "w") as test:
        test.write(f'name = "{name}-falsified"\nscript = "{name}.py"\n' + to_toml(network))
    return toml


def run(machine, examples=10, steps=6, derandomize=False, **settings):
    """Runs the property `machine` (a NetworkStateMachine subclass) as a subtest: `examples`
    networks, up to `steps` rules each. Deadlines are off (steps boot machines);
    derandomize=True gives the same examples on every run (CI)."""
    if not (isinstance(machine, type) and issubclass(machine, NetworkStateMachine)):
        raise TypeError(f"run() takes a NetworkStateMachine subclass, not {machine!r}")
    # Not the explain phase: it traces lines with sys.settrace, which would replace the
    # engine's tracer (breakpoints, Pause, Stop).
    phases = [p for p in _Phase if p.name != "explain"]
    chosen = _settings(
        phases=settings.pop("phases", phases),
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=list(_HealthCheck),
        report_multiple_bugs=False,
        **settings,
    )
    global _last_example
    _last_example = None
    with _script.subtest(f"property {machine.__name__}"):
        try:
            run_state_machine_as_test(machine, settings=chosen)
        except BaseException:
            if _last_example is not None and _last_example[1]:
                network, falsifying = _last_example
                directory = _os.path.join(_vivarium.output_dir(), "falsified")
                path = regression_test(machine, network, falsifying, directory)
                _script.log.info(
                    f"property {machine.__name__} falsified: minimal case {len(network)} "
                    f"machine(s), {len(falsifying)} step(s): "
                    + "; ".join(f"{r}({a})" for r, a in falsifying)
                    + f" — regression test {path}"
                )
            raise
