# Drives the coverage demo's key-value server from the client machine (coverage-demo.toml).
bin = "/opt/vivarium-demo/bin"
start_all()

with subtest("the server listens"):
    server.succeed(f"{bin}/vivarium-demo-server > /tmp/server.log 2>&1 &")
    server.wait_for_open_port(7070)

with subtest("the client stores and reads a value"):
    client.succeed(f"{bin}/vivarium-demo-client server 'PUT colour green'")
    assert client.succeed(f"{bin}/vivarium-demo-client server 'GET colour'").strip() == "VALUE green"
    assert client.succeed(f"{bin}/vivarium-demo-client server 'GET shape'").strip() == "MISSING"

with subtest("a bad request is refused"):
    client.fail(f"{bin}/vivarium-demo-client server 'FLY away'")

with subtest("the Python client reads the counts"):
    stats = client.succeed(f"{bin}/vivarium-demo-stats server")
    # Five requests: PUT, two GETs, the refused one, and this STATS; one GET missed.
    assert "requests: 5" in stats and "misses: 1" in stats, stats
