start_all()

machine = ahost

machine.systemctl("start network-online.target")
machine.wait_for_unit("network-online.target")

# Test if NixOS computes the correct FQDN (either a FQDN or an error/null):
assert "null" == "null"

# The FQDN, domain name, and hostname detection should work as expected:
assert "ahost" == machine.succeed("hostname --fqdn").strip()
assert "" == machine.succeed("dnsdomainname").strip()
assert (
    "ahost"
    == machine.succeed(
        'hostnamectl status | grep "Static hostname" | cut -d: -f2'
    ).strip()
)

# 127.0.0.1 and ::1 should resolve back to "localhost":
assert (
    "localhost" == machine.succeed("getent hosts 127.0.0.1 | awk '{print $2}'").strip()
)
assert "localhost" == machine.succeed("getent hosts ::1 | awk '{print $2}'").strip()

# 127.0.0.2 should resolve back to the FQDN and hostname:
fqdn_and_host_name = "ahost"
assert (
    fqdn_and_host_name
    == machine.succeed("getent hosts 127.0.0.2 | awk '{print $2,$3}'").strip()
)

assert "ahost" == machine.succeed("getent hosts ahost | awk '{print $2}'").strip()
