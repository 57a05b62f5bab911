#pragma once

#include <QFile>
#include <QFileInfo>
#include <QString>
#include <fcntl.h>
#include <functional>
#include <sys/file.h>
#include <unistd.h>

namespace vivarium {

// An exclusive flock on a file, held until destroyed: one process at a time builds a cached
// image.
class FileLock {
public:
    explicit FileLock(const QString &path)
        : m_fd(::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600))
    {
    }
    ~FileLock()
    {
        if (m_fd >= 0)
            ::close(m_fd); // releases the lock
    }
    FileLock(const FileLock &) = delete;
    FileLock &operator=(const FileLock &) = delete;
    bool tryLock() { return m_fd >= 0 && ::flock(m_fd, LOCK_EX | LOCK_NB) == 0; }
    bool lock() { return m_fd >= 0 && ::flock(m_fd, LOCK_EX) == 0; }

private:
    int m_fd;
};

// Makes path with build() unless it exists, one process at a time: lockPath is held while it
// builds, and a process that finds it held says `waiting` through progress and waits for it.
// Returns build()'s error, or empty when path is there. (The cached root and base images.)
inline QString buildOnce(const QString &path, const QString &lockPath,
    const std::function<void(const QString &)> &progress, const QString &waiting,
    const std::function<QString()> &build)
{
    if (QFileInfo::exists(path))
        return {};
    FileLock lock(lockPath);
    if (!lock.tryLock()) {
        if (progress)
            progress(waiting);
        if (!lock.lock())
            return QStringLiteral("cannot lock %1").arg(lockPath);
    }
    if (QFileInfo::exists(path)) // the other process built it
        return {};
    return build();
}

} // namespace vivarium
