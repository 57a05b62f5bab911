# What a guest kernel must give each kind of guest; the release is checked against the one
# scripts/build-guest used (GUEST_RELEASE and GUEST_FLAVOUR, "own" or "debian", set by
# tst_guestkernels).
import hashlib
import os
import tempfile
import time
release = os.environ["GUEST_RELEASE"]
own = os.environ["GUEST_FLAVOUR"] == "own"
start_all()
for m in (plain, sd, desk, img):
    assert m.succeed("uname -r").strip() == release, m.name
    # Only the machine's NICs: no dummy0 or sit0 that Debian's kernel would not make.
    links = m.succeed("ip -o link | cut -d: -f2 | tr -d ' '").split()
    assert links == ["lo", "eth0", "eth1"], (m.name, links)
    # The board: microvm where the kernel has virtio-mmio built in and the machine no screen.
    board = m.succeed("test -d /sys/devices/virtio-mmio-cmdline && echo microvm || echo pc")
    expected = "microvm" if own and m is not desk else "pc"
    assert board.strip() == expected, (m.name, board)
    # Every virtio device has its driver: a transport whose interrupt an RTC driver had taken
    # (microvm's IRQ 8) would leave one without.
    unbound = m.succeed("for d in /sys/bus/virtio/devices/*; do [ -e $d/driver ] || echo $d; done")
    assert unbound.strip() == "", (m.name, unbound)
    # The clock is the host's (read from the CMOS clock at boot: the own kernel has no RTC
    # driver), and timers fire (a board without a working timer never ends a sleep).
    skew = abs(int(m.succeed("date +%s")) - time.time())
    assert skew < 30, (m.name, skew)
    m.succeed("sleep 0.2")
plain.succeed("ping -c 1 -W 5 sd")
sd.wait_for_unit("multi-user.target")
failed = sd.succeed("systemctl --failed --no-legend --plain")
assert failed.strip() == "", failed
# A kernel without modules runs no modprobe@ or modules-load program at boot (the units are
# skipped by their condition, not failed); Debian's loads modules on demand. Neither makes
# legacy BSD ptys (512 device units at every boot).
def condition(unit):
    shown = dict(line.split("=", 1) for line in sd.succeed(
        f"systemctl show -p ConditionTimestampMonotonic -p ConditionResult {unit}").split())
    assert shown["ConditionTimestampMonotonic"] != "0", f"{unit} was never started"
    return shown["ConditionResult"]
if own:
    for unit in ("modprobe@drm.service", "systemd-modules-load.service"):
        assert condition(unit) == "no", unit
else:
    assert condition("modprobe@drm.service") == "yes"
    sd.succeed("modprobe dummy && ip link add vivarium0 type dummy && ip link del vivarium0")
assert sd.succeed("ls /dev | grep -c '^ttyp' || true").strip() == "0"
desk.succeed("findmnt -n -o FSTYPE /data | grep -qx ext4")
sd.succeed("ping -c 1 -W 5 plain")
desk.wait_for_window("^hello$")
desk.succeed("test -c /dev/dri/card0")
if own:  # built in; Debian's snd-timer module loads with a sound card
    desk.succeed("test -c /dev/snd/timer")
# The image root: erofs under the overlay, nothing over 9p (so QEMU could snapshot it), the
# machine's files and disks as on a shared root, the host's secrets and homes not in it.
img.wait_for_unit("multi-user.target")
assert img.succeed("systemctl --failed --no-legend --plain").strip() == ""
assert "9p" not in img.succeed("cat /proc/mounts")
assert img.succeed("cat /etc/vivarium-image-test") == "from the test file"
img.succeed("findmnt -n -o FSTYPE /data | grep -qx ext4")
# (The script runs on the host: what the host has in its homes is not in the guest's.)
seen = set(img.succeed("ls -A /root /home").split())
hidden = {n for n in os.listdir("/root") + os.listdir("/home") if not n.startswith(".bash")}
# systemd's tmpfiles (provision.conf) makes an empty /root/.ssh in every systemd guest, a name
# the host may have too: there, what must not reach the guest is the host's keys.
assert not (seen & hidden) - {".ssh"}, seen & hidden
host_keys = set(os.listdir("/root/.ssh")) if os.path.isdir("/root/.ssh") else set()
guest_keys = set(img.succeed("ls -A /root/.ssh 2>/dev/null || true").split())
assert not guest_keys & host_keys, guest_keys & host_keys
img.succeed("getcap /usr/bin/ping | grep -q cap_net_raw")  # file capabilities kept
img.succeed("ping -c 1 -W 5 plain")
payload = bytes(range(256)) * 4096  # 1 MiB, every byte value
with tempfile.TemporaryDirectory() as d:
    with open(d + "/payload", "wb") as f:
        f.write(payload)
    img.copy_from_host(d + "/payload", "/data/payload")
assert img.succeed("md5sum < /data/payload").split()[0] == hashlib.md5(payload).hexdigest()
print("GUEST KERNEL OK")
