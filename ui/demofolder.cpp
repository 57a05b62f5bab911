#include "ui/demofolder.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace vivarium {

QString userDemoTest(const QString &installedDir, QString *error)
{
    const QString target = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/vivarium/demo");
    if (!QDir().mkpath(target)) {
        *error = QStringLiteral("cannot create %1 for a copy of the demo").arg(target);
        return {};
    }
    const QStringList files = QDir(installedDir).entryList(QDir::Files);
    if (!files.contains(QStringLiteral("demo.toml"))) {
        *error = QStringLiteral("the demo is not in %1").arg(installedDir);
        return {};
    }
    for (const QString &name : files) {
        const QString copy = target + QLatin1Char('/') + name;
        if (QFileInfo::exists(copy))
            continue; // the user's, perhaps edited
        if (!QFile::copy(installedDir + QLatin1Char('/') + name, copy)) {
            *error = QStringLiteral("cannot copy the demo's %1 into %2").arg(name, target);
            return {};
        }
        // Installed files are read-only; the user's copy is theirs to edit.
        QFile::setPermissions(
            copy, QFile::permissions(copy) | QFileDevice::WriteOwner | QFileDevice::ReadOwner);
    }
    return target + QStringLiteral("/demo.toml");
}

} // namespace vivarium
