"""vivarium.parallel: the parallel mode of vivarium.stateful (import it from vivarium.stateful).

A ParallelProperty draws a network, a sequential prefix of commands and then one list of
commands per client machine; the lists run at once, each on its own client, and the results
pass when some interleaving of the lists (each in its order) is explained by the model, as
ScalaCheck's Commands with threadCount and quickcheck-state-machine's parallel property do. A
race the sequential mode cannot reach (two clients' increments lost in the server) is found
this way and shrunk like any other example.
"""

import copy as _copy
import itertools as _itertools
import json as _json
import os as _os
import threading as _threading
import time as _time

import __main__ as _script
import _vivarium
from hypothesis import given as _given
from hypothesis import strategies as st
from hypothesis.internal.reflection import function_digest as _digest
from vivarium.statemachine import (NetworkSpecError, coverage_added, environment_fault, networks, step_text,
                                   to_toml, write_test)


class Command:
    """A command of a ParallelProperty: function(self, client, **arguments) runs it from the
    client machine's name and returns its result; model(self, state, result, **arguments)
    returns (next state, whether the result is allowed in state)."""

    def __init__(self, function, arguments):
        self.function = function
        self.name = function.__name__
        self.arguments = arguments
        self.model_function = None

    def model(self, function):
        self.model_function = function
        return self

    def __repr__(self):  # how Hypothesis prints a falsifying example's commands
        return self.name

    def text(self, client, arguments, result=None, with_result=False):
        call = f"{client}: {step_text(self.name, arguments)}"
        return f"{call} -> {result!r}" if with_result else call


def command(**arguments):
    """Makes a method a command, its arguments drawn from the strategies given by name;
    `@NAME.model` gives it its model."""
    return lambda function: Command(function, arguments)


class ParallelProperty:
    """Override setup() (boot the machines, start the service: runs before the prefix of every
    example; default: every machine booted) and initial_state() (the model's state then).
    `clients` names the machines the command lists run from, one per thread (default: the
    network's machines from the last one back, so n1 can be the server)."""

    network = networks(min_machines=3, max_machines=3)
    clients = None
    _labels = _itertools.count(1)

    def setup(self):
        for machine in self.machines.values():
            machine.start()
        for machine in self.machines.values():
            machine.wait_for_ready()

    def initial_state(self):
        return None

    def final_check(self):
        pass

    @classmethod
    def commands(cls):
        found = {id(v): v for k in dir(cls) if isinstance(v := getattr(cls, k), Command)}
        return sorted(found.values(), key=lambda c: c.name)


def _allowed(prop, command, state, result, arguments):
    verdict = command.model_function(prop, _copy.deepcopy(state), result, **arguments)
    if not (isinstance(verdict, tuple) and len(verdict) == 2):
        raise TypeError(f"the model of command {command.name} must return (next state, allowed), not {verdict!r}")
    return verdict


def _explained(prop, state, lists, results, positions):
    """Whether some interleaving of the lists (each in its own order) is allowed by the model."""
    if all(p == len(steps) for p, steps in zip(positions, lists)):
        return True
    for k, steps in enumerate(lists):
        i = positions[k]
        if i < len(steps):
            command, arguments = steps[i]
            following, allowed = _allowed(prop, command, state, results[k][i], arguments)
            if allowed and _explained(prop, following, lists, results, positions[:k] + [i + 1] + positions[k + 1:]):
                return True
    return False


class _Example:
    """One example: makes its network, runs the prefix and the lists, checks, destroys it."""

    def __init__(self, prop_class, progress, network, prefix, lists):
        self.prop = prop_class()
        self.progress, self.network, self.prefix, self.lists = progress, network, prefix, lists
        self.texts = []
        self.failure = None

    def run(self):
        started = _time.monotonic()
        progress = self.progress
        progress.examples += 1
        phase, index = progress.phase(), progress.examples
        label = f"parallel-{next(ParallelProperty._labels)}"
        try:
            try:
                names = _vivarium.network_create(label, to_toml(self.network))
            except ValueError as error:
                raise NetworkSpecError(
                    f"the network strategy of {type(self.prop).__name__} drew a network that cannot be made: {error}"
                ) from None
            try:
                self._run(names, index, phase)
            finally:
                _vivarium.network_destroy(label)
        except BaseException as error:
            self.failure = f"{type(error).__name__}: {error}"
            fault = environment_fault(error, index)
            if fault is not None and fault is not error:
                raise fault from None
            raise
        finally:
            if self.failure is not None:
                progress.failing += 1
                # The last one failing is the most shrunk: what a regression test keeps when
                # the final replay does not meet the race again.
                progress.last_failing = self
            progress.last = (self.network, list(self.texts), self.failure)
            progress.last_example = self
            # In a test with [coverage]: what the example ran, and (guided) its score.
            coverage = coverage_added()
            _vivarium.property_example(progress.name, index, phase, _json.dumps(self.network),
                                       self.texts, self.failure is None, self.failure or "",
                                       _time.monotonic() - started, coverage)

    def _step(self, index, phase, text):
        if self.progress is not None:
            _vivarium.property_step(self.progress.name, index, phase, len(self.texts) + 1, text)

    def _run(self, names, index=0, phase=""):
        prop = self.prop
        prop.spec, prop.machines = self.network, {n: _script.Machine(n) for n in names}
        clients = list(prop.clients or reversed(names))
        if len(clients) < len(self.lists):
            raise NetworkSpecError(f"{len(self.lists)} command lists need {len(self.lists)} clients, the network has {clients}")
        prop.setup()
        state = prop.initial_state()
        for command, arguments in self.prefix:  # sequential: each result checked at once
            self._step(index, phase, command.text(clients[0], arguments))
            result = command.function(prop, clients[0], **arguments)
            self.texts.append(command.text(clients[0], arguments, result, True))
            state, allowed = _allowed(prop, command, state, result, arguments)
            assert allowed, f"{self.texts[-1]}: the model does not allow this result"
        results = [[] for _ in self.lists]
        errors = []
        start = _threading.Barrier(len(self.lists))

        def client(k):
            try:
                start.wait()
                for command, arguments in self.lists[k]:
                    results[k].append(command.function(prop, clients[k], **arguments))
            except BaseException as error:  # noqa: BLE001 - raised again on the script's thread
                errors.append(error)

        workers = [_threading.Thread(target=client, args=(k,)) for k in range(len(self.lists))]
        self._step(index, phase, self._lists_text(clients))
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]
        self.texts.append(self._lists_text(clients, results))
        assert _explained(prop, state, self.lists, results, [0] * len(self.lists)), (
            f"no interleaving of the parallel commands is allowed by the model: {self.texts[-1]}"
        )
        prop.final_check()

    def _lists_text(self, clients, results=None):
        parts = []
        for k, steps in enumerate(self.lists):
            calls = [c.text(clients[k], a, results[k][i] if results else None, results is not None) for i, (c, a) in enumerate(steps)]
            parts.append("[" + ", ".join(calls) + "]")
        return " || ".join(parts)


def program(prop_class, prefix, length, threads):
    """The strategy of one example's commands: a prefix (0..prefix) and `threads` lists of
    1..length; shrinks towards shorter lists and the first command (by name)."""
    commands = prop_class.commands()
    call = st.one_of([st.tuples(st.just(c), st.fixed_dictionaries(c.arguments)) for c in commands])
    return st.tuples(st.lists(call, max_size=prefix),
                     st.lists(st.lists(call, min_size=1, max_size=length), min_size=threads, max_size=threads))


def test_function(prop_class, progress, prefix, length, threads):
    """The Hypothesis test of a parallel property (stateful.run_parallel runs it)."""
    if not prop_class.commands():
        raise TypeError(f"parallel property {prop_class.__name__} has no commands: decorate methods with @command")
    for c in prop_class.commands():
        if c.model_function is None:
            raise TypeError(f"command {c.name} of {prop_class.__name__} has no model: add @{c.name}.model")

    @_given(network=prop_class.network, commands=program(prop_class, prefix, length, threads))
    def parallel_property(network, commands):
        _Example(prop_class, progress, network, commands[0], commands[1]).run()

    # The example database keys the test by the property, not by this function.
    parallel_property.hypothesis.inner_test._hypothesis_internal_add_digest = _digest(prop_class)
    return parallel_property


def _calls(steps):
    return "[" + ", ".join(f"({command.name!r}, {arguments!r})" for command, arguments in steps) + "]"


def regression_test(prop_class, example, directory, seed=None, reproduced=True):
    """Writes the minimal failing example of a parallel property as a plain Vivarium test,
    directory/NAME.toml + .py: the example's network as the test's machines, and a script that
    runs the property's own setup, prefix and lists at once on them through replay(); returns
    the .toml's path. reproduced=False: the example failed when it ran, but its final replay
    passed (the race depends on timing): the file says so."""
    name = prop_class.__name__
    script = _os.path.abspath(_script.__file__)
    lines = [
        f"# The minimal failing case vivarium.stateful found for the parallel property {name}"
        + (f" (seed {seed})" if seed is not None else "") + ":",
        *[f"#   {text}" for text in example.texts],
        *([f"# It failed with {example.failure}, but did not fail again when replayed: the race",
           "# depends on timing, and this test may pass. Run it a few times (or under load)."]
          if not reproduced else []),
        f"# It runs {name}'s setup, commands and model from {script}: the prefix in order, then",
        "# the lists at once, each on its client; it fails when no interleaving is allowed.",
        "from vivarium.parallel import replay",
        "",
        f"replay({script!r}, {name!r},",
        f"       prefix={_calls(example.prefix)},",
        f"       lists=[{', '.join(_calls(steps) for steps in example.lists)}])",
    ]
    return write_test(directory, name, lines, example.network)


def _load_property(script, name):
    """The class `name` of a property's script, run with run() and run_parallel() doing nothing
    (so the search does not start again) in a copy of the driver's globals."""
    import vivarium.stateful as stateful

    saved = stateful.run, stateful.run_parallel
    stateful.run = stateful.run_parallel = lambda *arguments, **settings: None
    try:
        names = dict(vars(_script), __file__=script)
        with open(script) as source:
            exec(compile(source.read(), script, "exec"), names)
    finally:
        stateful.run, stateful.run_parallel = saved
    prop_class = names.get(name)
    if not (isinstance(prop_class, type) and issubclass(prop_class, ParallelProperty)):
        raise TypeError(f"{script} has no parallel property {name}")
    return prop_class


def replay(script, name, prefix, lists):
    """Runs one example of the parallel property `name` of `script` on this test's machines:
    its setup, the prefix (command name, arguments) in order, then the lists at once; raises
    as the property did when no interleaving of the results is allowed by the model."""
    prop_class = _load_property(script, name)
    commands = {command.name: command for command in prop_class.commands()}
    for command_name, _ in [*prefix, *(call for steps in lists for call in steps)]:
        if command_name not in commands:
            raise TypeError(f"parallel property {name} has no command {command_name}")
    network = {machine.name: {} for machine in _script.machines}
    example = _Example(prop_class, None, network,
                       [(commands[c], a) for c, a in prefix],
                       [[(commands[c], a) for c, a in steps] for steps in lists])
    example._run([machine.name for machine in _script.machines])
