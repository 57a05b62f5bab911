# What the own kernel must give each kind of guest; the release is checked against the one
# scripts/build-kernel built (OWN_RELEASE, set by tst_ownkernel).
import os
release = os.environ["OWN_RELEASE"]
start_all()
for m in (plain, sd, desk):
    assert m.succeed("uname -r").strip() == release, m.name
    # Only the machine's NICs: no dummy0 or sit0 that Debian's kernel would not make.
    links = m.succeed("ip -o link | cut -d: -f2 | tr -d ' '").split()
    assert links == ["lo", "eth0", "eth1"], (m.name, links)
plain.succeed("ping -c 1 -W 5 sd")
sd.wait_for_unit("multi-user.target")
failed = sd.succeed("systemctl --failed --no-legend --plain")
assert failed.strip() == "", failed
# A kernel without modules runs no modprobe@ or modules-load program at boot (the units are
# skipped by their condition, not failed), and no legacy BSD ptys make device units.
for unit in ("modprobe@drm.service", "systemd-modules-load.service"):
    result = sd.succeed(f"systemctl show -P ConditionResult {unit}").strip()
    assert result == "no", (unit, result)
assert sd.succeed("ls /dev | grep -c '^ttyp' || true").strip() == "0"
sd.succeed("findmnt -n -o FSTYPE /data | grep -qx ext4")
sd.succeed("ping -c 1 -W 5 plain")
desk.wait_for_window("^hello$")
desk.succeed("test -c /dev/snd/timer && test -c /dev/dri/card0")
print("OWN KERNEL OK")
