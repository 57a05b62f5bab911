import os

from vivarium.stateful import NetworkStateMachine, networks, rule, run, st, weight


class Weighted(NetworkStateMachine):
    network = networks(min_machines=1, max_machines=1, kind=st.just("container"))

    @weight(8)
    @rule()
    def often(self):
        pass

    @rule()
    def rarely(self):
        pass


class WrongWeights(Weighted):
    weights = {"sometimes": 2}


if os.environ.get("WEIGHTS_WRONG"):
    run(WrongWeights, examples=2, steps=2)
else:
    run(Weighted, examples=40, steps=20)
