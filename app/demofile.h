#pragma once

#include "buildpaths.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QString>

// A file of the built-in demos (resources/demo): from the source tree, or where the package
// installs it.
inline QString demoFile(const QString &name)
{
    const QString source = QStringLiteral(VIVARIUM_SOURCE_DIR "/resources/demo/") + name;
    if (QFileInfo::exists(source))
        return source;
    return QCoreApplication::applicationDirPath() + QStringLiteral("/../share/vivarium/demo/")
        + name;
}
