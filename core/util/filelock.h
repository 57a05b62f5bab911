#pragma once

#include <QFile>
#include <QString>
#include <fcntl.h>
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

} // namespace vivarium
