# Each machine runs the kernel it names (GUEST_RELEASE_VIVARIUM and GUEST_RELEASE_DEBIAN, set by
# tst_guestkernels from the builds' kernel-release) with its disk's file system mounted and
# writable; then a property draws both keys per machine and checks the same on each example.
import os

from vivarium.stateful import NetworkStateMachine, machine_keys, networks, rule, run, st

releases = {"vivarium": os.environ["GUEST_RELEASE_VIVARIUM"], "debian": os.environ["GUEST_RELEASE_DEBIAN"]}


def check(machine, kernel, fs):
    assert machine.succeed("uname -r").strip() == releases[kernel], (machine.name, kernel)
    assert machine.succeed("findmnt -n -o FSTYPE /data").strip() == fs, (machine.name, fs)
    machine.succeed("echo kept > /data/file && sync && grep -q kept /data/file")


start_all()
check(deb, "debian", "xfs")
check(own, "vivarium", "btrfs")
check(plain, "vivarium", "xfs")  # the build's default kernel is Vivarium's own


class Seed(NetworkStateMachine):
    network = networks(min_machines=1, max_machines=1,
                       machine=machine_keys(inits=("minimal",), kernels=("vivarium", "debian"),
                                            filesystems=("ext4", "xfs", "btrfs")))

    @rule()
    def boot_and_check(self):
        for name, keys in self.spec.items():
            self.machines[name].start()
            check(self.machines[name], keys["kernel"], keys["disks"][0]["fs"])
            print(f"DRAWN {keys['kernel']} {keys['disks'][0]['fs']}")


run(Seed)
print("NAMED KERNELS OK")
