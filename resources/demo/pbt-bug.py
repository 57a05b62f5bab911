# The property-based demo with a planted bug: a machine given 200 MiB or more ignores ICMP
# echo requests. The property finds it and shrinks it to one machine with 200 MiB, booted and
# pinged (two steps); the minimal case is written to falsified/BootAndPing.toml + .py in the
# output directory as a plain test (docs/property-based.md walks through it). The machines boot
# from the host's root image, so examples and shrink candidates that share their first steps
# with an earlier one fork from its snapshots rather than boot again ("Forking" there).
from vivarium.stateful import Ping, networks, run, st


def plant_bug(network):
    for keys in network.values():
        if keys["memory"] >= 200:
            keys["commands"] = ["echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all"]
    return network


class BootAndPing(Ping):
    network = networks(min_machines=1, max_machines=3, memory=st.integers(96, 256),
                       root=st.just("image")).map(plant_bug)


run(BootAndPing, examples=40, steps=8)
