"""vivarium.statemachine: the base of vivarium.stateful's properties (import vivarium.stateful).

Each example of a property runs on a network of its own, drawn by a strategy and made for it
(machines, switches, state disks), and destroyed after it: nothing is carried from one example
to the next, so Hypothesis sees the same system every time it replays a step sequence. Every
rule runs through one step function that records it (events, the minimal case) and waits for
machines booting in the background, so rules need not know about either.
"""

from __future__ import annotations

import attr as _attr
import collections as _collections
import functools as _functools
import itertools as _itertools
import json as _json
import os as _os
import time as _time

import __main__ as _script  # the running script's driver globals: Machine, log, subtest
import _vivarium
import vivarium.tomltext as _tomltext
from hypothesis import strategies as st
from hypothesis.control import current_build_context as _build_context
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, multiple


class NetworkSpecError(ValueError):
    """The network strategy drew machines that cannot be made (a key or value the test file's
    loader refuses, more memory than the host has): a mistake in the property, not a failure
    of the system under test."""


class EnvironmentFault(BaseException):
    """A machine of an example's network could not come up because of the host or its guest
    kernel (a file system the kernel lacks, a failed set-up, a kernel panic, a full disk on
    the host), not because of the system under test. The property stops at once with the
    cause: nothing is shrunk and no minimal case is written. (A BaseException: Hypothesis takes
    every Exception for a failure to shrink.)"""


# What a guest or the host says when a machine cannot boot for reasons of its own: the guest's
# early boot failed, or the host could not prepare the machine (its disks, its directory).
_ENVIRONMENT_MARKERS = (
    "vivarium-initramfs: FAILED",
    "vivarium-init: FAILED",
    "Kernel panic - not syncing",
    "the host has no space left",
    "cannot format ",
    "cannot create ",
)


def environment_fault(error, example=None):
    """The EnvironmentFault an error of a machine's start stands for, or None."""
    if isinstance(error, EnvironmentFault):
        return error
    text = str(error).rstrip().rstrip(".")
    if not isinstance(error, _vivarium.MachineError) or not any(m in text for m in _ENVIRONMENT_MARKERS):
        return None
    where = f"example {example}'s network" if example else "the example's network"
    return EnvironmentFault(
        f"{where} could not come up because of the host or the guest kernel, not the system under "
        f"test: {text}. The property stops here: nothing is shrunk and no minimal case is written "
        "(fix the host, or draw machines it can run)"
    )


def to_toml(network: dict[str, dict[str, object]]) -> str:
    """A network ({machine name: {test-file key: value}}) as test-file text."""
    return _tomltext.network(network)


def write_test(directory, name, lines, network):
    """Writes a minimal failing case as a plain test, directory/NAME.toml (the network as its
    machines) + NAME.py (the lines); returns the .toml's path."""
    _os.makedirs(directory, exist_ok=True)
    with open(_os.path.join(directory, name + ".py"), "w") as script:
        script.write("\n".join(lines) + "\n")
    toml = _os.path.join(directory, name + ".toml")
    with open(toml, "w") as test:
        test.write(f'name = "{name}-falsified"\nscript = "{name}.py"\n' + to_toml(network))
    return toml


def coverage_added() -> str:
    """In a test with [coverage]: what the networks destroyed since the last call ran, as text
    for the example's report, and (guided) the example's score for Hypothesis: the lines and
    branches it ran. Not only the new ones: Hypothesis climbs towards a better score by
    mutating the best example and running it again, and a run of the same path again has
    nothing new, so a score of new lines would punish the very example it should climb from.
    Deeper paths run more lines: the score leads there. Without coverage: ""."""
    added = _vivarium.network_coverage()
    if added is None:
        return ""
    if guided:
        from hypothesis import target
        target(float(added["lines"] + added["branches"]), label="lines and branches run")
    return (f"+{added['new_lines']} lines, +{added['new_branches']} branches new "
            f"({added['total_lines']} lines, {added['total_branches']} branches in all)")


def networks(min_machines: int = 1, max_machines: int = 4, vlans: st.SearchStrategy = st.just([1]),
             machine: st.SearchStrategy | None = None, **machine_keys: object) -> st.SearchStrategy:
    """Draws a network of min..max machines named n1, n2, ...; each machine's keys are drawn
    from the strategies given by key (memory=st.integers(96, 256), init=st.sampled_from(...)),
    or, where keys depend on each other, from `machine`: a strategy of a whole machine's keys
    (see machine_keys()), which the keys given by name extend. Shrinks towards fewer machines
    (a list's elements: any machine can go, the later ones are renamed) and each strategy's
    simplest value."""
    one = st.fixed_dictionaries({"vlans": vlans, **machine_keys})
    if machine is not None:
        one = st.tuples(machine, one).map(lambda pair: {**pair[1], **pair[0]})
    machines = st.lists(one, min_size=min_machines, max_size=max_machines)
    return machines.map(lambda keys: {f"n{i}": k for i, k in enumerate(keys, 1)})


@st.composite
def machine_keys(draw, inits=("minimal", "systemd"), min_memory=96, max_memory=256, kinds=("vm",),
                 kernels=(), filesystems=(), disk_mb=320):
    """A machine's kind (a VM or a container, shrinking towards the first of `kinds`), its init
    (shrinking towards the first of `inits`) and its memory, from min_memory or the least that
    init boots in (the loader's floor: 128 MiB for systemd), whichever is more, to max_memory
    (shrinking towards the lower bound). With `kernels` (names of Vivarium's kernels:
    "vivarium", "debian"), a VM's kernel drawn from them; with `filesystems` ("ext4", "xfs",
    "btrfs"), a disk of disk_mb MiB with one of them mounted on /data. Each shrinks towards
    its first."""
    kind = draw(st.sampled_from(kinds))
    init = draw(st.sampled_from(inits))
    least = max(min_memory, _vivarium.memory_floors()[init])
    keys = {"init": init, "memory": draw(st.integers(least, max(least, max_memory)))}
    if kinds != ("vm",):
        keys["kind"] = kind
    if kernels:
        kernel = draw(st.sampled_from(kernels))
        if kind == "vm":
            keys["kernel"] = kernel
    if filesystems:
        fs = draw(st.sampled_from(filesystems))
        if kind == "vm":
            keys["disks"] = [{"size_mb": disk_mb, "fs": fs, "mount": "/data"}]
    return keys


# One step of an example: the rule's name, its arguments, the lines that replay it (None: the
# rule has no @replays_as).
Step = _collections.namedtuple("Step", "rule arguments lines")


def step_text(rule: str, arguments: dict[str, object]) -> str:
    """A step as the reports show it: ping(source='n1', destination='n2')."""
    return f"{rule}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"


def identifier(name: str) -> str:
    """A machine's name as the Python name a plain test gives it (n-1 -> n_1)."""
    return name.replace("-", "_")


def replays_as(*lines):
    """Gives a rule the script lines that do the same in a plain test, for the regression test
    written when a property is falsified: format strings over the rule's arguments
    ("{node}.succeed('systemctl restart db')"), or one function (self, **arguments) -> lines,
    called before the rule runs, for lines that depend on the model (what a ping must give)."""

    def mark(function):
        function.vivarium_replay = lines
        return function

    return mark


def weight(times):
    """Draws a rule `times` as often as a rule of weight 1 (every rule's default) when both may
    run: for the rules that reach what matters (a write before the reads that check it) or
    the ones whose steps are cheap. A class's `weights = {"rule": times}` weighs rules it
    inherits (the built-in ones) the same way. Preconditions still decide whether a rule may
    be drawn at all: weights say how often among those that may."""
    _check_weight(times, "weight()")

    def mark(function):
        function.vivarium_weight = times
        return function

    return mark


def _check_weight(times, where):
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 100:
        raise ValueError(f"{where}: a rule's weight is a whole number from 1 to 100, not {times!r}")


_copies = {}


def _weighted_copy(rule, n):
    """The nth copy of a rule (weights): it runs the rule as the rule itself does, under a
    name of its own for Hypothesis's feature flags ("ping_2")."""
    key = (id(rule), n)
    if key not in _copies:
        function = rule.function

        def copy(*args, **kwargs):
            return function(*args, **kwargs)

        _functools.update_wrapper(copy, function)
        copy.__name__ = f"{function.__name__}_{n}"
        _copies[key] = (rule, _attr.evolve(rule, function=copy))  # rule kept: its id stays its own
    return _copies[key][1]


def in_background(function):
    """Marks a rule that may leave work running (boot: the machine comes up while the next
    boots start): the steps before it are not waited for. Every other rule first waits until
    the machines booting in the background are ready."""
    function.vivarium_background = True
    return function


class Progress:
    """What the running property has done so far (stateful.run() sets one per property): the
    examples counted, the failing ones, and so the phase Hypothesis is in."""

    def __init__(self, name):
        self.name = name
        self.examples = 0
        self.failing = 0  # examples that failed: the first one, then those shrinking found
        self.last = None  # (network, steps, failure) of the last example run
        # Per rule, over the search (the generate phase): how often it was drawn, ran and did
        # something, did nothing (its replay is only a comment: the model said it could not
        # apply), failed, and was kept from being drawn by a precondition.
        self.rules = {}
        self.checks = {}  # check name -> times made (NetworkStateMachine.checked)

    def rule(self, name):
        return self.rules.setdefault(name, {"drawn": 0, "ran": 0, "nothing": 0, "failed": 0, "blocked": 0})

    def rule_report(self, rule_names, checks=(), weights=None):
        """One line per rule with its figures and per named check with its count, then a
        warning for each rule that never ran, or never did anything (so what it checks was
        never checked), and each named check never made."""
        lines, warnings = [], []
        for check in checks:
            made = self.checks.get(check, 0)
            lines.append(f"check '{check}': made {made} time(s)")
            if made == 0:
                warnings.append(f"warning: check '{check}' was never made: no example reached it "
                                "(more steps, other strategies, or guidance may)")
        for name in rule_names:
            f = self.rule(name)
            times = (weights or {}).get(name, 1)
            label = name if times == 1 else f"{name} (weight {times})"
            lines.append(f"{label}: drawn {f['drawn']}, ran {f['ran']}, did nothing {f['nothing']}, "
                         f"failed {f['failed']}, blocked by a precondition {f['blocked']}")
            if f["drawn"] == 0:
                warnings.append(f"warning: rule {name} was never drawn"
                                + (" (its precondition held at no step)" if f["blocked"] else ""))
            elif f["ran"] == 0 and f["failed"] == 0:
                warnings.append(f"warning: rule {name} never did anything ({f['nothing']} time(s) drawn, "
                                "each time the model said it could not apply): what it checks was never checked")
        return lines + warnings

    def phase(self):
        try:
            if _build_context().is_final:
                return "final"  # Hypothesis replays the minimal failing example
        except Exception:  # noqa: BLE001 - outside a Hypothesis test: no build context
            pass
        return "shrink" if self.failing else "generate"


progress = None  # the Progress of the property stateful.run() runs, or None
guided = True  # stateful.run()'s guided: examples scored by the coverage they add
forks = None  # its vivarium.forks.Forks, when its examples fork from earlier ones' snapshots


def instrument(machine_class):
    """Runs every rule of machine_class through NetworkStateMachine._run_step (once: the rules
    are shared with the classes they come from)."""
    for rule in [*machine_class.rules(), *machine_class.initialize_rules()]:
        function = rule.function
        if getattr(function, "vivarium_step", False):
            continue

        def step(self, _function=function, **arguments):
            return self._run_step(_function, arguments)

        _functools.update_wrapper(step, function)
        step.vivarium_step = True
        rule.function = step


class NetworkStateMachine(RuleBasedStateMachine):
    """A Hypothesis state machine whose every example gets a fresh network.

    Set `network` to a strategy (networks(...)); rules take machine names from the `nodes`
    bundle; self.machines maps names to driver Machines. The model of the built-in rules:
    self.running, self.paused, self.blocked (sets of names), self.impaired (links with faults).
    Override heal() to undo the faults your own rules inject and final_check() for the checks
    at the end of an example; both run (after the built-in faults are healed) before the
    network is destroyed. parallel_boots caps the machines booting at once (None: the host's
    cores, since every TCG guest keeps one busy while it boots).
    """

    network = networks()
    nodes = Bundle("nodes")
    parallel_boots = None
    _labels = _itertools.count(1)

    def __init__(self):
        super().__init__()
        self.spec = {}
        self.machines = {}
        self.running, self.paused, self.blocked = set(), set(), set()
        self.impaired = set()  # (machine, vlan) pairs whose link has faults set
        self.steps = []  # the Steps run so far in this example
        self._booting = []  # machines started whose readiness no step has waited for yet
        self._label = None
        self._failure = None
        self._started = _time.monotonic()
        self._example = 0
        self._weigh_rules()
        if progress is not None:
            progress.examples += 1
            self._example = progress.examples

    @initialize(target=nodes, data=st.data())
    def make_network(self, data):
        self.spec = data.draw(type(self).network, label="network")
        label = f"example-{next(NetworkStateMachine._labels)}"
        toml = to_toml(self.spec)
        try:
            if forks is not None:  # the last example's network when it drew the same
                kept, names = forks.network(label, self.spec, toml, _vivarium.network_create)
            else:
                kept, names = label, _vivarium.network_create(label, toml)
        except ValueError as error:
            raise NetworkSpecError(
                f"the network strategy of {type(self).__name__} drew a network that cannot be "
                f"made: {error}"
            ) from None
        self._label = kept
        self.machines = {name: _script.Machine(name) for name in names}
        _script.log.info(f"{label}: {len(names)} machine(s) {self.spec}"
                         + (f" (network {kept}, kept from an earlier example)" if kept != label else ""))
        return multiple(*names)

    # Booting in the background: boots of consecutive steps overlap.
    def start_boot(self, node):
        cap = self.parallel_boots or _os.cpu_count() or 1
        while len(self._booting) >= cap:
            self._settle_one()
        self.machines[node].start()
        if node not in self._booting:
            self._booting.append(node)

    def settle(self):
        """Waits until every machine booting in the background is ready."""
        while self._booting:
            self._settle_one()

    def _settle_one(self):
        node = self._booting[0]
        try:
            self.machines[node].wait_for_ready()
        except _vivarium.MachineError as error:
            fault = environment_fault(error, self._example)
            if fault is not None:
                raise fault from None
            raise
        self._booting.remove(node)

    def _run_step(self, function, arguments):
        name = function.__name__
        text = step_text(name, arguments)
        try:
            if name != "make_network":
                self.steps.append(Step(name, dict(arguments), self._replay_lines(function, arguments)))
                self._count(name)
                if progress is not None:
                    _vivarium.property_step(
                        progress.name, self._example, progress.phase(), len(self.steps), text
                    )
                if not getattr(function, "vivarium_background", False):
                    self.settle()
                if forks is not None and not self._booting:
                    forks.checkpoint()  # a point later examples that make the same calls fork from
            result = function(self, **arguments)
            if name != "make_network" and self._counting():
                lines = self.steps[-1].lines
                nothing = bool(lines) and all(line.lstrip().startswith("#") for line in lines)
                progress.rule(name)["nothing" if nothing else "ran"] += 1
            return result
        except BaseException as error:
            self._failure = self._failure or f"{text}: {type(error).__name__}: {error}"
            if name != "make_network" and self._counting():
                progress.rule(name)["failed"] += 1
            fault = environment_fault(error, self._example)
            if fault is not None and fault is not error:
                raise fault from None
            raise

    # The checks that matter most, by name (Ping: "a ping between two running machines"): the
    # property's report says how often each was made, and warns when one never was.
    checks = ()

    # Weights of rules by name ({"ping": 4}), over the @weight of their functions (weight()).
    weights = {}

    @classmethod
    def rule_weights(cls):
        """Each rule's weight by name; a weight for a rule the class does not have is an error
        that lists the rules it has."""
        names = {rule.function.__name__: rule for rule in cls.rules()}
        # @weight marks what it decorates: the function of the rule (below @rule) or the
        # wrapper @rule returns, which is the class's attribute (above it).
        result = {name: getattr(getattr(cls, name, None), "vivarium_weight", None)
                  or getattr(rule.function, "vivarium_weight", 1) for name, rule in names.items()}
        for name, times in dict(cls.weights).items():
            if name not in names:
                raise ValueError(f"{cls.__name__}.weights names {name!r}, which is not one of its "
                                 f"rules ({', '.join(sorted(names))})")
            _check_weight(times, f"{cls.__name__}.weights[{name!r}]")
            result[name] = times
        return result

    def _weigh_rules(self):
        """Hypothesis draws a rule uniformly from its list of rules (those whose preconditions
        hold and whose feature flag is on): a rule of weight N is in the list N times, next to
        itself, so shrinking, which moves towards the front of the list, still moves the same
        way. Each copy has a feature flag of its own: Hypothesis's swarm testing switches
        whole rules off for an example, and copies switched off together would lose the
        weight in every example that keeps one of them."""
        weights = type(self).rule_weights()
        strategy = self._rules_strategy
        weighted = []
        for rule in strategy.rules:
            weighted.append(rule)
            weighted.extend(_weighted_copy(rule, n) for n in range(2, weights[rule.function.__name__] + 1))
        strategy.rules = weighted

    def checked(self, name):
        """A rule made the check `name` (one of `checks`): counted over the search."""
        if self._counting():
            progress.checks[name] = progress.checks.get(name, 0) + 1

    def _counting(self):
        """The rules' figures count the search, not the shrinking that follows a failure."""
        return progress is not None and progress.phase() == "generate"

    def _count(self, name):
        """A rule was drawn; the others whose precondition does not hold now could not be."""
        if not self._counting():
            return
        progress.rule(name)["drawn"] += 1
        for other in type(self).rules():
            other_name = other.function.__name__
            if other_name != name and any(not p(self) for p in getattr(other, "preconditions", ())):
                progress.rule(other_name)["blocked"] += 1

    def _replay_lines(self, function, arguments):
        replay = getattr(function, "vivarium_replay", None)
        if replay is None:
            return None
        if len(replay) == 1 and callable(replay[0]):
            return list(replay[0](self, **arguments))
        names = {k: identifier(v) if isinstance(v, str) else v for k, v in arguments.items()}
        return [line.format(**names) for line in replay]

    def check_invariants(self, settings):
        try:
            super().check_invariants(settings)
        except BaseException as error:
            self._failure = self._failure or f"invariant: {type(error).__name__}: {error}"
            raise

    def heal(self):
        pass

    def final_check(self):
        pass

    def heal_faults(self):
        """Undoes the built-in faults (as a Jepsen nemesis heals before the final reads)."""
        for node in sorted(self.paused):
            self.machines[node].resume()
        self.paused.clear()
        for node in sorted(self.blocked):
            self.machines[node].unblock()
        self.blocked.clear()
        for node, vlan in sorted(self.impaired):
            self.machines[node].set_link(vlan, delay_ms=0, jitter_ms=0, loss=0, dup=0)
        self.impaired.clear()

    def teardown(self):
        try:
            # After a failing step only the network goes: a check failing now would replace
            # the step's error as the one Hypothesis shrinks.
            if self._label and self._failure is None:
                try:
                    self.settle()
                    self.heal_faults()
                    self.heal()
                    self.final_check()
                except BaseException as error:
                    self._failure = f"final checks: {type(error).__name__}: {error}"
                    raise
        finally:
            if self._label:
                label, self._label = self._label, None
                if forks is not None:
                    forks.example_ended()
                else:
                    _vivarium.network_destroy(label)
            self._coverage = coverage_added()
            if self._empty():
                # Hypothesis 6.67 starts with the simplest examples, which stop after the
                # network is made: they test nothing. Not an example: Hypothesis draws another
                # in its place, and the reports and the examples' count never see it. (One
                # Hypothesis ended itself, its data run out, is discarded by it already.)
                if progress is not None:
                    progress.examples -= 1
                if not _build_context().data.frozen:
                    from hypothesis import reject
                    reject()
                return
            self._report()

    def _empty(self):
        """No rule ran (the network was made, nothing else) and nothing failed."""
        return not self.steps and self._failure is None

    def _report(self):
        if progress is None:
            return
        phase = progress.phase()
        if self._failure is not None:
            progress.failing += 1
        progress.last = (dict(self.spec), list(self.steps), self._failure)
        _vivarium.property_example(
            progress.name,
            self._example,
            phase,
            _json.dumps(self.spec),
            [step_text(step.rule, step.arguments) for step in self.steps],
            self._failure is None,
            self._failure or "",
            _time.monotonic() - self._started,
            getattr(self, "_coverage", ""),
        )
