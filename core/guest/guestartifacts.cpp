#include "guestartifacts.h"

#include <QFileInfo>

namespace vivarium {

std::optional<GuestArtifacts> GuestArtifacts::find(QString *error)
{
    GuestArtifacts a;
    a.dir = qEnvironmentVariable("VIVARIUM_GUEST_DIR", QStringLiteral(VIVARIUM_GUEST_DIR));
    a.kernel = a.dir + QStringLiteral("/vmlinux");
    a.initramfs = a.dir + QStringLiteral("/initramfs.cpio.gz");
    a.agent = a.dir + QStringLiteral("/vivarium-agent");
    for (const QString &path : { a.kernel, a.initramfs, a.agent }) {
        if (!QFileInfo(path).isFile()) {
            *error = QStringLiteral("guest artifact %1 is missing: run scripts/setup (or "
                                    "scripts/build-guest %2 and build the vivarium-agent target)")
                         .arg(path, a.dir);
            return std::nullopt;
        }
    }
    // The guest mounts its own /tmp, /run and /dev over the host's: the agent must be elsewhere.
    for (const char *hidden : { "/tmp/", "/run/", "/dev/", "/proc/", "/sys/" }) {
        if (a.agent.startsWith(QLatin1String(hidden))) {
            *error = QStringLiteral("the guest directory %1 is under %2, which guests do not "
                                    "share with the host; build elsewhere")
                         .arg(a.dir, QLatin1String(hidden));
            return std::nullopt;
        }
    }
    return a;
}

} // namespace vivarium
