#include "core/guest/guestartifacts.h"

#include "buildpaths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace vivarium {

namespace {

QString readText(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()).simplified()
                                          : QString();
}

// The artifacts in dir with the agent at agent; missing names the first file not there.
GuestArtifacts read(const QString &dir, const QString &agent, QString *missing)
{
    GuestArtifacts a;
    a.dir = QDir::cleanPath(dir);
    a.kernel = a.dir + QStringLiteral("/vmlinux");
    a.initramfs = a.dir + QStringLiteral("/initramfs.cpio.gz");
    a.agent = agent.isEmpty() ? a.dir + QStringLiteral("/vivarium-agent") : agent;
    missing->clear();
    for (const QString &path : { a.kernel, a.initramfs, a.agent }) {
        if (!QFileInfo(path).isFile() && missing->isEmpty())
            *missing = path;
    }
    a.kernelAppend = readText(a.dir + QStringLiteral("/kernel-append"));
    a.microvm = readText(a.dir + QStringLiteral("/qemu-machines"))
                    .split(QLatin1Char(' '))
                    .contains(QStringLiteral("microvm"));
    a.flavour = readText(a.dir + QStringLiteral("/flavour"));
    return a;
}

QString missingMessage(const QString &missing, const QString &dir)
{
    return QStringLiteral("guest artifact %1 is missing: run scripts/setup (or "
                          "scripts/build-guest %2 and build the vivarium-agent target)")
        .arg(missing, QDir::cleanPath(dir));
}

} // namespace

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
        GuestArtifacts a = read(dir, {}, &missing);
        if (missing.isEmpty())
            return a;
        if (dir == dirs.constFirst())
            *error = missingMessage(missing, dir); // the first place is the one to build
    }
    return std::nullopt;
}

std::optional<GuestArtifacts> GuestArtifacts::named(
    const QString &name, const GuestArtifacts &defaults, QString *error)
{
    if (name.isEmpty() || defaults.flavour == name)
        return defaults;
    const QString dir = defaults.dir + QLatin1Char('-') + name;
    QString missing;
    GuestArtifacts a = read(dir, defaults.agent, &missing);
    if (!missing.isEmpty()) {
        *error = QStringLiteral("kernel = \"%1\": guest artifact %2 is missing: run "
                                "scripts/setup (or VIVARIUM_GUEST_KERNEL=%1 scripts/build-guest "
                                "%3)")
                     .arg(name, missing, dir);
        return std::nullopt;
    }
    return a;
}

} // namespace vivarium
