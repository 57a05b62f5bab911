#include "core/qemu/accelprobe.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QSysInfo>
#include <fcntl.h>
#include <unistd.h>

namespace vivarium {

QString qemuBinary()
{
    const QString fromEnv = qEnvironmentVariable("VIVARIUM_QEMU");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QStandardPaths::findExecutable(QStringLiteral("qemu-system-x86_64"));
}

namespace {

QString cacheKey(const QString &qemu)
{
    const QFileInfo info(qemu);
    return QStringLiteral("v2 ") + QSysInfo::kernelVersion() + QLatin1Char(' ') + qemu
        + QLatin1Char(' ') + QString::number(info.lastModified().toSecsSinceEpoch());
}

QString cachePath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)
        + QStringLiteral("/vivarium/accel-probe");
}

AccelChoice probeKvm(const QString &qemu, const QString &kernel)
{
    const int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return { QStringLiteral("tcg"), QStringLiteral("/dev/kvm cannot be opened") };
    ::close(fd);
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(qemu,
        { QStringLiteral("-nodefaults"), QStringLiteral("-no-user-config"),
            QStringLiteral("-accel"), QStringLiteral("kvm"), QStringLiteral("-display"),
            QStringLiteral("none"), QStringLiteral("-m"), QStringLiteral("128"),
            QStringLiteral("-serial"), QStringLiteral("stdio"), QStringLiteral("-no-reboot"),
            QStringLiteral("-kernel"), kernel, QStringLiteral("-append"),
            QStringLiteral("console=ttyS0 quiet panic=-1") });
    QByteArray output;
    QDeadlineTimer deadline(6000);
    const auto booted = [&] { return output.contains("Kernel panic") || output.contains("VFS:"); };
    while (!deadline.hasExpired() && process.state() != QProcess::NotRunning && !booted()) {
        process.waitForReadyRead(100);
        output += process.readAll();
    }
    process.kill();
    process.waitForFinished(2000);
    output += process.readAll();
    if (booted())
        return { QStringLiteral("kvm"), QStringLiteral("KVM probe booted the kernel") };
    if (output.contains("KVM internal error"))
        return { QStringLiteral("tcg"), QStringLiteral("KVM probe hit a KVM internal error") };
    if (deadline.hasExpired())
        return { QStringLiteral("tcg"), QStringLiteral("KVM probe timed out") };
    return { QStringLiteral("tcg"),
        QStringLiteral("KVM probe failed: ") + QString::fromUtf8(output.trimmed().right(200)) };
}

} // namespace

AccelChoice chooseAccelerator(const QString &requested, const QString &kernel)
{
    QString wanted = requested.isEmpty() ? qEnvironmentVariable("VIVARIUM_ACCEL") : requested;
    if (wanted.isEmpty())
        wanted = QStringLiteral("auto");
    if (wanted == QLatin1String("kvm") || wanted == QLatin1String("tcg"))
        return { wanted, QStringLiteral("requested") };

    const QString qemu = qemuBinary();
    const QString key = cacheKey(qemu);
    QFile cache(cachePath());
    if (cache.open(QIODevice::ReadOnly)) {
        const QStringList lines = QString::fromUtf8(cache.readAll()).split(QLatin1Char('\n'));
        if (lines.size() >= 3 && lines.at(0) == key)
            return { lines.at(1), lines.at(2) + QStringLiteral(" (cached)") };
        cache.close();
    }
    const AccelChoice choice = probeKvm(qemu, kernel);
    QDir().mkpath(QFileInfo(cachePath()).absolutePath());
    if (cache.open(QIODevice::WriteOnly | QIODevice::Truncate))
        cache.write(
            (key + QLatin1Char('\n') + choice.accel + QLatin1Char('\n') + choice.reason).toUtf8());
    return choice;
}

} // namespace vivarium
