#include "core/guest/machinefiles.h"

#include "core/util/textformat.h"

#include <QFileInfo>
#include <QRandomGenerator>
#include <crypt.h>

namespace vivarium {

namespace {

// SHA-512 crypt, as chpasswd writes it; never logged.
QString hashPassword(const QString &password)
{
    static const char alphabet[]
        = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    QByteArray salt = "$6$";
    for (int i = 0; i < 16; ++i)
        salt += alphabet[QRandomGenerator::system()->bounded(64)];
    crypt_data data {};
    const char *hash = crypt_r(password.toUtf8().constData(), salt.constData(), &data);
    return hash && hash[0] != '*' ? QString::fromLatin1(hash) : QStringLiteral("!");
}

} // namespace

QMap<QString, GuestFile> accountFiles(const Accounts &accounts, const QList<GuestUser> &users)
{
    QMap<QString, QString> passwords;
    for (const GuestUser &u : users)
        passwords.insert(u.name,
            !u.hashedPassword.isEmpty() ? u.hashedPassword
                : u.password.isEmpty()  ? QStringLiteral("!")
                                        : hashPassword(u.password));
    QString shadow;
    for (const Accounts::User &u : accounts.users()) {
        const QString hash = passwords.value(
            u.name, u.name == QLatin1String("root") ? QString() : QStringLiteral("*"));
        shadow += QStringLiteral("%1:%2:19000:0:99999:7:::\n").arg(u.name, hash);
    }
    QString gshadow;
    for (const Accounts::Group &g : accounts.groups())
        gshadow += QStringLiteral("%1:!::%2\n").arg(g.name, g.members.join(QLatin1Char(',')));
    const QString shadowOwner
        = accounts.group(QStringLiteral("shadow")) ? QStringLiteral("root:shadow") : QString();
    return {
        { QStringLiteral("/etc/passwd"), { QString::fromUtf8(accounts.passwdFile()), 0644, {} } },
        { QStringLiteral("/etc/group"), { QString::fromUtf8(accounts.groupFile()), 0644, {} } },
        { QStringLiteral("/etc/shadow"), { shadow, 0640, shadowOwner } },
        { QStringLiteral("/etc/gshadow"), { gshadow, 0640, shadowOwner } },
    };
}

GuestFile fstabFile(const MachineSpec &m)
{
    QString fstab;
    for (const GuestMount &mount : m.fstab())
        fstab += QStringLiteral("%1 %2 %3 %4 0 0\n")
                     .arg(mount.device, mount.mountPoint, mount.fs,
                         mount.options.join(QLatin1Char(',')));
    return { fstab, 0644, {} };
}

QByteArray machineProfile(const MachineSpec &m)
{
    QByteArray profile;
    for (auto it = m.environment.cbegin(); it != m.environment.cend(); ++it)
        profile += QStringLiteral("export %1=%2\n").arg(it.key(), shellQuote(it.value())).toUtf8();
    for (auto it = m.files.cbegin(); it != m.files.cend(); ++it) {
        if (it.key().startsWith(QLatin1String("/etc/profile.d/"))
            && it.key().endsWith(QLatin1String(".sh")))
            profile += ". " + shellQuote(it.key()).toUtf8() + '\n';
    }
    return profile;
}

QByteArray filesScript(const QMap<QString, GuestFile> &files, const QStringList &removed,
    const QString &source, const Accounts &accounts, const MachineSpec &m)
{
    // Paths relative to the new root (the script runs there), grouped so that each step is one
    // program: under TCG each costs milliseconds.
    const auto relative = [](const QString &path) -> QString { return QLatin1Char('.') + path; };
    QStringList paths, directories;
    QMap<QString, QStringList> byDirectory, byOwner;
    QMap<int, QStringList> byMode;
    QStringList links;
    // The mount points of the machine's fstab exist before its init mounts them.
    for (const GuestMount &mount : m.fstab()) {
        if (mount.fs != QLatin1String("swap") && !directories.contains(relative(mount.mountPoint)))
            directories.append(relative(mount.mountPoint));
    }
    for (auto it = files.cbegin(); it != files.cend(); ++it) {
        const QString path = relative(it.key());
        const QString directory = QFileInfo(path).path();
        paths.append(path);
        if (!directories.contains(directory))
            directories.append(directory);
        if (!it->symlink.isEmpty()) {
            links.append(
                QStringLiteral("ln -s %1 %2").arg(shellQuote(it->symlink), shellQuote(path)));
            continue;
        }
        byDirectory[directory].append(source + it.key());
        byOwner[it->owner].append(path);
        byMode[it->mode].append(path);
    }
    QStringList script { QStringLiteral("set -e") };
    QStringList gone;
    for (const QString &path : removed)
        gone.append(relative(path));
    if (!gone.isEmpty())
        script.append(QStringLiteral("rm -rf ") + shellQuoteAll(gone));
    if (!paths.isEmpty())
        script.append(QStringLiteral("rm -f ") + shellQuoteAll(paths));
    if (!directories.isEmpty())
        script.append(QStringLiteral("mkdir -p ") + shellQuoteAll(directories));
    for (auto it = byDirectory.cbegin(); it != byDirectory.cend(); ++it)
        script.append(QStringLiteral("cp ") + shellQuoteAll(it.value()) + QLatin1Char(' ')
            + shellQuote(it.key()));
    script += links;
    for (auto it = byOwner.cbegin(); it != byOwner.cend(); ++it) {
        const auto ids = accounts.owner(it.key().isEmpty() ? QStringLiteral("0:0") : it.key())
                             .value_or(std::pair { 0, 0 });
        script.append(QStringLiteral("chown %1:%2 ").arg(ids.first).arg(ids.second)
            + shellQuoteAll(it.value()));
    }
    for (auto it = byMode.cbegin(); it != byMode.cend(); ++it)
        script.append(QStringLiteral("chmod %1 ").arg(it.key(), 4, 8, QLatin1Char('0'))
            + shellQuoteAll(it.value()));
    // A user's home is made once, as useradd -m would (the host's /home is not shared).
    for (const GuestUser &u : m.users) {
        const Accounts::User *account = accounts.user(u.name);
        if (!account || account->home == QLatin1String("/"))
            continue;
        const QString home = shellQuote(relative(account->home));
        if (account->uid != 0)
            script.append(
                QStringLiteral("if [ ! -d %1 ]; then mkdir -p %1; chown %2:%3 %1; chmod %4 %1; fi")
                    .arg(home)
                    .arg(account->uid)
                    .arg(account->gid)
                    .arg(u.homeMode, 4, 8, QLatin1Char('0')));
        // The keys are the test's at every boot, as NixOS writes them from its configuration.
        if (!u.authorizedKeys.isEmpty()) {
            const QString ssh = shellQuote(relative(account->home + QStringLiteral("/.ssh")));
            script.append(QStringLiteral("mkdir -p %1; printf '%s\\n' %2 > %1/authorized_keys; "
                                         "chown %3:%4 %1 %1/authorized_keys; chmod 0700 %1; "
                                         "chmod 0600 %1/authorized_keys")
                              .arg(ssh, shellQuoteAll(u.authorizedKeys))
                              .arg(account->uid)
                              .arg(account->gid));
        }
    }
    return script.join(QLatin1Char('\n')).toUtf8() + '\n';
}

} // namespace vivarium
