#include "core/guest/hostshare.h"

#include "core/guest/machinefiles.h"
#include "core/guest/systemdunits.h"
#include "core/network/addressing.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStorageInfo>

// The resources live in a static library: register them before the first use.
static void initGuestResources()
{
    Q_INIT_RESOURCE(guest);
}

namespace vivarium {

namespace {

bool writeFile(const QString &path, const QByteArray &content, QString *error,
    QFileDevice::Permissions permissions = {})
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(content) != content.size()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    if (permissions)
        file.setPermissions(permissions);
    return true;
}

QByteArray resource(const QString &name)
{
    initGuestResources();
    QFile file(QStringLiteral(":/vivarium/guest/") + name);
    file.open(QIODevice::ReadOnly);
    return file.readAll();
}

// A sparse raw image of sizeMiB, made with mkfs.FS unless fs is empty; nothing when it exists.
// mustFit: a disk the test sized itself is sparse, but a guest may fill it, so it must fit
// where the run lives (the 4 GiB state disk is the overlay's upper layer and stays small).
QString createDisk(
    const QString &path, qint64 sizeMiB, const QString &fs, const QString &label, bool mustFit)
{
    if (QFileInfo::exists(path))
        return {};
    const qint64 bytes = sizeMiB * 1024 * 1024;
    const QStorageInfo storage(QFileInfo(path).absolutePath());
    if (mustFit && storage.isValid() && bytes > storage.bytesAvailable())
        return QStringLiteral("cannot create the disk %1: %2 MiB do not fit in the %3 MiB free "
                              "on %4")
            .arg(path)
            .arg(sizeMiB)
            .arg(storage.bytesAvailable() / (1024 * 1024))
            .arg(storage.rootPath());
    QFile disk(path);
    if (!disk.open(QIODevice::WriteOnly) || !disk.resize(bytes)) {
        const QString reason = disk.errorString();
        disk.remove();
        return QStringLiteral("cannot create the disk %1: %2").arg(path, reason);
    }
    disk.close();
    if (fs.isEmpty())
        return {};
    const bool swap = fs == QLatin1String("swap");
    QStringList arguments;
    if (!swap)
        arguments << QStringLiteral("-q");
    if (fs == QLatin1String("ext4") || fs == QLatin1String("ext3") || fs == QLatin1String("ext2"))
        arguments << QStringLiteral("-F") << QStringLiteral("-E")
                  << QStringLiteral("lazy_itable_init=1,lazy_journal_init=1");
    else if (fs == QLatin1String("xfs") || fs == QLatin1String("btrfs"))
        arguments << QStringLiteral("-f");
    if (!label.isEmpty() && fs != QLatin1String("vfat"))
        arguments << QStringLiteral("-L") << label.left(12);
    QProcess mkfs;
    mkfs.setProcessChannelMode(QProcess::MergedChannels);
    mkfs.start(swap ? QStringLiteral("mkswap") : QStringLiteral("mkfs.") + fs, arguments << path);
    if (!mkfs.waitForFinished(60000) || mkfs.exitStatus() != QProcess::NormalExit
        || mkfs.exitCode() != 0) {
        QFile::remove(path);
        return QStringLiteral("mkfs.%1 failed for %2: %3 %4")
            .arg(fs, path, mkfs.errorString(), QString::fromUtf8(mkfs.readAll()).trimmed());
    }
    return {};
}

} // namespace

MachinePaths MachinePaths::under(const QString &root)
{
    MachinePaths p;
    p.root = root;
    p.guestDir = root + QStringLiteral("/guest");
    p.disk = root + QStringLiteral("/disk.img");
    p.qmpSocket = root + QStringLiteral("/qmp.sock");
    p.serialSocket = root + QStringLiteral("/serial.sock");
    p.backdoorSocket = root + QStringLiteral("/backdoor.sock");
    p.shellSocket = root + QStringLiteral("/shell.sock");
    p.vncSocket = root + QStringLiteral("/vnc.sock");
    return p;
}

QString prepareHostShare(const TestSpec &test, const MachineSpec &m,
    const GuestArtifacts &artifacts, const MachinePaths &paths, QString *stage2)
{
    QString error;
    const QString config = paths.guestDir + QStringLiteral("/config");
    QDir(config).removeRecursively();
    if (!QDir().mkpath(config) || !QDir().mkpath(paths.sharedDir()))
        return QStringLiteral("cannot create %1").arg(config);
    QFile::setPermissions(
        paths.root, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

    const QFileDevice::Permissions executable = QFileDevice::ReadOwner | QFileDevice::WriteOwner
        | QFileDevice::ExeOwner | QFileDevice::ReadOther | QFileDevice::ExeOther;
    // The agent travels in the machine's own directory: the build may be anywhere on the host,
    // even below /tmp, which guests do not see.
    const QString guestAgent = QStringLiteral("/vivarium/config/vivarium-agent");
    if (!QFile::copy(artifacts.agent, config + QStringLiteral("/vivarium-agent")))
        return QStringLiteral("cannot copy %1 into %2").arg(artifacts.agent, config);
    const QByteArray env = QStringLiteral("VIVARIUM_MACHINE=%1\nVIVARIUM_AGENT=%2\n")
                               .arg(shellQuote(m.name), shellQuote(guestAgent))
                               .toUtf8();
    QByteArray commands = "set -x\n";
    for (const QString &command : m.commands)
        commands += command.toUtf8() + '\n';
    if (!writeFile(config + QStringLiteral("/machine.env"), env, &error)
        || !writeFile(config + QStringLiteral("/etc/hostname"), m.name.toUtf8() + '\n', &error)
        || !writeFile(config + QStringLiteral("/etc/hosts"), hostsFile(test, m.name), &error)
        || !writeFile(
            config + QStringLiteral("/setup.sh"), nicSetupScript(machineNics(test, m.name)), &error)
        || (!m.commands.isEmpty()
            && !writeFile(config + QStringLiteral("/commands.sh"), commands, &error)))
        return error;
    // The machine's root beyond the host's: its accounts (the host's shadow files are hidden
    // from guests), fstab, systemd units, then the test's files, which win.
    Accounts accounts = Accounts::ofHost();
    if (const QString problem = accounts.addAll(m.groups, m.users); !problem.isEmpty())
        return problem;
    QMap<QString, GuestFile> files = accountFiles(accounts, m.users);
    files.insert(QStringLiteral("/etc/fstab"), fstabFile(m));
    QStringList removed;
    if (m.init == InitKind::Systemd) {
        files.insert(systemdFiles(m, guestAgent));
        removed = hostUnitLinks();
    }
    files.insert(m.files);
    for (auto it = files.cbegin(); it != files.cend(); ++it) {
        if (it->symlink.isEmpty()
            && !writeFile(
                config + QStringLiteral("/files") + it.key(), it->content.toUtf8(), &error))
            return error;
    }
    if (!writeFile(config + QStringLiteral("/files.sh"),
            filesScript(files, removed, QStringLiteral("./vivarium/config/files"), accounts, m),
            &error)
        || !writeFile(config + QStringLiteral("/profile"), machineProfile(m), &error))
        return error;

    if (!m.desktop.isEmpty()) {
        QByteArray x11Commands;
        for (const QString &command : m.x11Commands)
            x11Commands += command.toUtf8() + " &\n";
        if (!writeFile(config + QStringLiteral("/x11-session"),
                resource(QStringLiteral("x11-session")), &error, executable)
            || !writeFile(config + QStringLiteral("/x11-commands.sh"), x11Commands, &error))
            return error;
    }
    if (m.init == InitKind::Minimal) {
        if (!writeFile(config + QStringLiteral("/init"), resource(QStringLiteral("minimal-init")),
                &error, executable))
            return error;
        *stage2 = QStringLiteral("/vivarium/config/init");
    } else {
        if (!writeFile(config + QStringLiteral("/prepare"),
                resource(QStringLiteral("systemd-prepare")), &error, executable))
            return error;
        *stage2 = QStringLiteral("/lib/systemd/systemd");
    }

    // The disks are made once per run: what the guest wrote on them survives its crashes.
    if (QString problem = createDisk(paths.disk, 4096, QStringLiteral("ext4"), m.name, false);
        !problem.isEmpty())
        return problem;
    for (qsizetype i = 0; i < m.disks.size(); ++i) {
        const GuestDisk &disk = m.disks.at(i);
        if (QString problem = createDisk(
                paths.extraDisk(i), disk.sizeMiB, disk.fs, QFileInfo(disk.mount).fileName(), true);
            !problem.isEmpty())
            return QStringLiteral("'disks' entry %1 (%2): %3")
                .arg(i + 1)
                .arg(MachineSpec::diskDevice(i), problem);
    }
    return {};
}

} // namespace vivarium
