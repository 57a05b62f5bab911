# What a snapshot must give back, and what it must refuse (docs/script-api.md, "Snapshots").
import threading
import time


def refused(call, *expected):
    try:
        call()
    except MachineError as e:
        for text in expected:
            assert text in str(e), (text, str(e))
        return
    raise AssertionError("not refused: " + " / ".join(expected))

start_all()
server.wait_for_unit("multi-user.target")

with subtest("a machine on the host's 9p root cannot be saved, nor a network it is in"):
    refused(lambda: plain.snapshot("x"), "machine plain", 'root = "share"', 'root = "image"')
    refused(lambda: snapshot_all("x"), "machine plain cannot be snapshotted",
            "no machine was saved")
    assert client.snapshots() == []
    plain.crash()

with subtest("a restored machine has its files and processes back, and answers at once"):
    client.succeed("echo before > /root/state")
    client.snapshot("first")
    client.succeed("echo after > /root/state; rm /etc/hostname; (sleep 1000 &)")
    client.restore("first")
    assert client.succeed("cat /root/state") == "before\n"
    assert client.succeed("cat /etc/hostname") == "client\n"
    assert client.succeed("pgrep -x sleep || echo none").strip() == "none"
    # The serial console and its waits work after the restore.
    client.succeed("echo vivarium-after-restore > /dev/ttyS0")
    client.wait_for_console_text("vivarium-after-restore", timeout=60)
    assert client.snapshots() == ["first"]

with subtest("the clock is QEMU's after a restore unless the script asks for the host's"):
    client.snapshot("clock")
    time.sleep(8)
    client.restore("clock")
    # QEMU brings its own clock back with the guest: never ahead of the host's, by how much
    # behind it varies (0.8-2.1 s measured). Bounds from host times taken before and after each
    # command, so a slow round trip on a busy host cannot fail either check.
    guest = float(client.succeed("date +%s.%N"))
    after = time.time()
    assert guest < after + 1, (guest, after)
    client.restore("clock", clock="host")
    before = time.time()
    guest = float(client.succeed("date +%s.%N"))
    after = time.time()
    assert before - 1 < guest < after + 1, (before, guest, after)
    refused(lambda: client.restore("clock", clock="later"), '"snapshot" or "host"')
    client.delete_snapshot("clock")

with subtest("a snapshot taken again under its name replaces it"):
    client.succeed("echo second > /root/state")
    client.snapshot("first")
    client.succeed("echo third > /root/state")
    client.restore("first")
    assert client.succeed("cat /root/state") == "second\n"

with subtest("a network restored together keeps its TCP connection"):
    server.succeed("systemd-run --unit listener sh -c 'nc -lk 7000 > /root/got'")
    server.wait_for_open_port(7000)
    client.succeed("mkfifo /root/pipe; (nc server 7000 < /root/pipe &); "
                   "exec 3>/root/pipe; echo one >&3; sleep 0.5")
    snapshot_all("connected")
    client.succeed("echo never >&3; sleep 0.5")
    restore_all("connected")
    client.succeed("echo two >&3; sleep 0.5")
    server.wait_until_succeeds("grep -q two /root/got", timeout=60)
    got = server.succeed("cat /root/got").split()
    assert got == ["one", "two"], got
    # The systemd machine's units and waits after the restore.
    server.wait_for_unit("multi-user.target")
    router.succeed("ping -c 1 -W 5 server")

with subtest("what is refused, saying why"):
    refused(lambda: client.restore("nope"), "machine client has no snapshot nope",
            "first")
    refused(lambda: client.snapshot("9lives"), "is not a snapshot name")
    refused(lambda: restore_all("never"), "snapshot_all(never) was never taken")
    # A restore while another thread's command runs on the machine.
    worker = threading.Thread(target=lambda: client.succeed("sleep 6"))
    worker.start()
    time.sleep(1)
    refused(lambda: client.restore("first"), "while a command runs")
    worker.join()
    client.delete_snapshot("first")
    assert client.snapshots() == ["connected"]

with subtest("a machine that is off comes back from the snapshot without a boot"):
    router.succeed("echo saved > /root/mark; (sleep 1000 &)")
    snapshot_all("both")
    router.succeed("echo later > /root/mark")
    router.crash()
    client.succeed("echo later > /root/state")
    restore_all("both")
    assert router.succeed("cat /root/mark") == "saved\n"
    # Not a new boot: a process started before the snapshot runs again.
    assert router.succeed("pgrep -x sleep || echo none").strip() != "none"
    assert client.succeed("cat /root/state") == "second\n"
    router.succeed("ping -c 1 -W 5 client")
    router.shutdown()
    router.restore("both")
    assert router.succeed("cat /root/mark") == "saved\n"
    # A snapshot it never had: refused before QEMU starts.
    router.crash()
    refused(lambda: router.restore("connected-never"), "machine router has no snapshot connected-never")
    assert not router.is_up()

print("SNAPSHOTS OK")
