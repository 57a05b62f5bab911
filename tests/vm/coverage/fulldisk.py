# A small file system over the directory gcov writes to, filled up: the server's counters,
# written when it stops at the run's end, do not fit.
server.start()
server.succeed("mount -t tmpfs -o size=64k tmpfs /vivarium/coverage/gcov")
server.succeed("dd if=/dev/zero of=/vivarium/coverage/gcov/filler bs=4k count=64 || true")
server.succeed("/opt/vivarium-demo/bin/vivarium-demo-server > /tmp/server.log 2>&1 &")
server.wait_for_open_port(7070)
server.succeed("/opt/vivarium-demo/bin/vivarium-demo-client localhost 'PUT colour green'")
