bin = "/opt/vivarium-demo/bin"
counters = "/vivarium/coverage/gcov/opt/vivarium-demo/build/server.gcda"
start_all()
server.succeed(f"{bin}/vivarium-demo-server > /tmp/server.log 2>&1 &")
server.wait_for_open_port(7070)
server.succeed(f"{bin}/vivarium-demo-client localhost 'PUT colour green'")
server.succeed("kill -USR2 $(pidof vivarium-demo-server)")
server.wait_until_succeeds(f"test -s {counters}")
# After the flush: DEL runs, but its lines die with the crash.
server.succeed(f"{bin}/vivarium-demo-client localhost 'DEL colour'")
server.crash()
