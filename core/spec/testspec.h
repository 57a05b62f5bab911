#pragma once

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <optional>

namespace vivarium {

// Where a value came from in a test file, for messages.
struct SourceLocation {
    QString file;
    int line = 0;
    int column = 0;
    QString toString() const;
};

// Impairment of one link: what a machine's NIC sends into its VLAN switch is delayed, lost,
// duplicated and limited (like netem on the machine's interface). Zero values are "none".
struct LinkSettings {
    // The ranges the test-file loader and the runtime API both enforce.
    static constexpr double maxDelayMs = 60000;
    static constexpr int maxBandwidthKbit = 100000000;

    double delayMs = 0;
    double jitterMs = 0;
    double loss = 0; // 0..1
    double dup = 0; // 0..1
    int bandwidthKbit = 0; // 0: unlimited
    bool capture = false;
    bool operator==(const LinkSettings &) const = default;
    // Empty when every value is in its range; else what is wrong, naming the test-file key.
    QString validate() const;
};

enum class InitKind { Minimal, Systemd };

// The kernels a machine's `kernel` key may name, each with its initramfs (docs/guests.md,
// "Kernels"): Vivarium's own, built by scripts/build-kernel, and the host's Debian kernel with
// its modules. scripts/setup builds both.
inline const QStringList &namedKernels()
{
    static const QStringList names { QStringLiteral("vivarium"), QStringLiteral("debian") };
    return names;
}

// What runs a machine: a QEMU virtual machine, or a Linux container on the host (its own
// namespaces, the host's root under its own writable layer; docs/guests.md, "Containers").
enum class MachineKind { Vm, Container };

// What a machine's root is made of: Share, the host's "/" over virtio-9p (live, no image to
// build; QEMU cannot snapshot it); Image, the host's root as a cached read-only erofs image on
// a block device with the machine's own qcow2 disk on top, which QEMU can snapshot
// (docs/guests.md, "Roots").
enum class RootKind { Share, Image };

// A file the test puts into the machine's root at every boot, replacing whatever the host has
// at that path (a file, a symlink, an earlier boot's copy).
struct GuestFile {
    GuestFile() = default;
    GuestFile(QString text, int fileMode = 0644, QString fileOwner = {})
        : content(std::move(text))
        , mode(fileMode)
        , owner(std::move(fileOwner))
    {
    }
    // Vivarium's own masks: a symbolic link (to /dev/null) instead of content.
    static GuestFile link(const QString &target)
    {
        GuestFile file;
        file.symlink = target;
        return file;
    }

    QString content;
    int mode = 0644;
    QString owner; // "user" or "user:group"; empty: root:root
    QString symlink;
    bool operator==(const GuestFile &) const = default;
};

// An account of the machine's own (the `users` key), beside the host's.
struct GuestUser {
    QString name;
    int uid = -1; // -1: the first free from 1000
    // Empty: "users" for a new account, its own for one the host has (root's password, say).
    QString group; // primary group, created when the host has none
    QStringList groups; // supplementary; created when missing
    QString home; // default /home/NAME (created, owned by the user)
    int homeMode = 0700;
    QString shell; // default /bin/bash
    QString password; // plain text, hashed when the machine is prepared; empty: locked
    QString hashedPassword; // a crypt(3) hash as NixOS's hashedPassword, written as it is
    QStringList authorizedKeys; // OpenSSH public keys, the user's ~/.ssh/authorized_keys
    bool operator==(const GuestUser &) const = default;
};

// A group of the machine's own (the `groups` key); users' groups that no one declares are made
// with a free gid.
struct GuestGroup {
    QString name;
    int gid = -1; // -1: the first free from 1000
    bool operator==(const GuestGroup &) const = default;
};

// An extra virtio disk (/dev/vdb, /dev/vdc...), kept across crash() like the state disk.
struct GuestDisk {
    int sizeMiB = 0;
    QString fs; // mkfs type ("swap": mkswap, and swapped on at boot); empty: left unformatted
    QString mount; // where the guest mounts it at boot; empty: not mounted
    bool operator==(const GuestDisk &) const = default;
};

// One /etc/fstab line (the `mounts` key), which the guest mounts at boot.
struct GuestMount {
    QString mountPoint;
    QString device;
    QString fs;
    QStringList options { QStringLiteral("defaults") };
    bool operator==(const GuestMount &) const = default;
};

// The QEMU board a machine asks for: Auto takes microvm where the machine can boot on it (see
// machineLaunch), else pc.
enum class QemuMachineChoice { Auto, Pc, Microvm };

// The names `base` takes (BaseImage builds them): Debian 11, 12 and 13, for a machine's
// services at the versions those releases ship (an old client against a new server).
inline QStringList knownBases()
{
    return { QStringLiteral("debian-bullseye"), QStringLiteral("debian-bookworm"),
        QStringLiteral("debian-trixie") };
}

struct MachineSpec {
    QString name;
    QList<int> vlans { 1 };
    int memoryMiB = 256;
    int cpus = 1;
    MachineKind kind = MachineKind::Vm;
    InitKind init = InitKind::Minimal;
    RootKind root = RootKind::Share;
    // root = "share": what the guest may write into the host directory shared with it
    // (/tmp/shared, /vivarium), in MiB; the machine fails beyond it.
    int sharedLimitMiB = 1024;
    QStringList services;
    QStringList commands;
    // A NIC's addresses in place of its defaults (192.168.V.N/24, 2001:db8:V::N/64): interface
    // ("eth1") -> addresses with prefix length; an empty list leaves the NIC without any.
    QMap<QString, QStringList> addresses;
    QMap<QString, GuestFile> files; // absolute guest path -> file
    QList<GuestUser> users;
    QList<GuestGroup> groups;
    QList<GuestDisk> disks;
    QList<GuestMount> mounts; // besides the disks' own
    QMap<QString, QString> environment; // for every command the backdoor runs
    QStringList packages; // on the host, or (with base) in the base image
    // A root from Debian's archive instead of the host's ("debian-bookworm"): a cached image
    // of it with `packages` (BaseImage); implies root = Image.
    QString base;
    bool graphics = false;
    bool vnc = true; // with graphics: a VNC server for the workbench (else it polls dumps)
    QString
        desktop; // "x11": Xorg, a window manager and x11Commands on the screen; implies graphics
    QStringList x11Commands; // started in the desktop's session (root, DISPLAY=:0)
    QString image; // absolute path, when the machine boots a disk image
    QString startCommand; // a NixOS-style start script, when given
    QString kernel; // absolute path; default: the built guest kernel
    // A kernel of Vivarium's by name (namedKernels()), its initramfs with it; empty: the
    // build's default guest kernel (GuestArtifacts::named).
    QString kernelName;
    QString initrd;
    QString append; // added to the kernel command line
    QStringList qemuOptions;
    QemuMachineChoice qemuMachine = QemuMachineChoice::Auto;
    // The [hosts.NAME] the machine runs on (docs/scale-out.md); empty or "local": this host.
    QString host;
    bool onOtherHost() const { return !host.isEmpty() && host != QLatin1String("local"); }
    SourceLocation location;

    // The name as a Python identifier ("web-1" -> "web_1").
    QString pythonName() const;
    // The least memory a machine of this init boots in (the loader's lower bound; measured
    // under TCG: a systemd guest with 96 MiB never reached multi-user.target, 112-128 did).
    static int memoryFloorMiB(InitKind init) { return init == InitKind::Systemd ? 128 : 64; }
    // The guest device of extra disk i (0-based): /dev/vdb, /dev/vdc...
    static QString diskDevice(qsizetype i);
    // The mounts of /etc/fstab: the disks' with a mount point and the swap disks' (mount point
    // "none"), then `mounts`.
    QList<GuestMount> fstab() const;
};

// A [[link]] entry: settings for one machine's NIC on one VLAN.
struct LinkSpec {
    QString machine;
    int vlan = 0;
    LinkSettings settings;
    SourceLocation location;
};

// Settings of the script's vivarium.stateful properties: the test file's [property] table,
// then vivarium-test's --examples/--steps/--seed/--derandomize/--replay over it. Unset: what
// the script's run() says.
struct PropertySettings {
    std::optional<int> examples;
    std::optional<int> steps;
    std::optional<qint64> seed;
    std::optional<bool> derandomize;
    std::optional<bool> forks; // examples fork from the snapshots of earlier ones
    // With [coverage]: each example scored by the lines and branches it ran first (target())
    std::optional<bool> guided;
    bool replay = false; // only the failing examples kept from earlier runs

    // These settings with every one that other sets in their place.
    PropertySettings overriddenBy(const PropertySettings &other) const;
};

// The [coverage] table (docs/coverage.md): what the machines' instrumented programs measure and
// where the host collects it. `coverage = true` is the table with its defaults.
struct CoverageSettings {
    bool enabled = false;
    bool python = true; // coverage.py in every Python process of the guests
    // clang programs built with -fprofile-instr-generate -fcoverage-mapping: llvm-cov reads
    // their coverage maps (a raw profile does not say which program wrote it). Absolute paths.
    QStringList llvmPrograms;
    // File names of programs (as pidof finds them) that write their counters on flushSignal,
    // sent before every collection; programs not named write at exit.
    QStringList flush;
    QString flushSignal = QStringLiteral("USR2");
    // Source paths to keep (lcov --extract patterns); empty: everything but /usr/include and
    // /usr/lib.
    QStringList include;
    // Power every running machine off cleanly at the end of a vivarium-test run before
    // collecting, so programs that write at exit have written.
    bool powerOff = true;
};

// A [hosts.NAME] table (docs/scale-out.md): another machine reached over ssh with keys only,
// where machines with host = "NAME" run.
struct HostSpec {
    QString name;
    QString ssh; // "user@address" or "address", as ssh takes it
    int port = 0; // 0: ssh's default (or the ssh_config's)
    QString sshConfig; // absolute path of an ssh_config for it (ssh -F); empty: the user's
    int memoryMiB = 0; // for --hosts placement; 0: not said
    int cpus = 0;
    SourceLocation location;
};

struct TestSpec {
    QString name;
    QString file; // absolute path of the .toml
    QString script; // absolute path, empty when none
    int globalTimeoutS = 3600;
    // The test file's machines sorted by name, then those the script added (add_machine) in
    // the order it added them: a machine's place is its node number in its addresses.
    QList<MachineSpec> machines;
    MachineSpec defaults; // [defaults]: where every machine's keys start, added ones too
    QMap<int, LinkSettings> vlans; // [vlans.N] settings, for every VLAN a machine names
    QList<LinkSpec> links;
    PropertySettings property;
    CoverageSettings coverage;
    QMap<QString, HostSpec> hosts; // [hosts.NAME]

    const MachineSpec *machine(const QString &name) const;
    // The settings in force for machine's NIC on vlan: [[link]] over [vlans.N] over defaults.
    // Its capture flag is the [[link]]'s only: a [vlans.N] capture is one file for the VLAN.
    LinkSettings linkSettings(const QString &machine, int vlan) const;
    // 1-based position of the name among all machine names, sorted (the NixOS address scheme).
    int nodeNumber(const QString &machine) const;
};

} // namespace vivarium
