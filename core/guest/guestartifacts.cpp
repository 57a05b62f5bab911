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
    return a;
}

} // namespace vivarium
