# A snapshot that does not fit where the machine's disk lives fails with one message naming the
# machine, the snapshot and the reason; nothing half-saved is listed; the machine goes on, or is
# stopped with a message saying why.
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

# The run goes on, or stops cleanly: a write of the guest's own that met the full disk
# meanwhile made QEMU stop the guest, and the next call says so.
try:
    alive = client.succeed("echo alive")
except MachineError as e:
    assert "no space left for the machine's disk images" in str(e), str(e)
    print("FULL DISK OK (the guest was stopped cleanly)")
else:
    # The guest went on, or the full disk had stopped it and this call booted it again (its
    # /dev/shm is then empty): either way, a snapshot taken now that there is room restores.
    assert alive == "alive\n", alive
    client.succeed("echo kept > /dev/shm/marker")
    client.snapshot("roomy")
    client.succeed("rm /dev/shm/marker")
    client.restore("roomy")
    client.succeed("test -s /dev/shm/marker")
    print("FULL DISK OK (the guest went on)")
