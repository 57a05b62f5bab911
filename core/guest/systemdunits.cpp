#include "core/guest/systemdunits.h"

#include <QDir>
#include <algorithm>

namespace vivarium {

namespace {

// statusOsc: each command's exit status goes to the terminal as OSC 133;D (what Record reads in
// the Shell); not on the serial console, whose lines are matched as text.
QString shellUnit(const char *tty, const char *description, bool statusOsc)
{
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
                      : QString());
}

// The paths of the machine's own files below dir (e.g. its /etc/sysusers.d files).
QStringList filesUnder(const MachineSpec &m, const char *dir)
{
    QStringList paths;
    for (auto it = m.files.cbegin(); it != m.files.cend(); ++it)
        if (it.key().startsWith(QLatin1String(dir)))
            paths.append(it.key());
    return paths;
}

} // namespace

QMap<QString, GuestFile> systemdFiles(const MachineSpec &m, const QString &agent)
{
    const QString dir = QStringLiteral("/etc/systemd/system/");
    QMap<QString, GuestFile> files;
    const GuestFile mask; // an empty unit file: systemd takes it for masked
    // The machine's own units come with the targets that a NixOS machine reaches: the network
    // targets once its NICs are set up (vivarium-setup.service), remote-fs for the NFS lines of
    // its fstab.
    QStringList wants { QStringLiteral("vivarium-backdoor.service"),
        QStringLiteral("vivarium-shell.service"), QStringLiteral("vivarium-serial-shell.service"),
        QStringLiteral("tmp.mount"), QStringLiteral("network.target"),
        QStringLiteral("network-online.target"), QStringLiteral("remote-fs.target") };
    if (!m.desktop.isEmpty())
        wants.append(QStringLiteral("vivarium-x11.service"));
    wants += m.services;
    const QString wanted = QStringLiteral("[Unit]\nWants=%1\n").arg(wants.join(QLatin1Char(' ')));
    files.insert(dir + QStringLiteral("multi-user.target.d/vivarium.conf"), GuestFile(wanted));
    const bool localMounts = std::any_of(m.disks.cbegin(), m.disks.cend(),
        [](const GuestDisk &disk) { return !disk.mount.isEmpty(); });
    // The set-up (shared directory, NICs, the machine's commands) runs early, without default
    // dependencies, so the network targets are reached while the rest of sysinit goes on; but
    // after systemd-tmpfiles-setup, whose `D /tmp` empties /tmp: run beside it, it removed
    // /tmp/shared between mkdir and mount in 3 of 33 boots.
    files.insert(dir + QStringLiteral("vivarium-setup.service"),
        GuestFile(QStringLiteral(
            "[Unit]\nDescription=Vivarium machine set-up (shared directory, "
            "NICs, commands)\n"
            "DefaultDependencies=no\nAfter=tmp.mount systemd-tmpfiles-setup.service%1\n"
            "Requires=tmp.mount\n"
            "Before=network.target network-online.target\n"
            "[Service]\nType=oneshot\nRemainAfterExit=yes\n"
            "ExecStart=/bin/bash /vivarium/config/prepare\n")
                      // A machine's own disks are mounted before its commands run.
                      .arg(localMounts ? QStringLiteral(" local-fs.target") : QString())));
    // The backdoor is ordered after basic.target as NixOS's is (tests rely on it: D-Bus and the
    // other sockets listen, sysinit's mounts and tmpfiles are done when the first command runs),
    // but without Requires=, so a failed sysinit unit still leaves a machine to look into.
    files.insert(dir + QStringLiteral("vivarium-backdoor.service"),
        GuestFile(
            QStringLiteral("[Unit]\nDescription=Vivarium backdoor (virtio port "
                           "org.vivarium.backdoor)\n"
                           "DefaultDependencies=no\nAfter=basic.target vivarium-setup.service\n"
                           "Wants=vivarium-setup.service\n"
                           "[Service]\nExecStart=%1\nRestart=always\nRestartSec=0.2\n"
                           "KillMode=process\n")
                .arg(agent)));
    files.insert(dir + QStringLiteral("vivarium-shell.service"),
        GuestFile(shellUnit("hvc0", "Vivarium root shell on hvc0", true)));
    files.insert(dir + QStringLiteral("vivarium-serial-shell.service"),
        GuestFile(shellUnit("ttyS0", "Vivarium root shell on the serial console", false)));
    if (!m.desktop.isEmpty())
        files.insert(dir + QStringLiteral("vivarium-x11.service"),
            GuestFile(QStringLiteral("[Unit]\nDescription=Vivarium X11 session (Xorg, icewm, "
                                     "x11_commands)\nAfter=vivarium-backdoor.service "
                                     "systemd-user-sessions.service\n"
                                     "[Service]\nExecStart=/vivarium/config/x11-session\n")));
    files.insert(dir + QStringLiteral("tmp.mount"),
        GuestFile(
            QStringLiteral("[Unit]\nDescription=Temporary Directory /tmp\nDefaultDependencies=no\n"
                           "Conflicts=umount.target\nBefore=local-fs.target umount.target\n"
                           "[Mount]\nWhat=tmpfs\nWhere=/tmp\nType=tmpfs\n"
                           "Options=mode=1777,strictatime,nosuid,nodev\n")));
    // As on NixOS, the journal goes to the serial console too, so wait_for_console_text
    // matches a service's log lines. It stays in memory (/run/log/journal): flushing it to the
    // machine's disk put systemd-journal-flush, a program of 1-3 s under TCG, at the head of
    // sysinit's chain.
    files.insert(QStringLiteral("/etc/systemd/journald.conf.d/vivarium.conf"),
        GuestFile(QStringLiteral("[Journal]\nForwardToConsole=yes\nMaxLevelConsole=debug\n"
                                 "TTYPath=/dev/ttyS0\nStorage=volatile\n")));
    files.insert(dir + QStringLiteral("systemd-journal-flush.service"), mask);
    // A kernel without modules (Vivarium's own) has nothing for modprobe@configfs, @drm, @fuse,
    // @loop, @dm_mod... or the host's modules-load.d to load: each was a program of 1-3 s.
    const GuestFile noModulesNoRun(
        QStringLiteral("[Unit]\nConditionDirectoryNotEmpty=/lib/modules/%v\n"));
    files.insert(dir + QStringLiteral("modprobe@.service.d/vivarium.conf"), noModulesNoRun);
    files.insert(
        dir + QStringLiteral("systemd-modules-load.service.d/vivarium.conf"), noModulesNoRun);
    // Units that run when the host's /etc or /var "needs update" (after a package upgrade),
    // rebuilding caches a guest shares with the host: each took 1-2 s of a boot under TCG. But
    // a machine's own sysusers.d files take effect at every boot.
    const bool ownSysusers = !filesUnder(m, "/etc/sysusers.d/").isEmpty();
    if (ownSysusers)
        files.insert(dir + QStringLiteral("systemd-sysusers.service.d/vivarium.conf"),
            GuestFile(QStringLiteral("[Unit]\nConditionNeedsUpdate=\n")));
    // The root is the host's, read-only below the machine's disk: nothing to remount.
    for (const char *cache : { "ldconfig.service", "systemd-hwdb-update.service",
             "systemd-journal-catalog-update.service", "systemd-update-done.service",
             "systemd-remount-fs.service" })
        files.insert(dir + QLatin1String(cache), mask);
    // Generators run before any unit, each a program (~50-100 ms under TCG): those for what a
    // test machine has not (encrypted, verity, GPT-discovered or hibernated disks, serial and
    // container gettys, rc.local, a system update, the host's PostgreSQL clusters) are masked;
    // fstab, SysV scripts and NFS's stay.
    for (const char *generator : { "postgresql-generator", "systemd-cryptsetup-generator",
             "systemd-debug-generator", "systemd-getty-generator", "systemd-gpt-auto-generator",
             "systemd-hibernate-resume-generator", "systemd-integritysetup-generator",
             "systemd-rc-local-generator", "systemd-run-generator",
             "systemd-system-update-generator", "systemd-veritysetup-generator" })
        files.insert(QStringLiteral("/etc/systemd/system-generators/") + QLatin1String(generator),
            GuestFile::link(QStringLiteral("/dev/null")));
    if (!ownSysusers)
        files.insert(dir + QStringLiteral("systemd-sysusers.service"), mask);
    // The host's binfmt.d entries are the host's business, as its enabled units are: a machine
    // registers the entries of its own binfmt.d files only, and without any the unit is masked.
    const QStringList binfmt = filesUnder(m, "/etc/binfmt.d/");
    if (binfmt.isEmpty())
        files.insert(dir + QStringLiteral("systemd-binfmt.service"), mask);
    else
        files.insert(dir + QStringLiteral("systemd-binfmt.service.d/vivarium.conf"),
            GuestFile(QStringLiteral(
                "[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-binfmt \"%1\"\n")
                          .arg(binfmt.join(QStringLiteral("\" \"")))));
    // A seed carried from boot to boot is the host's (the root is its), and the kernel seeds
    // itself: the unit only cost a program before sysinit.target.
    files.insert(dir + QStringLiteral("systemd-random-seed.service"), mask);
    // Consoles are the backdoor's and the shells', not a getty's: an empty unit file is a mask.
    // A machine with a screen has a login prompt on tty1 as a NixOS machine does (logind starts
    // the others when Alt+F2... switches to them); without one, tty1 is nobody's.
    for (const char *masked :
        { "serial-getty@hvc0.service", "serial-getty@hvc1.service", "serial-getty@ttyS0.service" })
        files.insert(dir + QLatin1String(masked), mask);
    if (m.graphics) {
        files.insert(dir + QStringLiteral("getty.target.d/vivarium.conf"),
            GuestFile(QStringLiteral("[Unit]\nWants=getty@tty1.service\n")));
        // NixOS's agetty names its tty on the command line (tests look for `agetty.*tty2`);
        // Debian's reads it from stdin ("-").
        files.insert(dir + QStringLiteral("getty@.service.d/vivarium.conf"),
            GuestFile(QStringLiteral("[Service]\nExecStart=\nExecStart=-/sbin/agetty --noclear "
                                     "--keep-baud %I 115200,38400,9600 $TERM\n")));
    } else
        files.insert(dir + QStringLiteral("getty@tty1.service"), mask);
    // A container has the host's kernel: its debug and trace file systems are the host's, and
    // its user namespace may not mount them.
    if (m.kind == MachineKind::Container) {
        for (const char *unit : { "sys-kernel-debug.mount", "sys-kernel-tracing.mount" })
            files.insert(dir + QLatin1String(unit), mask);
    }
    return files;
}

QStringList hostUnitLinks(const QString &root)
{
    const QDir host(root);
    const QString dir = QStringLiteral("/etc/systemd/system/");
    QStringList links { dir + QStringLiteral("default.target"),
        dir + QStringLiteral("display-manager.service") };
    for (const QString &entry :
        QDir(host.filePath(dir.mid(1)))
            .entryList({ QStringLiteral("*.wants"), QStringLiteral("*.requires") }, QDir::Dirs))
        links.append(dir + entry);
    // The generator turns an S link of a runlevel into multi-user.target's Wants; the script in
    // /etc/init.d stays, so a machine that lists the service still gets it.
    for (const char *runlevel : { "rc2.d", "rc3.d", "rc4.d", "rc5.d" }) {
        const QString rc = QStringLiteral("/etc/") + QLatin1String(runlevel) + QLatin1Char('/');
        for (const QString &entry : QDir(host.filePath(rc.mid(1)))
                                        .entryList({ QStringLiteral("S*") },
                                            QDir::Files | QDir::System | QDir::NoDotAndDotDot))
            links.append(rc + entry);
    }
    return links;
}

} // namespace vivarium
