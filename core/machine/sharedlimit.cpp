#include "core/machine/sharedlimit.h"

#include <QFile>
#include <QTimer>
#include <ftw.h>
#include <mutex>
#include <set>
#include <sys/stat.h>

namespace vivarium {

namespace {

thread_local qint64 walked = 0;
std::mutex exemptMutex;
std::set<QByteArray> exemptPaths; // under exemptMutex

int addBlocks(const char *path, const struct stat *info, int, struct FTW *)
{
    if (!exemptPaths.empty() && exemptPaths.count(QByteArray(path)))
        return 0;
    walked += qint64(info->st_blocks) * 512;
    return 0;
}

} // namespace

SharedLimit::SharedLimit(QString directory, qint64 limitBytes, QObject *parent)
    : QObject(parent)
    , m_directory(std::move(directory))
    , m_limit(limitBytes)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(1000);
    connect(m_timer, &QTimer::timeout, this, &SharedLimit::check);
}

void SharedLimit::start()
{
    m_timer->start();
}

void SharedLimit::stop()
{
    m_timer->stop();
}

void SharedLimit::exempt(const QString &path, bool on)
{
    std::lock_guard lock(exemptMutex);
    if (on)
        exemptPaths.insert(QFile::encodeName(path));
    else
        exemptPaths.erase(QFile::encodeName(path));
}

qint64 SharedLimit::usage(const QString &directory)
{
    std::lock_guard lock(exemptMutex);
    walked = 0;
    // FTW_PHYS: a guest's link is counted as a link, never followed out of the directory.
    nftw(QFile::encodeName(directory).constData(), addBlocks, 16, FTW_PHYS | FTW_MOUNT);
    return walked;
}

void SharedLimit::check()
{
    const qint64 used = usage(m_directory);
    if (used <= m_limit)
        return;
    m_timer->stop();
    emit exceeded(QStringLiteral("the guest wrote %1 MiB into the directory the host shares "
                                 "with it (/tmp/shared and /vivarium), over its limit of %2 MiB "
                                 "(the machine's shared_limit_mb)")
                      .arg(used / (1024 * 1024))
                      .arg(m_limit / (1024 * 1024)));
}

} // namespace vivarium
