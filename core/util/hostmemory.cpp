#include "core/util/hostmemory.h"

#include <QFile>
#include <QRegularExpression>

namespace vivarium {

qint64 availableMemoryMiB()
{
    QFile meminfo(QStringLiteral("/proc/meminfo"));
    if (!meminfo.open(QIODevice::ReadOnly))
        return -1;
    static const QRegularExpression line(
        QStringLiteral("^MemAvailable:\\s+(\\d+) kB"), QRegularExpression::MultilineOption);
    const QRegularExpressionMatch match = line.match(QString::fromLatin1(meminfo.readAll()));
    return match.hasMatch() ? match.captured(1).toLongLong() / 1024 : -1;
}

} // namespace vivarium
