# The Vivarium demo: machines, routing, a live delay change, block/unblock and a screenshot.
start_all()

with subtest("every machine is up and named"):
    for machine in machines:
        machine.wait_for_ready()
        assert machine.succeed("hostname").strip() == machine.name

with subtest("the client reaches the server through the router"):
    server.wait_for_open_port(80)
    page = client.wait_until_succeeds(
        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -N -w 5 192.168.2.3 80", timeout=60
    )
    t.assertIn("Hello from the Vivarium demo server", page)
    log.info(client.succeed("ping -4 -c 3 -i 0.2 server").splitlines()[-1])

with subtest("a delay set while the test runs shows in the round trip"):
    vlan1.set_link(delay_ms=100)
    out = client.succeed("ping -4 -c 3 -i 0.2 -W 5 server")
    fastest = min(float(x.split("=")[1].split()[0]) for x in out.split() if x.startswith("time="))
    log.info(f"with 100 ms on VLAN 1 (and 20 ms on VLAN 2) the fastest RTT is {fastest} ms")
    assert fastest >= 240, fastest
    vlan1.set_link(delay_ms=0)

with subtest("block() cuts the router off, unblock() brings it back"):
    router.block()
    client.fail("ping -4 -c 1 -W 1 server")
    router.unblock()
    client.wait_until_succeeds("ping -4 -c 1 -W 1 server", timeout=30)

with subtest("the client's screen"):
    client.send_chars("echo the demo types here\n")
    client.screenshot("client-screen")
