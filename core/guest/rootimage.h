#pragma once

#include <QString>
#include <QStringList>
#include <functional>

namespace vivarium {

// The host's root as a read-only erofs image, the root a machine with root = "image" boots
// from: a block device, which QEMU can snapshot, where the 9p share of "/" cannot be. Built
// once with mkfs.erofs (lz4), cached under ~/.cache/vivarium as root-KEY.erofs, shared
// read-only by every guest. The key is what the image holds: the installed packages
// (/var/lib/dpkg/status), the files of /etc, /opt and /usr/local that no package owns (names,
// sizes, times), and the exclusions; a host change gives a new key, and the next machine that
// needs the image rebuilds it and says why (docs/guests.md, "Root images").
//
// What it holds of the host: /usr, /etc, /var, /opt and the top-level links (bin, lib...);
// /proc, /sys, /dev, /run, /tmp, /home, /root, /mnt, /media, /srv and /boot as empty
// directories; no other top-level directory (a project's checkout, a build), none of the host's
// secrets (HostView::hiddenFiles) and none of its package caches and logs.
class RootImage {
public:
    using Progress = std::function<void(const QString &)>;

    // mkfs.erofs's exclusion options inside the kept directories: the secrets `hidden`
    // (absolute paths) and the contents of the emptied directories.
    static QStringList exclusions(const QStringList &hidden);

    // Builds the image of source (a host root) at path, through a partial file beside it.
    // Needs root (it binds source's directories in a mount namespace of its own). progress
    // hears how far it got every 2 s, against expectedBytes when known. Returns an error or
    // empty.
    static QString build(
        const QString &source, const QString &path, qint64 expectedBytes, const Progress &progress);

    // The key of the image `source` (normally "/") makes today: 16 hex digits.
    static QString key(const QString &source = QStringLiteral("/"));

    // The directory images are cached in ($XDG_CACHE_HOME/vivarium, ~/.cache/vivarium), or
    // $VIVARIUM_ROOT_IMAGE_DIR.
    static QString cacheDirectory();

    // The path of the image of the host's root as it is now, built first when the cache has
    // none (a minute or more: progress says how far). Another process building it is waited
    // for. Empty with error set when it cannot be built (mkfs.erofs missing, unreadable files
    // when not root, the disk full), the message saying what and where.
    // source: the root to image ("/"; another only for tests of the cache).
    static QString ensure(
        const Progress &progress, QString *error, const QString &source = QStringLiteral("/"));
};

} // namespace vivarium
