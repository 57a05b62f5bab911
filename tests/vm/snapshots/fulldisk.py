# A snapshot that does not fit where the machine's disk lives fails with one message naming the
# machine, the snapshot and the reason; the machine goes on, and nothing half-saved is listed.
import os

client.start()
client.wait_for_ready()
# Memory worth saving: random bytes do not compress away.
client.succeed("head -c 48M /dev/urandom > /dev/shm/noise")

run = os.environ["VIVARIUM_RUN_DIR"]
filler = os.path.join(run, "filler")
chunk = b"\xff" * (1 << 20)
with open(filler, "wb") as f:
    while True:
        st = os.statvfs(run)
        if st.f_bavail * st.f_frsize < (4 << 20):
            break
        f.write(chunk)
        f.flush()

try:
    client.snapshot("full")
except MachineError as e:
    message = str(e)
    print("refused:", message)
    assert "machine client" in message and "snapshot full" in message, message
    assert "MiB free" in message, message
else:
    raise AssertionError("a snapshot on a full disk was taken")
os.remove(filler)

assert client.snapshots() == [], client.snapshots()
assert client.succeed("echo alive") == "alive\n"
client.snapshot("roomy")
client.succeed("rm /dev/shm/noise")
client.restore("roomy")
client.succeed("test -s /dev/shm/noise")
print("FULL DISK OK")
