#pragma once

#include "core/guest/guestartifacts.h"
#include "core/spec/testspec.h"

namespace vivarium {

// What a host-share machine's directory holds. The guest sees guestDir as /vivarium.
struct MachinePaths {
    QString root; // private (0700): sockets and the disk live here
    QString guestDir; // root/guest: config/ (read by the initramfs and init) and shared/
    QString disk;
    QString diskExtension; // "img" (raw) or "qcow2" (a machine that can be snapshotted)
    QString initrd; // root = "image": the initramfs with the machine's config/ appended
    QString qmpSocket, serialSocket, backdoorSocket, shellSocket, vncSocket;

    static MachinePaths under(const QString &root, RootKind kind = RootKind::Share);
    QString sharedDir() const { return guestDir + QStringLiteral("/shared"); }
    // The counters of a test with coverage (the guest's /vivarium/coverage).
    QString coverageDir() const { return guestDir + QStringLiteral("/coverage"); }
    // The image of the machine's extra disk i (0-based, as in its `disks`).
    QString extraDisk(qsizetype i) const
    {
        return root + QStringLiteral("/disk-%1.%2").arg(i + 1).arg(diskExtension);
    }
};

// Writes the machine's configuration for its guest: init, hostname and hosts, files, commands,
// systemd units; creates its disk (a sparse ext4 image) unless it exists, so what the guest
// wrote survives a crash and a restart. A root = "image" machine has no 9p share: its config/
// travels in its own initramfs (paths.initrd: the common one with config/ appended as a
// second cpio archive, which the kernel unpacks over the first), and its disks are qcow2, so
// QEMU can snapshot them. rootImage: the image it boots from (a base image's accounts and unit
// links are kept beside it). Returns an error message, or empty.
QString prepareHostShare(const TestSpec &test, const MachineSpec &machine,
    const GuestArtifacts &artifacts, const MachinePaths &paths, QString *stage2,
    const QString &rootImage = {});

} // namespace vivarium
