start_all()
for machine, codename, python in ((old, "bullseye", "3.9"), (new, "trixie", "3.13")):
    machine.succeed(f"grep -q 'VERSION_CODENAME={codename}' /etc/os-release")
    version = machine.succeed("python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'").strip()
    assert version == python, (machine.name, version)
new.wait_for_open_port(8000)
fetched = old.succeed("python3 -c 'import urllib.request as u; "
                      "print(u.urlopen(\"http://new:8000/index.txt\", timeout=30).read().decode())'")
assert fetched.strip() == "served-by-trixie", fetched
print("RELEASES OK")
