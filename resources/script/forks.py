"""vivarium.forks: examples of a vivarium.stateful property that fork from the snapshots of
earlier ones instead of re-running what they share (docs/property-based.md, "Forking").

Each example still runs on its own network of the machines it drew; what changes is where the
machines come from. A network is kept once made (the one in use runs, the others are parked with
their machines off), and with it a tree of the driver calls the examples on it made (each with
what it gave back) and snapshots of the whole network taken between steps; an example that
draws a kept network gets it again. An example that makes the calls an earlier one made is
answered from the tree, touching no machine, as long as the earlier run went on to a later
snapshot; where it parts from every recorded run,
or reaches the last snapshot of the runs it follows, the network goes back to the last
snapshot it passed and the example goes on live from there, adding to the tree. So the step
that failed always runs again on real machines (Hypothesis's last replay of the minimal case
among them), and a shrink candidate that keeps the first steps of the failing example skips
their boots.
"""

from __future__ import annotations

import collections as _collections
import pickle as _pickle

import __main__ as _script
import _vivarium

# Snapshots kept per network; past it the least recently used one is deleted (each holds the
# memory of every machine that ran, in the machines' disks in the run directory).
KEPT_SNAPSHOTS = 12
# Networks kept per property (one runs, the others are parked with their machines off); past
# it the least recently used one is destroyed.
KEPT_NETWORKS = 8


def why_not(network):
    """Why the machines of network ({name: keys}) cannot fork from snapshots, or ""."""
    for name, keys in network.items():
        if keys.get("kind") == "container":
            return (f"machine {name} is a container, which has no snapshots (it starts in a fraction "
                    "of a second: its examples need none)")
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

    def give(self):
        return _script._recorded_answer(*self.answer)


class _Kept:
    """A network kept for later examples that draw it: its machines' names and its tree."""

    def __init__(self, label, toml, names):
        self.label = self.base = label
        self.toml = toml
        self.names = names
        self.root = _Node()
        self.remade = 0  # times it was made afresh (a new label each time)


class Forks:
    """The networks kept between the examples of one property, with their trees of calls: the
    one in use runs; the others are parked (machines off, disks and snapshots kept), so an
    example that draws one of them again forks from its snapshots, whatever came between."""

    def __init__(self, prop):
        self.prop = prop
        self.kept = _collections.OrderedDict()  # toml -> _Kept, least recently used first
        self.active = None  # the _Kept in use
        self.plain = None  # the label of a network in use that cannot fork
        self.node = self.mark = None
        self.since = []  # the calls answered since the last snapshot passed
        self.replaying = False
        self.refused = ""  # why this property's examples cannot fork ("" while they can)
        self.tick = 0
        self.numbers = 0
        self.forked = self.restores = self.answered = self.taken = 0

    # The network of an example: a kept one when it is the same, else made.
    def network(self, label, spec, toml, create):
        """Returns (the network's label, its machines' names) for an example drawing toml."""
        self.tick += 1
        self.node = self.mark = None
        self.since, self.replaying = [], False
        kept = self.kept.get(toml)
        if kept is not None and kept is not self.active:
            self._set_aside()
            try:
                _vivarium.network_unpark(kept.label)
                self.active = kept
            except _vivarium.MachineError as error:  # the machinery's failure: made afresh
                _script.log.info(f"property {self.prop}: a kept network could not be used again: {error}")
                del self.kept[toml]
                _vivarium.network_destroy(kept.label)
                kept = None
        if kept is not None:
            self.kept.move_to_end(toml)
            self.node, self.replaying = kept.root, True
            self.forked += 1
            return kept.label, kept.names
        self._set_aside()
        why = self.refused or why_not(spec)
        if why and not self.refused:
            self.refused = why
            _script.log.info(f"property {self.prop}: its examples do not fork from snapshots: {why}")
        names = create(label, toml)
        if why:
            self.plain = label
            return label, names
        self.active = self.kept[toml] = _Kept(label, toml, names)
        self.node = self.active.root
        while len(self.kept) > KEPT_NETWORKS:  # the least recently used goes
            _, old = self.kept.popitem(last=False)
            _vivarium.network_destroy(old.label)
        return label, names

    def _set_aside(self):
        """The network in use makes room for another: parked when it can fork, else destroyed."""
        if self.plain is not None:
            label, self.plain = self.plain, None
            _vivarium.network_destroy(label)
        if self.active is not None:
            active, self.active = self.active, None
            _vivarium.network_park(active.label)

    def example_ended(self):
        """The example is over: its network stays for later ones (unless it cannot fork)."""
        self.node = None
        if self.plain is not None or self.refused:
            self.close()

    def close(self):
        """Destroys every network kept (the property ends, or they cannot fork)."""
        self.node = self.active = None
        labels = [kept.label for kept in self.kept.values()]
        if self.plain is not None:
            labels.append(self.plain)
        self.kept.clear()
        self.plain = None
        for label in labels:
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
                return child.give()
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
        again, kept = self.since, self.active
        if self.mark is not None:
            try:
                _vivarium.network_rewind(kept.label, self.mark.snapshot)
                self.restores += 1
                self.node = self.mark
            except _vivarium.MachineError as error:  # the machinery's failure, not the system's
                _script.log.info(f"property {self.prop}: the network could not go back to a snapshot, "
                                 f"so it is made afresh: {error}")
                again, node = [], self.node
                while node is not kept.root:
                    again.insert(0, node)
                    node = node.parent
                self.mark = None
        if self.mark is None:
            _vivarium.network_destroy(kept.label)
            kept.remade += 1
            kept.label = f"{kept.base}-again{kept.remade}"
            _vivarium.network_create(kept.label, kept.toml)
            kept.root = self.node = _Node()
        for node in again:
            args = _pickle.loads(node.arguments)
            self._live(node.name, getattr(_vivarium, node.name), args, (node.name, repr(args)))

    # Snapshots between steps (NetworkStateMachine calls this when nothing is booting).
    def checkpoint(self):
        node = self.node
        if node is None or self.replaying or node.snapshot or node is self.active.root:
            return
        self.numbers += 1
        name = f"fork-{self.numbers}"
        try:
            if not _vivarium.network_snapshot(self.active.label, name):
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
        self._collect(self.active.root, saved)
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
            _vivarium.network_delete_snapshot(self.active.label, node.snapshot)
        except _vivarium.MachineError:
            pass  # a machine that is off keeps it in its disk, which goes with the network
        node.snapshot = None
