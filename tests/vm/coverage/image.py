bin = "/opt/vivarium-demo/bin"
start_all()
server.succeed(f"{bin}/vivarium-demo-server > /tmp/server.log 2>&1 &")
server.wait_for_open_port(7070)
client.succeed(f"{bin}/vivarium-demo-client server 'PUT colour green'")
assert client.succeed(f"{bin}/vivarium-demo-client server 'GET colour'").strip() == "VALUE green"
assert client.succeed(f"{bin}/vivarium-demo-client server 'GET shape'").strip() == "MISSING"
client.fail(f"{bin}/vivarium-demo-client server 'FLY away'")
assert "requests: 5" in client.succeed(f"{bin}/vivarium-demo-stats server")
client.shutdown()
