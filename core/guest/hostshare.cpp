#include "core/guest/hostshare.h"

#include "core/network/addressing.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>

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

QString shellQuote(const QString &s)
{
    QString quoted = s;
    quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

// A shadow (from passwd) or gshadow (from group) file naming the host's accounts, all locked but
// root, whose password is empty.
QByteArray machineShadow(const QString &accounts, bool users)
{
    QFile file(accounts);
    QByteArray shadow;
    if (!file.open(QIODevice::ReadOnly))
        return shadow;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QByteArray name = line.split(':').value(0);
        if (name.isEmpty())
            continue;
        if (users)
            shadow
                += name + (name == "root" ? "::19000:0:99999:7:::\n" : ":*:19000:0:99999:7:::\n");
        else
            shadow += name + ":!::" + line.split(':').value(3) + '\n';
    }
    return shadow;
}

QMap<QString, QByteArray> systemdUnits(const MachineSpec &m, const QString &agent)
{
    QMap<QString, QByteArray> units;
    QStringList wants { QStringLiteral("vivarium-shell.service"),
        QStringLiteral("vivarium-serial-shell.service"), QStringLiteral("tmp.mount") };
    wants += m.services;
    units.insert(QStringLiteral("vivarium.target"),
        QStringLiteral("[Unit]\nDescription=Vivarium machine %1\n"
                       "Requires=basic.target vivarium-backdoor.service\n"
                       "Wants=%2\nAfter=basic.target\nAllowIsolate=yes\n")
            .arg(m.name, wants.join(QLatin1Char(' ')))
            .toUtf8());
    units.insert(QStringLiteral("vivarium-backdoor.service"),
        QStringLiteral("[Unit]\nDescription=Vivarium backdoor (virtio port org.vivarium.backdoor)\n"
                       "DefaultDependencies=no\nAfter=tmp.mount systemd-journald.socket\n"
                       "Requires=tmp.mount\n"
                       "[Service]\nExecStartPre=/bin/bash /vivarium/config/prepare\n"
                       "ExecStart=%1\nRestart=always\nRestartSec=0.2\n"
                       "KillMode=process\n")
            .arg(agent)
            .toUtf8());
    // statusOsc: each command's exit status goes to the terminal as OSC 133;D (what Record
    // reads in the Shell); not on the serial console, whose lines are matched as text.
    const auto shell = [](const char *tty, const char *description, bool statusOsc) {
        return QStringLiteral("[Unit]\nDescription=%2\nDefaultDependencies=no\n"
                              "[Service]\nExecStart=/bin/bash --noprofile --norc -i\n"
                              "StandardInput=tty-force\n"
                              "StandardOutput=tty\nStandardError=tty\nTTYPath=/dev/%1\n"
                              "TTYReset=yes\nKillSignal=SIGHUP\nEnvironment=HOME=/root "
                              "TERM=xterm-256color \"PS1=\\\\u@\\\\h:\\\\w# \"\n"
                              "%3"
                              "WorkingDirectory=/root\nRestart=always\nRestartSec=0.2\n")
            .arg(QLatin1String(tty), QLatin1String(description),
                statusOsc ? QStringLiteral("Environment=\"PROMPT_COMMAND=printf "
                                           "'\\\\033]133;D;%%s\\\\007' \\\"$?\\\"\"\n")
                          : QString())
            .toUtf8();
    };
    units.insert(QStringLiteral("vivarium-shell.service"),
        shell("hvc0", "Vivarium root shell on hvc0", true));
    units.insert(QStringLiteral("vivarium-serial-shell.service"),
        shell("ttyS0", "Vivarium root shell on the serial console", false));
    units.insert(QStringLiteral("tmp.mount"),
        "[Unit]\nDescription=Temporary Directory /tmp\nDefaultDependencies=no\n"
        "Conflicts=umount.target\nBefore=local-fs.target umount.target\n"
        "[Mount]\nWhat=tmpfs\nWhere=/"
        "tmp\nType=tmpfs\nOptions=mode=1777,strictatime,nosuid,nodev\n");
    return units;
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
        || !writeFile(config + QStringLiteral("/etc/hosts"), hostsFile(test), &error)
        || !writeFile(
            config + QStringLiteral("/setup.sh"), nicSetupScript(machineNics(test, m.name)), &error)
        || (!m.commands.isEmpty()
            && !writeFile(config + QStringLiteral("/commands.sh"), commands, &error)))
        return error;
    // The host's shadow files are hidden from guests (HostView): each machine has its own, root
    // without a password (as a NixOS test machine's) and every other account locked, unless
    // the test gives its own.
    for (const auto &[name, content] : { std::pair { QStringLiteral("/etc/shadow"),
                                             machineShadow(QStringLiteral("/etc/passwd"), true) },
             std::pair { QStringLiteral("/etc/gshadow"),
                 machineShadow(QStringLiteral("/etc/group"), false) } }) {
        if (!m.files.contains(name)
            && !writeFile(config + QStringLiteral("/files") + name, content, &error,
                QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup))
            return error;
    }
    for (auto it = m.files.cbegin(); it != m.files.cend(); ++it) {
        if (!writeFile(config + QStringLiteral("/files") + it.key(), it.value().toUtf8(), &error))
            return error;
    }

    if (m.init == InitKind::Minimal) {
        if (!writeFile(config + QStringLiteral("/init"), resource(QStringLiteral("minimal-init")),
                &error, executable))
            return error;
        *stage2 = QStringLiteral("/vivarium/config/init");
    } else {
        const QString unitDir = config + QStringLiteral("/files/etc/systemd/system");
        const auto units = systemdUnits(m, guestAgent);
        for (auto it = units.cbegin(); it != units.cend(); ++it) {
            if (!writeFile(unitDir + QLatin1Char('/') + it.key(), it.value(), &error))
                return error;
        }
        // Consoles are the backdoor's and the shell's, not a getty's.
        for (const char *masked : { "serial-getty@hvc0.service", "serial-getty@hvc1.service",
                 "serial-getty@ttyS0.service", "getty@tty1.service" })
            QFile::link(
                QStringLiteral("/dev/null"), unitDir + QLatin1Char('/') + QLatin1String(masked));
        if (!writeFile(config + QStringLiteral("/prepare"),
                resource(QStringLiteral("systemd-prepare")), &error, executable))
            return error;
        *stage2 = QStringLiteral("/lib/systemd/systemd");
    }

    if (!QFileInfo::exists(paths.disk)) {
        QFile disk(paths.disk);
        if (!disk.open(QIODevice::WriteOnly) || !disk.resize(qint64(4) * 1024 * 1024 * 1024))
            return QStringLiteral("cannot create the machine disk %1: %2")
                .arg(paths.disk, disk.errorString());
        disk.close();
        QProcess mkfs;
        mkfs.setProcessChannelMode(QProcess::MergedChannels);
        mkfs.start(QStringLiteral("mkfs.ext4"),
            { QStringLiteral("-q"), QStringLiteral("-F"), QStringLiteral("-E"),
                QStringLiteral("lazy_itable_init=1,lazy_journal_init=1"), QStringLiteral("-L"),
                m.name.left(16), paths.disk });
        if (!mkfs.waitForFinished(30000) || mkfs.exitStatus() != QProcess::NormalExit
            || mkfs.exitCode() != 0) {
            QFile::remove(paths.disk);
            return QStringLiteral("mkfs.ext4 failed for %1: %2 %3")
                .arg(paths.disk, mkfs.errorString(), QString::fromUtf8(mkfs.readAll()));
        }
    }
    return {};
}

} // namespace vivarium
