# Property-based testing of a whole network (docs/property-based.md): every example is a fresh
# network of 1-4 machines with random memory, then a random sequence of Boot, Shutdown, Crash
# and Ping(from, to), each checked against the model: a ping from a running machine is answered
# if and only if the machine pinged runs.
from vivarium.stateful import Ping, networks, run, st


class BootAndPing(Ping):
    network = networks(min_machines=1, max_machines=4, memory=st.integers(96, 256))


run(BootAndPing, examples=8, steps=6)
