# The property-based demo (pbt.py) with container machines (docs/guests.md, "Containers"): every
# example is a fresh network of 1-4 containers with a random init and memory, then a random
# sequence of Boot, Shutdown, Crash and Ping(from, to), each checked against the model. A
# container boots in a fraction of a second where a VM under TCG takes seconds, so the same
# search runs many more examples in the same time.
from vivarium.stateful import Ping, machine_keys, networks, run


class ContainersBootAndPing(Ping):
    network = networks(min_machines=1, max_machines=4, machine=machine_keys(kinds=("container",)))


run(ContainersBootAndPing, examples=40, steps=6)
