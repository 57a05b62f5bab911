# The rules run by hand, in the order the search shrank them to: before, the second ping went
# unanswered (n1's kernel failed it when the first ping's address resolution gave up).
from vivarium.stateful import Ping


class Pings(Ping):
    pass


model = Pings()
model.machines = {"n1": n1, "n2": n2}
model.boot("n1")
model.settle()
model.ping(source="n1", destination="n2")  # n2 is off: no answer, as the model says
model.boot("n2")
model.settle()
model.ping(source="n1", destination="n2")  # n2 runs: answered
print("NEIGHBOUR OK")
