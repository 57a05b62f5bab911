# The parallel mode of vivarium.stateful (docs/property-based.md): a counter service on n1
# whose increment reads the count, thinks for half a second and writes it back — a lost
# update when two clients increment at once. One command list at a time (threads=1, the
# sequential mode) never shows it; two lists running at once on n2 and n3 do, and the
# property shrinks to one increment on each client.
from vivarium.stateful import ParallelProperty, command, networks, run_parallel, st

SERVER = """
import socketserver, time
count = 0
class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        global count
        request = self.rfile.readline().strip()
        if request == b"incr":
            seen = count
            time.sleep(0.5)  # the deliberate race: read, think, write
            count = seen + 1
        self.wfile.write(b"%d\\n" % count)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("", 7000), Handler).serve_forever()
"""

CLIENT = (
    "python3 -c \"import socket; s = socket.create_connection(('n1', 7000)); "
    "s.sendall(b'{}\\\\n'); print(s.makefile().readline().strip())\""
)


class Counter(ParallelProperty):
    network = networks(min_machines=3, max_machines=3, memory=st.just(160))
    clients = ["n2", "n3"]

    def setup(self):
        super().setup()  # boots every machine
        server = self.machines["n1"]
        server.succeed(f"cat > /tmp/counter.py <<'EOF'\n{SERVER}\nEOF")
        server.succeed("(python3 /tmp/counter.py > /tmp/counter.log 2>&1 &)")
        server.wait_for_open_port(7000)

    def initial_state(self):
        return 0

    @command()
    def incr(self, client):
        return int(self.machines[client].succeed(CLIENT.format("incr")))

    @incr.model
    def incr_model(self, state, result):
        return state + 1, result == state + 1

    @command()
    def read(self, client):
        return int(self.machines[client].succeed(CLIENT.format("read")))

    @read.model
    def read_model(self, state, result):
        return state, result == state


run_parallel(Counter, examples=4, prefix=1, length=2, threads=1)  # sequential: passes
run_parallel(Counter, examples=10, prefix=1, length=2, threads=2)  # parallel: finds the race
