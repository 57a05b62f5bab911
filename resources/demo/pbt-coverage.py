# A key-value store property over the coverage demo's server (pbt-coverage.toml): PUT, GET and
# DEL of a few keys, each reply checked against a dict. With [property] guided = false (or
# run(..., guided=False)) the same search runs without coverage's guidance.
from vivarium.stateful import NetworkStateMachine, networks, precondition, replays_as, rule, run, st

CLIENT = "/opt/vivarium-demo/bin/vivarium-demo-client"
SERVER = "/opt/vivarium-demo/bin/vivarium-demo-server > /dev/null 2>&1 &"
keys = st.sampled_from(["a", "b", "c"])
values = st.sampled_from(["a", "b", "c", "d"])


class KeyValueStore(NetworkStateMachine):
    network = networks(min_machines=1, max_machines=1, kind=st.just("container"),
                       commands=st.just([SERVER]))

    def __init__(self):
        super().__init__()
        self.model = {}
        self.up = False

    def request(self, text):
        server = self.machines["n1"]
        if not self.up:
            server.start()
            server.wait_for_open_port(7070)
            self.up = True
        return server.succeed(f"{CLIENT} localhost '{text}'").strip()

    @rule(key=keys, value=values)
    @replays_as("assert n1.succeed(\"%s localhost 'PUT {key} {value}'\").strip() == 'OK'" % CLIENT)
    def put(self, key, value):
        assert self.request(f"PUT {key} {value}") == "OK"
        self.model[key] = value

    @rule(key=keys)
    @replays_as("print(n1.succeed(\"%s localhost 'GET {key}'\"))" % CLIENT)
    def get(self, key):
        expected = f"VALUE {self.model[key]}" if key in self.model else "MISSING"
        reply = self.request(f"GET {key}")
        assert reply == expected, f"GET {key}: {reply!r}, the model says {expected!r}"

    @rule(key=keys)
    @replays_as("print(n1.succeed(\"%s localhost 'DEL {key}'\"))" % CLIENT)
    def delete(self, key):
        expected = "OK" if key in self.model else "MISSING"
        self.model.pop(key, None)
        assert self.request(f"DEL {key}") == expected


run(KeyValueStore, examples=60, steps=10)
