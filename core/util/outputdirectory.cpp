#include "core/util/outputdirectory.h"

#include "core/util/textformat.h"

#include <QDir>
#include <QFileInfo>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vivarium {

OutputDirectory::~OutputDirectory()
{
    if (m_lock >= 0)
        ::close(m_lock); // releases the flock
}

bool OutputDirectory::claim(const QString &path, QString *error)
{
    const QString absolute = QDir(path).absolutePath();
    const QFileInfo info(absolute);
    if (info.exists() && !info.isDir()) {
        *error = formatText(u"the output directory %1 is not a directory", absolute);
        return false;
    }
    if (!info.exists()) {
        if (!QDir().mkpath(absolute)) {
            *error = formatText(u"cannot create the output directory %1", absolute);
            return false;
        }
        // Made by this run: the owner's alone (what guests printed, the test's commands).
        ::chmod(QFile::encodeName(absolute).constData(), 0700);
    }
    const QByteArray lockPath = QFile::encodeName(absolute + QStringLiteral("/.vivarium.lock"));
    m_lock = ::open(lockPath.constData(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (m_lock < 0) {
        *error = formatText(u"cannot write in the output directory %1: %2", absolute,
            QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    if (::flock(m_lock, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = {};
        const ssize_t n = ::pread(m_lock, pid, sizeof pid - 1, 0);
        ::close(m_lock);
        m_lock = -1;
        *error = formatText(u"the output directory %1 is in use by another run (process %2): "
                            "give this run a directory of its own (-o)",
            absolute, n > 0 ? QString::fromLatin1(pid).trimmed() : QStringLiteral("unknown"));
        return false;
    }
    const QByteArray pid = QByteArray::number(qint64(::getpid())) + '\n';
    if (::ftruncate(m_lock, 0) == 0) { // the pid is only for the message above
        [[maybe_unused]] const ssize_t written
            = ::pwrite(m_lock, pid.constData(), size_t(pid.size()), 0);
    }
    m_path = absolute;
    return true;
}

bool OutputDirectory::inUse(const QString &path)
{
    const QByteArray lockPath = QFile::encodeName(path + QStringLiteral("/.vivarium.lock"));
    const int fd = ::open(lockPath.constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    // A lock is per open file: a run of this very process holding it refuses this one too.
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    ::close(fd);
    return held;
}

} // namespace vivarium
