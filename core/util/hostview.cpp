#include "core/util/hostview.h"

#include <QDir>
#include <QFileInfo>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vivarium {

QStringList HostView::hiddenDirectories()
{
    return { QStringLiteral("/root"), QStringLiteral("/home") };
}

QStringList HostView::hiddenFiles()
{
    QStringList files { QStringLiteral("/etc/shadow"), QStringLiteral("/etc/shadow-"),
        QStringLiteral("/etc/gshadow"), QStringLiteral("/etc/gshadow-") };
    for (const QString &key : QDir(QStringLiteral("/etc/ssh"))
                                  .entryList({ QStringLiteral("ssh_host_*_key") }, QDir::Files))
        files << QStringLiteral("/etc/ssh/") + key;
    return files;
}

HostView::HostView(const QStringList &needed, const QString &empty)
    : m_empty(empty.toStdString())
{
    for (const QString &dir : hiddenDirectories()) {
        if (QFileInfo(dir).isDir())
            m_coverDirs.push_back(dir.toStdString());
    }
    for (const QString &file : hiddenFiles()) {
        if (QFileInfo::exists(file))
            m_hideFiles.push_back(file.toStdString());
    }
    for (const QString &path : needed) {
        const QString absolute = QFileInfo(path).absoluteFilePath();
        for (const QString &dir : hiddenDirectories()) {
            if (absolute.startsWith(dir + QLatin1Char('/'))) {
                Keep keep { absolute.toStdString(), {} };
                keep.scratch.resize(keep.path.size() + 1);
                m_keep.push_back(std::move(keep));
            }
        }
    }
}

bool HostView::applyInChild() const
{
    if (::geteuid() != 0 || ::unshare(CLONE_NEWNS) != 0)
        return false;
    // Our mounts stay ours: nothing propagates back to the host.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return false;
    // The directories QEMU needs below a hidden one, held open across the cover.
    int keptFds[16];
    const size_t kept = m_keep.size() < 16 ? m_keep.size() : 16;
    for (size_t i = 0; i < kept; ++i)
        keptFds[i] = ::open(m_keep[i].path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (const std::string &dir : m_coverDirs)
        ::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k");
    for (size_t i = 0; i < kept; ++i) {
        if (keptFds[i] < 0)
            continue;
        // mkdir -p of the path inside the new, empty tmpfs.
        std::vector<char> &p = m_keep[i].scratch;
        const std::string &path = m_keep[i].path;
        for (size_t c = 0; c <= path.size(); ++c) {
            p[c] = c < path.size() ? path[c] : '\0';
            if (c > 0 && (c == path.size() || path[c] == '/')) {
                p[c] = '\0';
                ::mkdir(p.data(), 0755);
                if (c < path.size())
                    p[c] = '/';
            }
        }
        char source[32] = "/proc/self/fd/";
        int n = keptFds[i], digits = 0;
        char reversed[12];
        do {
            reversed[digits++] = char('0' + n % 10);
            n /= 10;
        } while (n > 0);
        size_t at = 14;
        while (digits > 0)
            source[at++] = reversed[--digits];
        source[at] = '\0';
        ::mount(source, path.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
        ::close(keptFds[i]);
    }
    for (const std::string &file : m_hideFiles)
        ::mount(m_empty.c_str(), file.c_str(), nullptr, MS_BIND, nullptr);
    return true;
}

} // namespace vivarium
