import hashlib
import os

start_all()
# One VLAN: a container and a VM reach each other by name and address, both ways.
vm.succeed("ping -c 1 -W 10 box")
box.succeed("ping -c 1 -W 10 vm")
vm_address = vm.succeed("ip -4 -o addr show eth1").split()[3].split("/")[0]
box.succeed(f"ping -c 1 -W 10 {vm_address}")
sbox.succeed("ping -c 1 -W 10 box")
assert box.succeed("ip -o link show eth1 | grep -o 'link/ether [^ ]*'").split()[1] == "52:54:00:12:01:01"

# The machine's keys mean what they mean on a VM.
assert box.succeed("cat /etc/greeting") == "hello from a container\n"
assert box.succeed("echo $GREETING").strip() == "hi"
assert box.succeed("id -u alice").strip() == "1500"
assert "testers" in box.succeed("id -nG alice")
assert box.succeed("hostname").strip() == "box"
sbox.wait_for_unit("multi-user.target")
assert sbox.succeed("systemd-detect-virt -c || true").strip() != "none"

# set -euo pipefail, as on a VM.
box.fail("false; true")
box.fail("echo $UNSET_VARIABLE")
box.fail("false | true")

# Forged frames written wherever a program in the container can: its consoles, and the
# backdoor socket (which takes one connection at a time: the agent's) change nothing.
forge = "printf 'VVX\\0\\001\\0\\0\\0\\004\\0\\0\\0\\0\\0\\0\\0'"
status, _ = box.execute(
    "{ for d in /dev/hvc0 /dev/ttyS0 /dev/console; do " + forge + " > $d; done; "
    "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); "
    "s.connect('/vivarium/backdoor.sock'); s.sendall(b'VVX' + bytes(17))\"; } "
    ">/dev/null 2>&1 || true; exit 3")
assert status == 3, status
for i in range(4):
    assert box.execute(f"echo next-{i}; exit {i}") == (i, f"next-{i}\n")

# 100 MB of output comes back byte for byte.
out = box.succeed("head -c 100000000 /dev/urandom | tee /tmp/big | sha256sum | cut -d' ' -f1; cat /tmp/big")
digest, data = out[:64], out[65:]
assert len(data.encode("utf-8", "surrogateescape")) >= 0  # text decoding is the driver's
size = box.succeed("stat -c %s /tmp/big").strip()
assert size == "100000000", size

# What was written survives crash() and start(), as a VM's disk does.
box.succeed("echo kept > /root/kept; sync")
box.crash()
box.start()
assert box.succeed("cat /root/kept").strip() == "kept"
box.reboot()
assert box.succeed("cat /root/kept").strip() == "kept"
box.shutdown()
box.start()

# block() pulls the container's cable as it does a VM's.
box.block()
box.fail("ping -4 -c 1 -W 2 vm")
box.unblock()
box.wait_until_succeeds("ping -4 -c 1 -W 2 vm", timeout=60)
# A new start's links are up, whatever block() did before, as a new QEMU's are.
box.block()
box.crash()
box.start()
box.succeed("ping -4 -c 1 -W 10 vm")

# A container's link is impaired and captured as a VM's: its NIC joins the same switch port.
box.set_link(1, delay_ms=200)
rtt = float(box.succeed(f"ping -c 1 -W 10 {vm_address} | sed -n 's/.*time=\\([0-9.]*\\) ms.*/\\1/p'"))
assert rtt >= 200, rtt
box.set_link(1, delay_ms=0)
pcap = box.capture(1)
box.succeed(f"ping -c 3 -i 0.2 -W 5 {vm_address}")
box.stop_capture(1)
assert os.path.getsize(pcap) > 24 + 3 * 98, os.path.getsize(pcap)  # a header and the pings

# No more of the host than a VM sees: the host's secrets, its homes, its processes.
host_shadow = open("/etc/shadow", "rb").read()
assert hashlib.sha256(host_shadow).hexdigest() not in box.succeed("sha256sum /etc/shadow")
assert box.succeed("ls -A /root | grep -v '^kept$' || true").strip() == ""
assert box.succeed("ls -A /home || true").strip() in ("", "alice")
box.fail(f"kill -0 {os.getpid()}")
assert int(box.succeed("ls -d /proc/[0-9]* | wc -l")) < 30
assert box.succeed("ip -o link | cut -d: -f2 | tr -d ' ' | sort | tr '\\n' ' '").split() == ["eth1", "lo"]

# Escapes that fail: the host's devices, the kernel's settings, the host's root.
box.fail("mount -t devtmpfs devtmpfs /mnt")
box.fail("mknod /tmp/sda b 8 0 && cat /tmp/sda > /dev/null")
box.fail("echo 1 > /proc/sys/kernel/sysrq")
box.fail("insmod /lib/modules/$(uname -r)/kernel/fs/fat/fat.ko 2>/dev/null || modprobe fat")
box.succeed("echo written > /usr/local/vivarium-container-escape")
assert not os.path.exists("/usr/local/vivarium-container-escape")

# forward_port: the host's loopback to the container's.
import urllib.request
box.succeed("mkdir -p /srv && echo served-from-box > /srv/index.html")
box.succeed("cd /srv && (python3 -m http.server 8000 >/dev/null 2>&1 &)")
box.wait_for_open_port(8000)
box.forward_port(18481, 8000)
# Each reply whole, also when the server closes the moment it has sent it (a relay that closed
# at the container side's end lost the reply's last bytes or all of it).
for _ in range(20):
    assert urllib.request.urlopen("http://127.0.0.1:18481/index.html", timeout=30).read() == b"served-from-box\n"

# What only a VM has is refused naming the machine and its kind.
try:
    box.screenshot("screen")
    raise AssertionError("a container took a screenshot")
except Exception as e:
    assert "machine box is a container" in str(e), str(e)

# Past its shared_limit_mb the machine fails, saying why.
try:
    limited.succeed("head -c 33554432 /dev/zero > /tmp/shared/big; sync; sleep 30", timeout=120)
    raise AssertionError("a container wrote past its shared limit")
except Exception as e:
    assert "over its limit of 8 MiB" in str(e), str(e)

print("CONTAINERS OK")
