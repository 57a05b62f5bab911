#include "accelprobe.h"

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
    return QSysInfo::kernelVersion() + QLatin1Char(' ') + qemu + QLatin1Char(' ')
        + QString::number(info.lastModified().toSecsSinceEpoch());
}

QString cachePath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)
        + QStringLiteral("/vivarium/accel-probe");
}

AccelChoice probeKvm(const QString &qemu)
{
    const int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return { QStringLiteral("tcg"), QStringLiteral("/dev/kvm cannot be opened") };
    ::close(fd);
    // SeaBIOS writes to the debug port as soon as the first vCPU runs.
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(qemu, { QStringLiteral("-nodefaults"), QStringLiteral("-no-user-config"),
                          QStringLiteral("-accel"), QStringLiteral("kvm"), QStringLiteral("-display"),
                          QStringLiteral("none"), QStringLiteral("-m"), QStringLiteral("32"),
                          QStringLiteral("-chardev"), QStringLiteral("stdio,id=debug"),
                          QStringLiteral("-device"),
                          QStringLiteral("isa-debugcon,chardev=debug,iobase=0x402") });
    QByteArray output;
    QDeadlineTimer deadline(3000);
    while (!deadline.hasExpired() && process.state() != QProcess::NotRunning
           && !output.contains("SeaBIOS")) {
        process.waitForReadyRead(100);
        output += process.readAll();
    }
    process.kill();
    process.waitForFinished(2000);
    if (output.contains("SeaBIOS"))
        return { QStringLiteral("kvm"), QStringLiteral("KVM probe ran the firmware") };
    if (deadline.hasExpired())
        return { QStringLiteral("tcg"), QStringLiteral("KVM probe timed out") };
    return { QStringLiteral("tcg"),
             QStringLiteral("KVM probe failed: ") + QString::fromUtf8(output.trimmed().left(200)) };
}

} // namespace

AccelChoice chooseAccelerator(const QString &requested)
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
    const AccelChoice choice = probeKvm(qemu);
    QDir().mkpath(QFileInfo(cachePath()).absolutePath());
    if (cache.open(QIODevice::WriteOnly | QIODevice::Truncate))
        cache.write((key + QLatin1Char('\n') + choice.accel + QLatin1Char('\n') + choice.reason).toUtf8());
    return choice;
}

} // namespace vivarium
