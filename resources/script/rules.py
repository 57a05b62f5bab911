"""vivarium.rules: the built-in rules of vivarium.stateful and the model they keep
(import them from vivarium.stateful).

The model lives on the state machine: running, paused and blocked machines, links with faults.
Rules draw their machines from bundles that say what the machines are: `nodes` (all), `up`
(booted), `cut` (partitioned), `frozen` (paused), so a ping is sent from a machine that was
booted and a resume goes to one that was paused, and shrinking drops a boot together with what
needed it. An entry can go stale (a machine crashed while paused): a rule that does not apply
to the machine it drew does nothing, so every drawn sequence is valid.
"""

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, multiple, precondition, rule
from vivarium.statemachine import NetworkStateMachine, identifier, in_background, replays_as

nodes = NetworkStateMachine.nodes
up = Bundle("up")
cut = Bundle("cut")
frozen = Bundle("frozen")


def _only_if(applies, why_not, *lines):
    """A rule's replay lines, or a comment saying why the step did nothing."""
    return list(lines) if applies else [f"# {why_not}"]


class Lifecycle(NetworkStateMachine):
    """Boot and shut down machines. Boots of consecutive steps run at once."""

    # With every machine running there is nothing to boot: not drawn then.
    @precondition(lambda self: len(self.running) < len(self.machines))
    @rule(target=up, node=nodes)
    @in_background
    @replays_as(lambda self, node: _only_if(
        node not in self.running, f"{node} runs already",
        f"{identifier(node)}.start()", f"{identifier(node)}.wait_for_ready()"))
    def boot(self, node):
        if node in self.running:
            return multiple()
        self.start_boot(node)
        self.running.add(node)
        return node

    @rule(node=consumes(up))
    @replays_as(lambda self, node: _only_if(
        self.awake(node), f"{node} is off or paused: a shutdown does nothing",
        f"{identifier(node)}.shutdown()"))
    def shutdown(self, node):
        if not self.awake(node):
            return  # off already, or paused: it cannot hear the power button
        self.machines[node].shutdown()
        self._stopped(node)

    def awake(self, node):
        return node in self.running and node not in self.paused

    def _stopped(self, node):
        # A machine booted again has a new QEMU: its links are up and it runs.
        self.running.discard(node)
        self.paused.discard(node)
        self.blocked.discard(node)


class Crashes(Lifecycle):
    """Lifecycle plus crash (QEMU killed: a power cut) and reboot (ctrl-alt-delete)."""

    @rule(node=consumes(up))
    @replays_as("{node}.crash()")
    def crash(self, node):
        self.machines[node].crash()
        self._stopped(node)

    @rule(node=up)
    @replays_as(lambda self, node: _only_if(
        self.awake(node), f"{node} is off or paused: a reboot does nothing",
        f"{identifier(node)}.reboot()", f"{identifier(node)}.wait_for_ready()"))
    def reboot(self, node):
        if not self.awake(node):
            return
        self.machines[node].reboot()
        self.machines[node].wait_for_ready()


class Ping(Lifecycle):
    """Lifecycle plus Ping(from, to): a running machine's ping is answered iff the other machine
    runs and is neither paused nor cut off (a machine's ping to itself needs no link)."""

    checks = ("a ping between two running machines",)

    # (Hypothesis keeps the argument name "target" for a rule's output bundle.)
    @rule(source=up, destination=nodes)
    @replays_as(lambda self, source, destination: self.ping_lines(source, destination))
    def ping(self, source, destination):
        if not self.awake(source):
            return  # nothing to ping from: the model says nothing happens
        expected = self.answers(source, destination)
        if self.must_settle(source, destination):
            self.machines[source].execute(self.neighbour_settled(destination), timeout=30)
        status, _ = self.machines[source].execute(f"ping -4 -c 1 -W 2 {destination}", timeout=30)
        answered = status == 0
        if answered:
            self.unanswered.discard((source, destination))
        else:
            self.unanswered.add((source, destination))
        if source != destination and self.awake(destination):
            self.checked("a ping between two running machines")
        assert answered == expected, (
            f"ping {source} -> {destination}: {'answered' if answered else 'no answer'}, but "
            f"{destination} {self.describe(destination)}"
        )

    # An unanswered ping leaves the source's kernel resolving the destination's address (three
    # ARP requests a second apart); a ping sent meanwhile fails with "Destination Host
    # Unreachable" when that resolution gives up, even if the destination has come up since,
    # as on a real network. A machine that boots in seconds (a VM) hides it; a container booted
    # at once after the unanswered ping meets it. The model's answer holds once the resolution
    # has ended: the next ping of the same pair first waits for that (a condition, not a time).
    def __init__(self):
        super().__init__()
        self.unanswered = set()  # (source, destination) pairs whose last ping went unanswered

    def must_settle(self, source, destination):
        return self.answers(source, destination) and (source, destination) in self.unanswered

    @staticmethod
    def neighbour_settled(destination):
        return (f"address=$(getent ahostsv4 {destination} | head -n 1 | cut -d' ' -f1); "
                "for i in $(seq 100); do ip neigh show to \"$address\" | grep -q INCOMPLETE || exit 0; "
                "sleep 0.1; done")

    def ping_lines(self, source, destination):
        if not self.awake(source):
            return [f"# ping {source} -> {destination}: {source} {self.describe(source)}, nothing happens"]
        expected = self.answers(source, destination)
        what = "an answer" if expected else "no answer"
        settle = []
        if self.must_settle(source, destination):
            settle = [f"{identifier(source)}.execute({self.neighbour_settled(destination)!r}, timeout=30)"
                      "  # the unanswered ping's address resolution ends first"]
        return settle + [
            f"answered = {identifier(source)}.execute('ping -4 -c 1 -W 2 {destination}', timeout=30)[0] == 0",
            f"assert answered == {expected}, 'ping {source} -> {destination}: the model expects {what} "
            f"({destination} {self.describe(destination)})'",
        ]

    def answers(self, source, destination):
        """The model: whether destination answers a ping from source."""
        if destination not in self.running or destination in self.paused:
            return False
        return source == destination or not ({source, destination} & self.blocked)

    def describe(self, node):
        if node not in self.running:
            return "is off"
        states = [s for s, names in (("paused", self.paused), ("cut off", self.blocked)) if node in names]
        return "is " + " and ".join(states or ["running"])


class Partitions(NetworkStateMachine):
    """Cut a machine off its VLANs (block: the cables pulled) and connect it again. Healed
    before the final checks."""

    @rule(target=cut, node=up)
    @replays_as(lambda self, node: _only_if(
        node in self.running and node not in self.blocked, f"{node} is off or cut off already",
        f"{identifier(node)}.block()"))
    def partition(self, node):
        if node not in self.running or node in self.blocked:
            return multiple()
        self.machines[node].block()
        self.blocked.add(node)
        return node

    @rule(node=consumes(cut))
    @replays_as(lambda self, node: _only_if(
        node in self.blocked, f"{node} is not cut off", f"{identifier(node)}.unblock()"))
    def heal_partition(self, node):
        if node not in self.blocked:
            return
        self.machines[node].unblock()
        self.blocked.discard(node)


class LinkFaults(NetworkStateMachine):
    """Slow a machine's links down (delay, duplicated frames) without losing any: a correct
    system gives the same answers, only later. Healed before the final checks."""

    @rule(node=up, delay_ms=st.integers(0, 400), dup=st.sampled_from([0, 0.1, 0.5]))
    @replays_as(lambda self, node, delay_ms, dup: [
        f"{identifier(node)}.set_link({vlan}, delay_ms={delay_ms}, dup={dup})"
        for vlan in self.spec[node].get("vlans", [1])])
    def impair_link(self, node, delay_ms, dup):
        machine = self.machines[node]
        for vlan in self.spec[node].get("vlans", [1]):
            machine.set_link(vlan, delay_ms=delay_ms, dup=dup)
            self.impaired.add((node, vlan))


class Pauses(NetworkStateMachine):
    """Pause a running machine (QEMU stops its CPUs: it neither runs nor answers) and resume it.
    Resumed before the final checks."""

    @rule(target=frozen, node=up)
    @replays_as(lambda self, node: _only_if(
        node in self.running and node not in self.paused, f"{node} is off or paused already",
        f"{identifier(node)}.pause()"))
    def pause(self, node):
        if node not in self.running or node in self.paused:
            return multiple()
        self.machines[node].pause()
        self.paused.add(node)
        return node

    @rule(node=consumes(frozen))
    @replays_as(lambda self, node: _only_if(
        node in self.paused, f"{node} is not paused", f"{identifier(node)}.resume()"))
    def resume(self, node):
        if node not in self.paused:
            return
        self.machines[node].resume()
        self.paused.discard(node)
