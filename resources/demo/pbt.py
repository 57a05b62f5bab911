# Property-based testing of a whole network (docs/property-based.md): every example is a fresh
# network of 1-4 machines with a random init (minimal or systemd) and random memory (from the
# least its init boots in to 256 MiB), then a random sequence of Boot, Shutdown, Crash and
# Ping(from, to), each checked against the model: a ping from a running machine is answered
# if and only if the machine pinged runs.
from vivarium.stateful import Ping, machine_keys, networks, run


class BootAndPing(Ping):
    network = networks(min_machines=1, max_machines=4, machine=machine_keys())


run(BootAndPing, examples=8, steps=6)
