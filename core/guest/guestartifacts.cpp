#include "core/guest/guestartifacts.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace vivarium {

std::optional<GuestArtifacts> GuestArtifacts::find(QString *error)
{
    // VIVARIUM_GUEST_DIR, else the build's guest directory, else an installed package's.
    QStringList dirs;
    if (qEnvironmentVariableIsSet("VIVARIUM_GUEST_DIR"))
        dirs << qEnvironmentVariable("VIVARIUM_GUEST_DIR");
    else
        dirs << QStringLiteral(VIVARIUM_GUEST_DIR)
             << QCoreApplication::applicationDirPath() + QStringLiteral("/../lib/vivarium/guest");
    QString missing;
    for (const QString &dir : std::as_const(dirs)) {
        GuestArtifacts a;
        a.dir = QDir::cleanPath(dir);
        a.kernel = a.dir + QStringLiteral("/vmlinux");
        a.initramfs = a.dir + QStringLiteral("/initramfs.cpio.gz");
        a.agent = a.dir + QStringLiteral("/vivarium-agent");
        missing.clear();
        for (const QString &path : { a.kernel, a.initramfs, a.agent }) {
            if (!QFileInfo(path).isFile() && missing.isEmpty())
                missing = path;
        }
        if (missing.isEmpty()) {
            QFile append(a.dir + QStringLiteral("/kernel-append"));
            if (append.open(QIODevice::ReadOnly))
                a.kernelAppend = QString::fromUtf8(append.readAll()).simplified();
            QFile machines(a.dir + QStringLiteral("/qemu-machines"));
            if (machines.open(QIODevice::ReadOnly))
                a.microvm = QString::fromUtf8(machines.readAll())
                                .split(QRegularExpression(QStringLiteral("\\s+")))
                                .contains(QStringLiteral("microvm"));
            return a;
        }
        if (dirs.size() > 1 && dir == dirs.constFirst())
            *error = QStringLiteral("guest artifact %1 is missing: run scripts/setup (or "
                                    "scripts/build-guest %2 and build the vivarium-agent target)")
                         .arg(missing, QDir::cleanPath(dir));
    }
    if (dirs.size() == 1)
        *error = QStringLiteral("guest artifact %1 is missing: run scripts/setup (or "
                                "scripts/build-guest %2 and build the vivarium-agent target)")
                     .arg(missing, QDir::cleanPath(dirs.constFirst()));
    return std::nullopt;
}

} // namespace vivarium
