#pragma once

#include "core/guest/guestartifacts.h"
#include "core/spec/testspec.h"

namespace vivarium {

// What a host-share machine's directory holds. The guest sees guestDir as /vivarium.
struct MachinePaths {
    QString root; // private (0700): sockets and the disk live here
    QString guestDir; // root/guest: config/ (read by the initramfs and init) and shared/
    QString disk;
    QString qmpSocket, serialSocket, backdoorSocket, shellSocket, vncSocket;

    static MachinePaths under(const QString &root);
    QString sharedDir() const { return guestDir + QStringLiteral("/shared"); }
    // The image of the machine's extra disk i (0-based, as in its `disks`).
    QString extraDisk(qsizetype i) const
    {
        return root + QStringLiteral("/disk-%1.img").arg(i + 1);
    }
};

// Writes the machine's configuration for its guest: init, hostname and hosts, files, commands,
// systemd units; creates its disk (a sparse ext4 image) unless it exists, so what the guest
// wrote survives a crash and a restart. Returns an error message, or empty.
QString prepareHostShare(const TestSpec &test, const MachineSpec &machine,
    const GuestArtifacts &artifacts, const MachinePaths &paths, QString *stage2);

} // namespace vivarium
