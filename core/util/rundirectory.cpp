#include "core/util/rundirectory.h"

#include <QDir>
#include <QFile>
#include <cstdlib>
#include <unistd.h>

namespace vivarium {

namespace {

const char *const ownerFile = "owner";
const char *const keptFile = "kept";

// A process's start time in clock ticks since boot (field 22 of /proc/PID/stat): with the pid,
// it names one process even after the pid is reused.
QByteArray startTime(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return {};
    const QByteArray text = stat.readAll();
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    return fields.size() > 19 ? fields.at(19) : QByteArray();
}

QByteArray ownerLine(qint64 pid)
{
    return QByteArray::number(pid) + ' ' + startTime(pid) + '\n';
}

} // namespace

QString RunDirectory::base()
{
    return qEnvironmentVariable(
        "VIVARIUM_RUN_DIR", qEnvironmentVariable("XDG_RUNTIME_DIR", QStringLiteral("/tmp")));
}

RunDirectory::RunDirectory()
{
    QByteArray pattern
        = QDir(base()).absoluteFilePath(QStringLiteral("vivarium-XXXXXX")).toLocal8Bit();
    if (char *made = ::mkdtemp(pattern.data())) { // mkdtemp creates it 0700
        m_path = QString::fromLocal8Bit(made);
        QFile owner(m_path + QLatin1Char('/') + QLatin1String(ownerFile));
        if (owner.open(QIODevice::WriteOnly))
            owner.write(ownerLine(::getpid()));
    }
}

RunDirectory::~RunDirectory()
{
    if (m_path.isEmpty())
        return;
    if (m_keep) {
        // Kept on purpose: never stale.
        QFile kept(m_path + QLatin1Char('/') + QLatin1String(keptFile));
        if (kept.open(QIODevice::WriteOnly))
            kept.write("kept with --keep-machine-state\n");
        return;
    }
    QDir(m_path).removeRecursively();
}

QStringList RunDirectory::removeStale()
{
    QStringList removed;
    const QDir dir(base());
    for (const QString &name : dir.entryList({ QStringLiteral("vivarium-??????") }, QDir::Dirs)) {
        const QString path = dir.absoluteFilePath(name);
        if (QFile::exists(path + QLatin1Char('/') + QLatin1String(keptFile)))
            continue;
        QFile owner(path + QLatin1Char('/') + QLatin1String(ownerFile));
        if (!owner.open(QIODevice::ReadOnly))
            continue; // not one of ours, or not ours to read
        const QByteArray line = owner.readAll();
        const qint64 pid = line.split(' ').value(0).toLongLong();
        if (pid <= 0 || ownerLine(pid) == line)
            continue; // its owner still runs
        if (QDir(path).removeRecursively())
            removed << path;
    }
    return removed;
}

} // namespace vivarium
