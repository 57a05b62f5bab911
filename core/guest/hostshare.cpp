#include "core/guest/hostshare.h"

#include "core/coverage/guestcoverage.h"
#include "core/guest/baseimage.h"
#include "core/guest/machinefiles.h"
#include "core/guest/systemdunits.h"
#include "core/network/addressing.h"
#include "core/util/childprocess.h"
#include "core/util/textformat.h"

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

// Runs a short host tool to its end; its output is the reason when it fails. The tool dies
// with Vivarium (a killed run leaves no mkfs or qemu-img behind).
QString runTool(const QString &program, const QStringList &arguments, int timeoutMs = 120000)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    dieWithParent(&process);
    process.start(program, arguments);
    if (!process.waitForFinished(timeoutMs) || process.exitStatus() != QProcess::NormalExit
        || process.exitCode() != 0)
        return QStringLiteral("%1 failed: %2 %3")
            .arg(program, process.errorString(), QString::fromUtf8(process.readAll()).trimmed());
    return {};
}

// A sparse raw image of sizeMiB, made with mkfs.FS unless fs is empty; nothing when it exists.
// mustFit: a disk the test sized itself is sparse, but a guest may fill it, so it must fit
// where the run lives (the 4 GiB state disk is the overlay's upper layer and stays small).
QString createRawDisk(
    const QString &path, qint64 sizeMiB, const QString &fs, const QString &label, bool mustFit)
{
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
    const QString problem = runTool(
        swap ? QStringLiteral("mkswap") : QStringLiteral("mkfs.") + fs, arguments << path, 60000);
    if (!problem.isEmpty()) {
        QFile::remove(path);
        return QStringLiteral("cannot format %1: %2").arg(path, problem);
    }
    return {};
}

// The disk at path (raw, or qcow2 made from the raw one mkfs formatted), unless it exists.
QString createDisk(const QString &path, qint64 sizeMiB, const QString &fs, const QString &label,
    bool mustFit, bool qcow2)
{
    if (QFileInfo::exists(path))
        return {};
    if (!qcow2)
        return createRawDisk(path, sizeMiB, fs, label, mustFit);
    const QString raw = path + QStringLiteral(".raw");
    QString problem = createRawDisk(raw, sizeMiB, fs, label, mustFit);
    if (problem.isEmpty())
        problem = runTool(QStringLiteral("qemu-img"),
            { QStringLiteral("convert"), QStringLiteral("-q"), QStringLiteral("-f"),
                QStringLiteral("raw"), QStringLiteral("-O"), QStringLiteral("qcow2"), raw, path });
    QFile::remove(raw);
    if (!problem.isEmpty())
        QFile::remove(path);
    return problem;
}

// The machine's initramfs: the common one, then its config/ as an uncompressed cpio archive
// (the kernel unpacks a sequence of archives; each must start 4-byte aligned).
QString machineInitrd(const QString &common, const QString &guestDir, const QString &initrd)
{
    QFile::remove(initrd);
    QFile out(initrd);
    QFile in(common);
    if (!in.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly))
        return QStringLiteral("cannot write %1 from %2").arg(initrd, common);
    const QByteArray base = in.readAll();
    if (out.write(base) != base.size()
        || out.write(QByteArray((4 - base.size() % 4) % 4, '\0')) < 0)
        return QStringLiteral("cannot write %1: %2").arg(initrd, out.errorString());
    out.close();
    return runTool(QStringLiteral("/bin/sh"),
        { QStringLiteral("-c"),
            QStringLiteral("cd \"$1\" && find config | LC_ALL=C sort | cpio -o -H newc --quiet "
                           "--owner=0:0 >> \"$2\""),
            QStringLiteral("sh"), guestDir, initrd });
}

} // namespace

MachinePaths MachinePaths::under(const QString &root, RootKind kind)
{
    MachinePaths p;
    p.root = root;
    p.guestDir = root + QStringLiteral("/guest");
    p.diskExtension = kind == RootKind::Image ? QStringLiteral("qcow2") : QStringLiteral("img");
    p.disk = root + QStringLiteral("/disk.") + p.diskExtension;
    p.initrd = root + QStringLiteral("/initrd");
    p.qmpSocket = root + QStringLiteral("/qmp.sock");
    p.serialSocket = root + QStringLiteral("/serial.sock");
    p.backdoorSocket = root + QStringLiteral("/backdoor.sock");
    p.shellSocket = root + QStringLiteral("/shell.sock");
    p.vncSocket = root + QStringLiteral("/vnc.sock");
    return p;
}

QString prepareHostShare(const TestSpec &test, const MachineSpec &machine,
    const GuestArtifacts &artifacts, const MachinePaths &paths, QString *stage2,
    const QString &rootImage)
{
    QString error;
    const bool coverage = test.coverage.enabled;
    const MachineSpec m = coverage ? guestcoverage::withCoverage(machine, test.coverage) : machine;
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
        || !writeFile(config + QStringLiteral("/setup.sh"),
            nicSetupScript(machineNics(test, m.name), m.kind == MachineKind::Vm), &error)
        || (!m.commands.isEmpty()
            && !writeFile(config + QStringLiteral("/commands.sh"), commands, &error))
        || (coverage
            && !writeFile(config + QStringLiteral("/coverage.env"),
                guestcoverage::environmentScript(test.coverage), &error)))
        return error;
    if (coverage) {
        if (QString problem = guestcoverage::prepareDirectory(paths.coverageDir());
            !problem.isEmpty())
            return problem;
    }
    // The machine's root beyond the host's: its accounts (the host's shadow files are hidden
    // from guests), fstab, systemd units, then the test's files, which win.
    // A base image's root has its own accounts and enabled units, kept beside the image; a
    // machine's own image keeps its accounts and units as they are in it (the loader refuses
    // `users` and `groups` there), so only root is known to own its files.
    const bool based = !m.base.isEmpty();
    const bool ownImage = !m.image.isEmpty();
    Accounts accounts = ownImage
        ? Accounts::fromFiles("root:x:0:0:root:/root:/bin/sh\n", "root:x:0:\n")
        : based ? Accounts::fromFiles(BaseImage::passwd(rootImage), BaseImage::group(rootImage))
                : Accounts::ofHost();
    if (const QString problem = accounts.addAll(m.groups, m.users); !problem.isEmpty())
        return problem;
    QMap<QString, GuestFile> files;
    if (!ownImage)
        files = accountFiles(accounts, m.users);
    files.insert(QStringLiteral("/etc/fstab"), fstabFile(m));
    QStringList removed;
    if (m.init == InitKind::Systemd) {
        files.insert(systemdFiles(m, guestAgent));
        if (!ownImage)
            removed = based ? BaseImage::unitLinks(rootImage) : hostUnitLinks();
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
    const bool image = m.root == RootKind::Image;
    if (image) {
        if (QString problem = machineInitrd(artifacts.initramfs, paths.guestDir, paths.initrd);
            !problem.isEmpty())
            return problem;
    }
    if (QString problem
        = createDisk(paths.disk, 4096, QStringLiteral("ext4"), m.name, false, image);
        !problem.isEmpty())
        return problem;
    for (qsizetype i = 0; i < m.disks.size(); ++i) {
        const GuestDisk &disk = m.disks.at(i);
        if (QString problem = createDisk(paths.extraDisk(i), disk.sizeMiB, disk.fs,
                QFileInfo(disk.mount).fileName(), true, image);
            !problem.isEmpty())
            return QStringLiteral("'disks' entry %1 (%2): %3")
                .arg(i + 1)
                .arg(MachineSpec::diskDevice(i), problem);
    }
    return {};
}

} // namespace vivarium
