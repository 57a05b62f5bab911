#pragma once

#include "core/spec/accounts.h"
#include "core/spec/testspec.h"

#include <QByteArray>
#include <QMap>
#include <QStringList>

namespace vivarium {

// The machine's /etc/passwd, group, shadow and gshadow: the host's accounts and the test's
// `users`; root without a password (as a NixOS test machine's), the host's other accounts
// locked, a test user's password hashed (SHA-512 crypt). Keyed by guest path.
QMap<QString, GuestFile> accountFiles(const Accounts &accounts, const QList<GuestUser> &users);

// /etc/fstab from the machine's disks and mounts (systemd's fstab generator and the minimal
// init's `mount -a` read it).
GuestFile fstabFile(const MachineSpec &m);

// What every backdoor shell reads first: the machine's `environment` and the /etc/profile.d
// scripts among its files.
QByteArray machineProfile(const MachineSpec &m);

// The initramfs's steps for the machine's files at each boot, as a busybox sh script run in the
// new root: remove `removed` and whatever is at each file's path (a host's symlink, an earlier
// boot's copy), make the directories on the way and the mount points of m's fstab that do not
// exist (existing ones keep their mode and owner), copy the files from `source` (config/files,
// relative to the new root), then owners and modes; then the homes of m's users.
QByteArray filesScript(const QMap<QString, GuestFile> &files, const QStringList &removed,
    const QString &source, const Accounts &accounts, const MachineSpec &m);

} // namespace vivarium
