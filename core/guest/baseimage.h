#pragma once

#include <QString>
#include <QStringList>
#include <functional>

namespace vivarium {

// A root that is not the host's (`base = "debian-bookworm"` on a machine): Debian's archive,
// through mmdebstrap, with Vivarium's guest packages and the machine's `packages`, as a cached
// read-only erofs image that boots like the host's root image (docs/guests.md, "Base images").
// Built once per base and package set, cached under ~/.cache/vivarium as base-KEY.erofs, with
// what the machine's root is written from beside it: the image's accounts (base-KEY.passwd,
// base-KEY.group) and the unit links its packages enable (base-KEY.units). The key is the
// recipe, the base, the sorted package list and the apt sources it is built from.
class BaseImage {
public:
    using Progress = std::function<void(const QString &)>;

    static QStringList bases(); // the names `base` takes
    // What every base image holds beyond minbase: both inits, the network set-up, ping, ps.
    static QStringList guestPackages();
    static QString key(const QString &base, const QStringList &packages);

    // The image's path, built first when the cache has none (a minute or more, said through
    // progress line by line). Empty with error set when it cannot be built: mmdebstrap or
    // mkfs.erofs missing, a package the archive does not have (mmdebstrap's own words), a full
    // disk. Another process building the same image is waited for.
    static QString ensure(
        const QString &base, const QStringList &packages, const Progress &progress, QString *error);

    // What was kept beside an image: its /etc/passwd, /etc/group and enabled unit links.
    static QByteArray passwd(const QString &image);
    static QByteArray group(const QString &image);
    static QStringList unitLinks(const QString &image);
};

} // namespace vivarium
