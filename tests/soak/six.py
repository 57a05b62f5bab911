# Every machine comes up and reaches the next one.
start_all()
for machine in machines:
    machine.wait_for_ready()
for machine, other in zip(machines, machines[1:] + machines[:1]):
    machine.succeed(f"ping -4 -c 1 -W 5 {other.name}")
