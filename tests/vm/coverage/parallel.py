from vivarium.stateful import ParallelProperty, command, networks, run_parallel, st

CLIENT = "/opt/vivarium-demo/bin/vivarium-demo-client n1 '{}'"


class Store(ParallelProperty):
    network = networks(min_machines=2, max_machines=2, kind=st.just("container"))
    clients = ["n2"]

    def setup(self):
        super().setup()
        server = self.machines["n1"]
        server.succeed("/opt/vivarium-demo/bin/vivarium-demo-server > /dev/null 2>&1 &")
        server.wait_for_open_port(7070)

    def initial_state(self):
        return None

    @command()
    def put(self, client):
        return self.machines[client].succeed(CLIENT.format("PUT k v")).strip()

    @put.model
    def put_model(self, state, result):
        return "v", result == "OK"

    @command()
    def get(self, client):
        return self.machines[client].succeed(CLIENT.format("GET k")).strip()

    @get.model
    def get_model(self, state, result):
        return state, result == ("VALUE v" if state else "MISSING")


run_parallel(Store, examples=4, prefix=1, length=2, threads=1)
