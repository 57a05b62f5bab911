# A Redis server in a container per example; rules write keys, read them back against the model
# and restart the server (its append-only file fsynced at every write, so nothing written is
# lost). The named checks say whether the search ever read a value back, and after a restart:
# the question a property of a store must answer. `weights` (and REDIS_WEIGHTS=none to compare
# without them) steer the search towards writes before reads; the server's coverage steers it
# towards what Redis has not run yet (pbt-redis.toml). The server is the Redis built with
# --coverage by scripts/setup; redis-cli is Debian's.
import os

from vivarium.stateful import NetworkStateMachine, networks, replays_as, rule, run, st

SERVER = ("/opt/vivarium-demo/redis/src/redis-server --daemonize yes --port 6379 --bind 127.0.0.1 "
          "--dir /var/tmp --appendonly yes --appendfsync always --save ''")
keys = st.sampled_from(["a", "b", "c"])


class Redis(NetworkStateMachine):
    network = networks(min_machines=1, max_machines=1, kind=st.just("container"))
    checks = ("a value read back", "a value read back after a restart")
    weights = {} if os.environ.get("REDIS_WEIGHTS") == "none" else {"put": 3, "get": 2}

    def __init__(self):
        super().__init__()
        self.model = {}
        self.restarted = set()  # keys written before the last restart

    def server(self):
        return self.machines["n1"]

    def started(self):
        machine = self.server()
        if not getattr(self, "_up", False):
            machine.succeed(SERVER)
            machine.wait_until_succeeds("redis-cli ping | grep -q PONG")
            self._up = True
        return machine

    @rule(key=keys, value=st.integers(0, 99))
    @replays_as("n1.succeed('redis-cli SET {key} {value}')")
    def put(self, key, value):
        self.started().succeed(f"redis-cli SET {key} {value}")
        self.model[key] = str(value)
        self.restarted.discard(key)

    @rule(key=keys)
    @replays_as(lambda self, key: [f"assert n1.succeed('redis-cli --raw GET {key}').strip() == "
                                   f"{self.model.get(key, '')!r}"])
    def get(self, key):
        got = self.started().succeed(f"redis-cli --raw GET {key}").strip()
        assert got == self.model.get(key, ""), (key, got, self.model.get(key))
        if key in self.model:
            self.checked("a value read back")
            if key in self.restarted:
                self.checked("a value read back after a restart")

    @rule()
    @replays_as("n1.succeed('redis-cli shutdown || true')",
                "n1.succeed(" + repr(SERVER) + ")")
    def restart(self):
        machine = self.started()
        machine.succeed("redis-cli shutdown || true")
        machine.wait_until_fails("redis-cli ping")
        self._up = False
        self.started()
        self.restarted |= set(self.model)


run(Redis, examples=30, steps=8)
