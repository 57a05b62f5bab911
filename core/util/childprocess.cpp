#include "core/util/childprocess.h"

#include <QProcess>
#include <QString>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace vivarium {

void dieWithParent(
    QProcess *process, const QList<std::pair<int, int>> &inherited, std::function<void()> inChild)
{
    const pid_t parent = ::getpid();
    process->setChildProcessModifier([parent, inherited, inChild = std::move(inChild)] {
        // dup2 leaves close-on-exec off on the copy.
        for (const auto &[from, to] : inherited)
            ::dup2(from, to);
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        // The parent may have died between fork and prctl.
        if (::getppid() != parent)
            ::_exit(1);
        if (inChild)
            inChild();
    });
}

QString signalName(int signal)
{
    const char *abbreviation = ::sigabbrev_np(signal);
    return abbreviation ? QStringLiteral("SIG") + QLatin1String(abbreviation)
                        : QStringLiteral("signal %1").arg(signal);
}

} // namespace vivarium
