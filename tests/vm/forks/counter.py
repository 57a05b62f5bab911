# A property whose examples fork from the snapshots of earlier ones (tst_forks): every machine
# keeps a counter in a file, and each check compares it with the model, so an example that came
# back to the wrong snapshot, or saw the state of another example, fails. In the tests named
# planted-*, a machine refuses to count to 3: the bug the property must shrink to.
import _vivarium
from vivarium.rules import up
from vivarium.stateful import Lifecycle, networks, replays_as, rule, run, st

PLANTED = _vivarium.test_name().startswith("planted")
COUNT = ("c=$(cat /root/count 2>/dev/null || echo 0); "
         + ("test $((c + 1)) -ne 3; " if PLANTED else "")
         + "echo $((c + 1)) > /root/count; sync")


class Counter(Lifecycle):
    network = networks(min_machines=1, max_machines=2, root=st.just("image"))

    def __init__(self):
        super().__init__()
        self.counts = {}

    @rule(node=up)
    @replays_as("{node}.succeed(" + repr(COUNT) + ")")
    def count(self, node):
        if not self.awake(node):
            return
        self.machines[node].succeed(COUNT)
        self.counts[node] = self.counts.get(node, 0) + 1

    @rule(node=up)
    @replays_as("{node}.succeed('cat /root/count 2>/dev/null || echo 0')")
    def check(self, node):
        if not self.awake(node):
            return
        got = int(self.machines[node].succeed("cat /root/count 2>/dev/null || echo 0"))
        assert got == self.counts.get(node, 0), f"{node} counted {got}, the model {self.counts.get(node, 0)}"


run(Counter, examples=12, steps=8, derandomize=True)
