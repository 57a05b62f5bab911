#include "core/util/rundirectory.h"

#include <QDir>
#include <cstdlib>

namespace vivarium {

RunDirectory::RunDirectory()
{
    QString base = qEnvironmentVariable(
        "VIVARIUM_RUN_DIR", qEnvironmentVariable("XDG_RUNTIME_DIR", QStringLiteral("/tmp")));
    QByteArray pattern
        = QDir(base).absoluteFilePath(QStringLiteral("vivarium-XXXXXX")).toLocal8Bit();
    if (char *made = ::mkdtemp(pattern.data())) // mkdtemp creates it 0700
        m_path = QString::fromLocal8Bit(made);
}

RunDirectory::~RunDirectory()
{
    if (!m_keep && !m_path.isEmpty())
        QDir(m_path).removeRecursively();
}

} // namespace vivarium
