"""vivarium.forks: examples of a vivarium.stateful property that fork from the snapshots of
earlier ones instead of re-running what they share (docs/property-based.md, "Forking").

Each example still runs on its own network of the machines it drew; what changes is where the
machines come from. When an example draws the network the last one had, that network is kept
rather than made again, and with it a tree of the driver calls the examples on it made (each
with what it gave back) and snapshots of the whole network taken between steps. An example
that makes the calls an earlier one made is answered from the tree, touching no machine, as
long as the earlier run went on to a later snapshot; where it parts from every recorded run,
or reaches the last snapshot of the runs it follows, the network goes back to the last
snapshot it passed and the example goes on live from there, adding to the tree. So the step
that failed always runs again on real machines (Hypothesis's last replay of the minimal case
among them), and a shrink candidate that keeps the first steps of the failing example skips
their boots.
"""

from __future__ import annotations

import pickle as _pickle

import __main__ as _script
import _vivarium

# Snapshots kept per network; past it the least recently used one is deleted (each holds the
# memory of every machine that ran, in the machines' disks in the run directory).
KEPT_SNAPSHOTS = 12


def why_not(network):
    """Why the machines of network ({name: keys}) cannot fork from snapshots, or ""."""
    for name, keys in network.items():
        if keys.get("root") != "image" and "base" not in keys:
            return (f"machine {name} boots on the host's root over 9p (root = \"share\", the default), "
                    "which QEMU cannot snapshot: draw root = \"image\" (networks(root=st.just(\"image\")))")
    return ""


class _Node:
    """A driver call in the tree: what it gave back, and the snapshot taken after it."""

    __slots__ = ("parent", "key", "name", "arguments", "answer", "children", "snapshot", "saved_below", "used")

    def __init__(self, parent=None, key=None, name="", arguments=b"", answer=None):
        self.parent = parent
        self.key = key  # (name, repr(arguments)): its place among its parent's children
        self.name = name
        self.arguments = arguments  # pickled: a call re-run live after a restore
        self.answer = answer  # (pickled value, error type, message); None: never answered
        self.children = {}
        self.snapshot = None
        self.saved_below = False  # a snapshot here or further down: a replay may go on
        self.used = 0

    def give(self, errors):
        value, error_type, message = self.answer
        if error_type:
            raise errors.get(error_type, _vivarium.MachineError)(message)
        return _pickle.loads(value)


class Forks:
    """The network kept between the examples of one property, and its tree of calls."""

    _ERRORS = {"MachineError": _vivarium.MachineError, "Timeout": _vivarium.Timeout,
               "TypeError": TypeError, "ValueError": ValueError}

    def __init__(self, prop):
        self.prop = prop
        self.label = self.base = self.toml = self.names = None
        self.remade = 0
        self.root = self.node = self.mark = None
        self.since = []  # the calls answered since the last snapshot passed
        self.replaying = False
        self.refused = ""  # why this property's examples cannot fork ("" while they can)
        self.tick = 0
        self.numbers = 0
        self.forked = self.restores = self.answered = self.taken = 0

    # The network of an example: the kept one when it is the same, else made.
    def network(self, label, spec, toml, create):
        """Returns (the network's label, its machines' names) for an example drawing toml."""
        self.tick += 1
        if self.label is not None and toml == self.toml:
            self.node, self.mark, self.since, self.replaying = self.root, None, [], True
            self.forked += 1
            return self.label, self.names
        self.close()
        names = create(label, toml)
        self.label, self.base, self.toml, self.names = label, label, toml, names
        why = self.refused or why_not(spec)
        if why and not self.refused:
            self.refused = why
            _script.log.info(f"property {self.prop}: its examples do not fork from snapshots: {why}")
        self.root = self.node = _Node() if not why else None
        self.mark, self.since, self.replaying = None, [], False
        return label, names

    def example_ended(self):
        """The example is over: the network stays for the next (unless it cannot fork)."""
        if self.node is None:
            self.close()
        self.node = None

    def close(self):
        """Destroys the kept network (the property ends, or another network is drawn)."""
        label, self.label = self.label, None
        self.node = self.root = self.mark = None
        if label is not None:
            _vivarium.network_destroy(label)

    def summary(self):
        return (f"{self.forked} example(s) forked from the network of an earlier one: {self.answered} driver "
                f"call(s) answered from earlier runs, {self.restores} restore(s), {self.taken} snapshot(s) taken")

    # Driver calls (driver.py's _Journaled hands each one here while a property runs).
    def call(self, name, function, args):
        if self.node is None:
            return function(*args)
        key = (name, repr(args))
        if self.replaying:
            child = self.node.children.get(key)
            if child is not None and child.saved_below and child.answer is not None:
                self.node = child
                child.used = self.tick
                if child.snapshot:
                    self.mark, self.since = child, []
                else:
                    self.since.append(child)
                self.answered += 1
                return child.give(self._ERRORS)
            self._go_live()
        return self._live(name, function, args, key)

    def _live(self, name, function, args, key):
        try:
            value = function(*args)
        except (_vivarium.MachineError, TypeError, ValueError) as error:
            self._record(name, args, key, (b"", type(error).__name__, str(error)))
            raise
        try:
            answer = (_pickle.dumps(value), "", "")
        except Exception:  # noqa: BLE001 - a value that cannot be kept is never replayed
            answer = None
        self._record(name, args, key, answer)
        return value

    def _record(self, name, args, key, answer):
        child = self.node.children.get(key)
        if child is not None and child.answer != answer:
            # What the recorded runs below it saw followed another answer: they are not this one.
            self._drop(child)
            child = None
        if child is None:
            child = self.node.children[key] = _Node(self.node, key, name, _pickle.dumps(args), answer)
        child.used = self.tick
        self.node = child

    def _go_live(self):
        """The example parts from the recorded runs: the machines go back to the last snapshot
        it passed (or, before the first or when that fails, the network is made afresh), and
        the calls answered since then run again, live."""
        self.replaying = False
        again = self.since
        if self.mark is not None:
            try:
                _vivarium.network_rewind(self.label, self.mark.snapshot)
                self.restores += 1
                self.node = self.mark
            except _vivarium.MachineError as error:  # the machinery's failure, not the system's
                _script.log.info(f"property {self.prop}: the network could not go back to a snapshot, "
                                 f"so it is made afresh: {error}")
                again, node = [], self.node
                while node is not self.root:
                    again.insert(0, node)
                    node = node.parent
                self.mark = None
        if self.mark is None:
            _vivarium.network_destroy(self.label)
            self.remade += 1
            self.label = f"{self.base}-again{self.remade}"
            _vivarium.network_create(self.label, self.toml)
            self.root = self.node = _Node()
        for node in again:
            args = _pickle.loads(node.arguments)
            self._live(node.name, getattr(_vivarium, node.name), args, (node.name, repr(args)))

    # Snapshots between steps (NetworkStateMachine calls this when nothing is booting).
    def checkpoint(self):
        node = self.node
        if node is None or self.replaying or node.snapshot or node is self.root:
            return
        self.numbers += 1
        name = f"fork-{self.numbers}"
        try:
            if not _vivarium.network_snapshot(self.label, name):
                return  # nothing runs, or a machine is paused
        except _vivarium.MachineError as error:
            self.refused = str(error)
            _script.log.info(f"property {self.prop}: its examples stop forking from snapshots: {error}")
            self.node = None
            return
        self.taken += 1
        node.snapshot = name
        node.used = self.tick
        while node is not None and not node.saved_below:
            node.saved_below = True
            node = node.parent
        self._evict()

    def _evict(self):
        saved = []
        self._collect(self.root, saved)
        path = set()
        node = self.node
        while node is not None:
            path.add(id(node))
            node = node.parent
        for old in sorted((n for n in saved if id(n) not in path), key=lambda n: n.used):
            if len(saved) <= KEPT_SNAPSHOTS:
                break
            self._delete(old)
            saved.remove(old)

    def _collect(self, node, saved):
        stack = [node]
        while stack:
            node = stack.pop()
            if node.snapshot:
                saved.append(node)
            stack.extend(node.children.values())

    def _drop(self, node):
        saved = []
        self._collect(node, saved)
        for old in saved:
            self._delete(old)
        del node.parent.children[node.key]

    def _delete(self, node):
        try:
            _vivarium.network_delete_snapshot(self.label, node.snapshot)
        except _vivarium.MachineError:
            pass  # a machine that is off keeps it in its disk, which goes with the network
        node.snapshot = None
