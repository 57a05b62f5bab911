"""vivarium.stateful: property-based testing of whole networks, on Hypothesis
(docs/property-based.md).

A property is a NetworkStateMachine: every example draws a network, makes it, runs a random
sequence of rules against the real machines with a model of what they must do, and destroys
it. run() runs one with the test's settings and, when it is falsified, writes the minimal case
as a plain Vivarium test.
"""

from __future__ import annotations

import json as _json
import os as _os
import random as _random
import time as _time
from unittest import SkipTest as _SkipTest

import __main__ as _script
import _vivarium
import vivarium.forks as _forks
import vivarium.statemachine as _machine
from hypothesis import HealthCheck as _HealthCheck
from hypothesis import Phase as _Phase
from hypothesis import seed as _seed
from hypothesis import settings as _settings
from hypothesis import strategies as st  # noqa: F401 - re-exported for users' strategies
from hypothesis.database import DirectoryBasedExampleDatabase as _Database
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
import vivarium.parallel as _parallel
from vivarium.parallel import Command, ParallelProperty, command  # noqa: F401
from vivarium.rules import Crashes, Lifecycle, LinkFaults, Partitions, Pauses, Ping  # noqa: F401
from vivarium.statemachine import (  # noqa: F401
    EnvironmentFault,
    NetworkSpecError,
    NetworkStateMachine,
    Step,
    identifier,
    in_background,
    machine_keys,
    networks,
    replays_as,
    step_text,
    to_toml,
    weight,
)


__all__ = [  # what a property's script imports from here
    "Bundle", "Command", "Crashes", "EnvironmentFault", "Lifecycle", "LinkFaults", "NetworkSpecError", "NetworkStateMachine",
    "ParallelProperty", "Partitions", "Pauses", "Ping", "RuleBasedStateMachine", "Step", "command",
    "consumes", "database_dir", "identifier", "in_background", "initialize", "invariant", "machine_keys", "multiple",
    "networks", "precondition", "regression_test", "replays_as", "rule", "run", "run_parallel",
    "run_state_machine_as_test", "st", "step_text", "to_toml", "weight",
]

def regression_test(machine, network, steps, directory, seed=None):
    """Writes the minimal failing case as a plain Vivarium test, directory/NAME.toml + .py
    (steps: the example's Steps); returns the .toml's path."""
    name = machine.__name__
    lines = [
        f"# The minimal failing case vivarium.stateful found for the property {name}:",
        f"# the network and the {len(steps)} step(s) it shrank to"
        + (f" (seed {seed})." if seed is not None else "."),
        "# Replay it with vivarium-test, or open it in the workbench and step through it.",
        "",
    ]
    for step in steps:
        lines.append(f"# step: {step_text(step.rule, step.arguments)}")
        if step.lines is None:
            lines.append(f"raise NotImplementedError('rule {step.rule} has no @replays_as lines')")
        else:
            lines.extend(step.lines)
    return _machine.write_test(directory, name, lines, network)


def _whole(value, key, least):
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"property setting {key} must be a whole number >= {least}, not {value!r}")
    return value


def _chosen_settings(examples, steps, derandomize, seed, forks=False, guided=True):
    """run()'s arguments, overridden by the test file's [property] table and then by
    vivarium-test's --examples, --steps, --seed, --derandomize and --replay."""
    chosen = {"examples": examples, "steps": steps, "derandomize": derandomize, "seed": seed, "replay": False,
              "forks": forks, "guided": guided}
    chosen.update(_vivarium.property_settings())
    if not isinstance(chosen["guided"], bool):
        raise ValueError(f"property setting guided must be True or False, not {chosen['guided']!r}")
    _machine.guided = chosen["guided"]
    _whole(chosen["examples"], "examples", 1)
    _whole(chosen["steps"], "steps", 1)
    if not isinstance(chosen["forks"], bool):
        raise ValueError(f"property setting forks must be True or False, not {chosen['forks']!r}")
    if chosen["seed"] is not None:
        _whole(chosen["seed"], "seed", 0)
    if chosen["derandomize"] or chosen["replay"]:
        # Derandomized, Hypothesis derives the examples from the property itself; a replay
        # draws none.
        chosen["seed"] = None
    elif chosen["seed"] is None and not chosen["replay"]:
        chosen["seed"] = _random.SystemRandom().randrange(2**32)
    chosen["mode"] = "replay" if chosen["replay"] else "derandomized" if chosen["derandomize"] else "random"
    return chosen


def database_dir():
    """Where the properties' failing examples are kept between runs (Hypothesis's example
    database): the test's output directory."""
    return _os.path.join(_vivarium.output_dir(), "hypothesis")


def run(machine: type, examples: int = 10, steps: int = 6, derandomize: bool = False,
        seed: int | None = None, forks: bool = True, guided: bool = True, **settings: object) -> None:
    """Runs the property `machine` (a NetworkStateMachine subclass) as a subtest: `examples`
    networks, up to `steps` rules each, from `seed` (None: a new one each run, logged).
    Deadlines are off (steps boot machines); derandomize=True gives the same examples on every
    run (CI). The test file's [property] table and vivarium-test's options override these.
    Failing examples are kept in database_dir(): the next run tries them first, and
    `vivarium-test --replay` runs only them. forks=True: an example that draws the network of
    the one before forks from its snapshots rather than booting again, where the machines can
    be snapshotted (docs/property-based.md, "Forking"). guided=True, in a test with [coverage]:
    each example is scored by the lines and branches its network ran (Hypothesis's target()),
    so the search climbs towards deeper paths (docs/coverage.md). Rules are drawn by their
    weights (weight(), a class's `weights`)."""
    if not (isinstance(machine, type) and issubclass(machine, NetworkStateMachine)):
        raise TypeError(f"run() takes a NetworkStateMachine subclass, not {machine!r}")
    if not machine.rules():
        raise TypeError(
            f"property {machine.__name__} has no rules: give it methods decorated with @rule, or "
            "derive it from Ping, Lifecycle, Crashes, Partitions, LinkFaults or Pauses"
        )
    machine.rule_weights()  # a weight for a rule it lacks: said now, before a machine is made
    _machine.instrument(machine)

    def execute(chosen, hypothesis_settings, progress):
        forks = _forks.Forks(machine.__name__) if chosen["forks"] else None
        _machine.forks, _script._calls.hook = forks, forks.call if forks else None
        try:
            run_state_machine_as_test(machine, settings=hypothesis_settings(stateful_step_count=chosen["steps"]))
        finally:
            _machine.forks, _script._calls.hook = None, None
            if forks is not None:
                forks.close()
                if forks.forked:
                    _script.log.info(f"property {machine.__name__}: {forks.summary()}")

    def falsified(progress, directory, seed_text, error):
        return _falsified(machine, progress, directory, seed_text, error)

    _run_property(machine, _chosen_settings(examples, steps, derandomize, seed, forks, guided), settings, execute,
                  falsified,
                  lambda steps: [step_text(s.rule, s.arguments) for s in steps])


def run_parallel(prop: type, examples: int = 10, prefix: int = 2, length: int = 3, threads: int = 2,
                 derandomize: bool = False, seed: int | None = None, **settings: object) -> None:
    """Runs the ParallelProperty `prop` as a subtest: each example draws a network, a sequential
    prefix of up to `prefix` commands and `threads` lists of 1..`length` commands that run at
    once, each on its own client; it fails when no interleaving of the lists is allowed by the
    model. Settings, seeds and the database as for run() (`steps` sets the list length)."""
    if not (isinstance(prop, type) and issubclass(prop, ParallelProperty)):
        raise TypeError(f"run_parallel() takes a ParallelProperty subclass, not {prop!r}")
    if threads < 1:
        raise ValueError(f"run_parallel() needs threads >= 1, not {threads!r}")

    def execute(chosen, hypothesis_settings, progress):
        test = _parallel.test_function(prop, progress, prefix, chosen["steps"], threads)
        if chosen["seed"] is not None:
            test = _seed(chosen["seed"])(test)
        hypothesis_settings()(test)()

    def falsified(progress, directory, seed_text, error):
        example = getattr(progress, "last_example", None)
        if isinstance(error, (NetworkSpecError, EnvironmentFault)) or example is None:
            return ""
        if example.failure is None:
            # The race was met, then not met again by the final replay: what was seen is
            # kept all the same (the last failing example, the most shrunk).
            seen = getattr(progress, "last_failing", None)
            if seen is None:
                return ""
            path = _parallel.regression_test(prop, seen, directory, seed_text or None, reproduced=False)
            _script.log.info(
                f"property {prop.__name__} failed, but its minimal case passed when replayed (flaky): "
                f"a race depends on timing. The interleaving it saw ({'; '.join(seen.texts)}, "
                f"{seen.failure}) is kept as regression test {path} (not reproduced)"
            )
            return path
        path = _parallel.regression_test(prop, example, directory, seed_text or None)
        _script.log.info(f"property {prop.__name__} falsified: minimal case {len(example.network)} machine(s): "
                         + "; ".join(example.texts) + f" — regression test {path}")
        return path

    _run_property(prop, _chosen_settings(examples, length, derandomize, seed), settings, execute, falsified,
                  lambda texts: list(texts), seeds_class=False)


def _run_property(prop, chosen, settings, execute, falsified, step_texts, seeds_class=True):
    """What run() and run_parallel() share: the Hypothesis settings, the seed, the events and
    the subtest; execute(chosen, hypothesis_settings, progress) runs the examples."""
    name = prop.__name__
    # Not the explain phase: it traces lines with sys.settrace, which would replace the
    # engine's tracer (breakpoints, Pause, Stop). A replay only reuses saved examples.
    phases = [_Phase.reuse] if chosen["replay"] else [p for p in _Phase if p.name != "explain"]
    phases = settings.pop("phases", phases)

    def hypothesis_settings(**more):
        return _settings(
            phases=phases,
            # A replay runs the kept minimal example (and at most one other Hypothesis kept).
            max_examples=1 if chosen["replay"] else chosen["examples"],
            deadline=None,
            derandomize=chosen["derandomize"],
            database=None if chosen["derandomize"] else _Database(database_dir()),
            suppress_health_check=list(_HealthCheck),
            report_multiple_bugs=False,
            **settings,
            **more,
        )

    directory = _os.path.join(_vivarium.output_dir(), "falsified")
    for stale in (name + ".toml", name + ".py"):  # a previous run's minimal case
        if _os.path.exists(_os.path.join(directory, stale)):
            _os.remove(_os.path.join(directory, stale))
    seed_text = "" if chosen["seed"] is None else str(chosen["seed"])
    progress = _machine.progress = _machine.Progress(name)
    _vivarium.property_started(name, chosen["examples"], chosen["steps"], seed_text, chosen["mode"])
    if seed_text:
        _script.log.info(f"property {name}: seed {seed_text} (again with vivarium-test --seed {seed_text})")
    had_seed = "_hypothesis_internal_use_seed" in vars(prop)
    if seeds_class and chosen["seed"] is not None:
        _seed(chosen["seed"])(prop)
    started, passed, message, regression = _time.monotonic(), False, "", ""
    try:
        with _script.subtest(f"property {name}"):
            try:
                try:
                    execute(chosen, hypothesis_settings, progress)
                except _SkipTest:
                    if not chosen["replay"]:
                        raise
                    # (Hypothesis skips a test when a replay leaves it no example to run.)
                if chosen["replay"] and progress.examples == 0:
                    raise ValueError(
                        f"nothing to replay: no failing example of property {name} is saved in "
                        f"{database_dir()} (run it without --replay first)"
                    ) from None
                passed = True
            except BaseException as error:
                message = f"{type(error).__name__}: {error}".strip()
                regression = falsified(progress, directory, seed_text, error)
                raise
    finally:
        _machine.progress = None
        if not had_seed and "_hypothesis_internal_use_seed" in vars(prop):
            delattr(prop, "_hypothesis_internal_use_seed")
        network, steps_run, _ = progress.last or ({}, [], None)
        rules = progress.rule_report(_rule_names(prop), getattr(prop, "checks", ()),
                                     _rule_weights(prop)) if progress.examples else []
        for line in rules:
            _script.log.info(f"property {name}: {line}")
        _vivarium.property_finished(
            name,
            passed,
            progress.examples,
            progress.failing,
            seed_text,
            _json.dumps(network) if not passed else "",
            step_texts(steps_run) if not passed else [],
            regression,
            message,
            _time.monotonic() - started,
            rules,
        )


def _rule_names(prop):
    """The rules of a state-machine property, in the order it defines them (none for a
    parallel property: its commands run in lists, not drawn one by one)."""
    if not (isinstance(prop, type) and issubclass(prop, NetworkStateMachine)):
        return []
    return list(dict.fromkeys(rule.function.__name__ for rule in prop.rules()))


def _rule_weights(prop):
    return prop.rule_weights() if _rule_names(prop) else {}


def _falsified(machine, progress, directory, seed_text, error):
    """After a failure: writes the minimal case when the last example (Hypothesis's final
    replay) failed with steps; returns its path or ""."""
    name = machine.__name__
    if isinstance(error, (NetworkSpecError, EnvironmentFault)) or progress.last is None:
        return ""
    network, steps, failure = progress.last
    if failure is None:
        _script.log.info(
            f"property {name} failed, but its minimal case passed when replayed (flaky): "
            "the system's behaviour depends on more than the steps (timing, state kept outside)"
        )
        return ""
    if not steps:
        return ""
    path = regression_test(machine, network, steps, directory, seed_text or None)
    _script.log.info(
        f"property {name} falsified: minimal case {len(network)} machine(s), {len(steps)} "
        f"step(s): " + "; ".join(step_text(s.rule, s.arguments) for s in steps) + f" — regression test {path}"
    )
    return path
