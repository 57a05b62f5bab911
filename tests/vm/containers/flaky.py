import vivarium.statemachine as machine_state
from vivarium.stateful import ParallelProperty, command, networks, run_parallel, st


class Flaky(ParallelProperty):
    network = networks(min_machines=2, max_machines=2, kind=st.just("container"))

    def setup(self):
        super().setup()
        # (Asked here: the commands run on threads of their own, outside Hypothesis's context.)
        self.final = machine_state.progress is None or machine_state.progress.phase() == "final"

    def initial_state(self):
        return 0

    @command()
    def tick(self, client):
        self.machines[client].succeed("true")
        # A "race" met in every example but Hypothesis's final replay: as one that depends on
        # timing and does not come back when it is run once more.
        return 0 if self.final else 1

    @tick.model
    def tick_model(self, state, result):
        return state, result == 0


run_parallel(Flaky, examples=10, prefix=0, length=1, threads=2)
