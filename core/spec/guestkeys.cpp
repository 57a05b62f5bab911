// The machine keys that put things into the guest's root beyond the host's: files (with mode
// and owner), users, disks, mounts and the commands' environment.
#include "core/spec/accounts.h"
#include "core/spec/machinekeys.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

namespace vivarium {

namespace {

constexpr int maxDisks = 20;
constexpr int maxDiskMiB = 1024 * 1024;
const QRegularExpression accountName(QStringLiteral("^[a-z_][a-z0-9_-]{0,31}$"));

bool isAbsolute(const QString &path)
{
    return path.startsWith(QLatin1Char('/')) && !path.contains(QLatin1String("/../"))
        && !path.endsWith(QLatin1String("/.."));
}

} // namespace

void MachineKeys::files(const toml::node &node, MachineSpec &m)
{
    const toml::table *table = node.as_table();
    if (!table) {
        m_reader.error(node.source(), QStringLiteral("'files' must be a table of path = content"));
        return;
    }
    // Merged with [defaults]' files path by path, the machine's entry winning (as NixOS's
    // module system merges environment.etc): a machine adds files, it does not drop the
    // defaults' (docs/test-file.md, "Which keys merge").
    for (auto &&[path, value] : *table) {
        const QString guestPath = tomlString(path.str());
        if (guestPath.contains(QChar(0))) {
            m_reader.error(path.source(),
                QStringLiteral("file path \"%1\" must not contain a NUL character")
                    .arg(QString(guestPath).replace(QChar(0), QLatin1String("\\0"))));
            continue;
        }
        if (!guestPath.startsWith(QLatin1Char('/')) || guestPath.endsWith(QLatin1Char('/'))) {
            m_reader.error(path.source(),
                QStringLiteral("file path \"%1\" must be absolute and name a file (not end in /)")
                    .arg(guestPath));
            continue;
        }
        if (!isAbsolute(guestPath)) {
            m_reader.error(path.source(),
                QStringLiteral("file path \"%1\" must not contain \"..\"").arg(guestPath));
            continue;
        }
        GuestFile file;
        if (value.is_string()) {
            file.content = m_reader.string(value, guestPath).value_or(QString());
            m.files.insert(guestPath, file);
            continue;
        }
        const toml::table *fields = value.as_table();
        if (!fields || !fields->contains("content")) {
            m_reader.error(value.source(),
                QStringLiteral("file \"%1\" must be a string or a table with 'content' (and "
                               "'mode', 'owner')")
                    .arg(guestPath));
            continue;
        }
        for (auto &&[k, v] : *fields) {
            const QString key = tomlString(k.str());
            if (key == QLatin1String("content")) {
                file.content = m_reader.string(v, key).value_or(QString());
            } else if (key == QLatin1String("mode")) {
                static const QRegularExpression octal(QStringLiteral("^0?[0-7]{3,4}$"));
                const QString mode = m_reader.string(v, key).value_or(QString());
                if (octal.match(mode).hasMatch())
                    file.mode = mode.toInt(nullptr, 8);
                else if (!mode.isEmpty())
                    m_reader.error(v.source(),
                        QStringLiteral("'mode' \"%1\" must be octal, e.g. \"0755\"").arg(mode));
            } else if (key == QLatin1String("owner")) {
                static const QRegularExpression owner(
                    QStringLiteral("^([a-z_][a-z0-9_-]*|[0-9]+)(:([a-z_][a-z0-9_-]*|[0-9]+))?$"));
                file.owner = m_reader.string(v, key).value_or(QString());
                if (!owner.match(file.owner).hasMatch()) {
                    m_reader.error(v.source(),
                        QStringLiteral("'owner' \"%1\" must be \"user\" or \"user:group\"")
                            .arg(file.owner));
                    file.owner.clear();
                }
            } else {
                m_reader.error(k.source(),
                    QStringLiteral("unknown file key '%1' (known: content, mode, owner)").arg(key));
            }
        }
        m.files.insert(guestPath, file);
    }
}

std::optional<QList<const toml::table *>> MachineKeys::tables(const toml::node &node,
    const QString &key, const QString &example, const QString &each, const char *required)
{
    const toml::array *array = node.as_array();
    if (!array) {
        m_reader.error(node.source(),
            QStringLiteral("'%1' must be an array of tables (%2)").arg(key, example));
        return std::nullopt;
    }
    QList<const toml::table *> result;
    for (const toml::node &item : *array) {
        const toml::table *t = item.as_table();
        if (!t || !t->contains(required))
            m_reader.error(item.source(),
                QStringLiteral("each %1 must be a table with '%2'")
                    .arg(each, QLatin1String(required)));
        else
            result.append(t);
    }
    return result;
}

void MachineKeys::users(const toml::node &node, MachineSpec &m)
{
    const auto items = tables(node, QStringLiteral("users"),
        QStringLiteral("{ name = \"alice\", ... }"), QStringLiteral("user"), "name");
    if (!items)
        return;
    m.users.clear();
    for (const toml::table *t : *items) {
        GuestUser user;
        for (auto &&[k, v] : *t) {
            const QString key = tomlString(k.str());
            if (key == QLatin1String("name")) {
                user.name = m_reader.string(v, key).value_or(QString());
                if (!accountName.match(user.name).hasMatch())
                    m_reader.error(v.source(),
                        QStringLiteral("user name \"%1\" must be lower case letters, digits, "
                                       "'_' or '-' (at most 32, not starting with a digit)")
                            .arg(user.name));
            } else if (key == QLatin1String("uid")) {
                user.uid = int(m_reader.integer(v, key, 0, 65533).value_or(-1));
            } else if (key == QLatin1String("group") || key == QLatin1String("groups")) {
                const QStringList names = key == QLatin1String("group")
                    ? QStringList { m_reader.string(v, key).value_or(QString()) }
                    : m_reader.strings(v, key).value_or(QStringList());
                for (const QString &name : names) {
                    if (!accountName.match(name).hasMatch())
                        m_reader.error(v.source(),
                            QStringLiteral("group name \"%1\" is not a group name").arg(name));
                }
                if (key == QLatin1String("group"))
                    user.group = names.value(0, user.group);
                else
                    user.groups = names;
            } else if (key == QLatin1String("home") || key == QLatin1String("shell")) {
                const QString path = m_reader.string(v, key).value_or(QString());
                if (!isAbsolute(path))
                    m_reader.error(
                        v.source(), QStringLiteral("'%1' must be an absolute path").arg(key));
                else if (key == QLatin1String("home"))
                    user.home = path;
                else if (!QFileInfo(path).isExecutable())
                    m_reader.error(v.source(),
                        QStringLiteral("'shell' %1 is not a program on this host (guests run "
                                       "the host's)")
                            .arg(path));
                else
                    user.shell = path;
            } else if (key == QLatin1String("home_mode")) {
                static const QRegularExpression octal(QStringLiteral("^0?[0-7]{3}$"));
                const QString mode = m_reader.string(v, key).value_or(QString());
                if (octal.match(mode).hasMatch())
                    user.homeMode = mode.toInt(nullptr, 8);
                else
                    m_reader.error(v.source(),
                        QStringLiteral("'home_mode' \"%1\" must be octal, e.g. \"750\"").arg(mode));
            } else if (key == QLatin1String("password")) {
                user.password = m_reader.string(v, key).value_or(QString());
            } else if (key == QLatin1String("hashed_password")) {
                // What /etc/shadow holds: a crypt(3) hash, or "!"/"*" for a locked account.
                static const QRegularExpression hash(QStringLiteral("^(\\$[^:\\s]+|!|\\*)$"));
                user.hashedPassword = m_reader.string(v, key).value_or(QString());
                if (!hash.match(user.hashedPassword).hasMatch())
                    m_reader.error(v.source(),
                        QStringLiteral("'hashed_password' must be a crypt(3) hash such as "
                                       "mkpasswd -m sha-512 prints (\"$6$...\"), or \"!\"; it "
                                       "holds no ':' or white space"));
            } else if (key == QLatin1String("authorized_keys")) {
                static const QRegularExpression publicKey(
                    QStringLiteral("^(\\S+ )*(ssh|ecdsa|sk)-\\S+ [A-Za-z0-9+/=]+( [^\\n]*)?$"));
                user.authorizedKeys = m_reader.strings(v, key).value_or(QStringList());
                // The entry's number, not its text: a private key pasted by mistake stays
                // out of the logs.
                for (int i = 0; i < user.authorizedKeys.size(); ++i)
                    if (!publicKey.match(user.authorizedKeys[i]).hasMatch())
                        m_reader.error(v.source(),
                            QStringLiteral("'authorized_keys' entry %1 is not an OpenSSH public "
                                           "key line (\"ssh-ed25519 AAAA... comment\")")
                                .arg(i + 1));
            } else {
                m_reader.error(k.source(),
                    QStringLiteral("unknown user key '%1' (known: name, uid, group, groups, "
                                   "home, home_mode, shell, password, hashed_password, "
                                   "authorized_keys)")
                        .arg(key));
            }
        }
        if (!user.password.isEmpty() && !user.hashedPassword.isEmpty())
            m_reader.error(t->source(),
                QStringLiteral("user '%1' has both 'password' and 'hashed_password': give one")
                    .arg(user.name));
        if (std::any_of(m.users.cbegin(), m.users.cend(),
                [&](const GuestUser &u) { return u.name == user.name; }))
            m_reader.error(t->source(), QStringLiteral("user '%1' is listed twice").arg(user.name));
        else
            m.users.append(user);
    }
}

void MachineKeys::groups(const toml::node &node, MachineSpec &m)
{
    const auto items = tables(node, QStringLiteral("groups"),
        QStringLiteral("{ name = \"wheel\", gid = 10 }"), QStringLiteral("group"), "name");
    if (!items)
        return;
    m.groups.clear();
    for (const toml::table *t : *items) {
        GuestGroup group;
        for (auto &&[k, v] : *t) {
            const QString key = tomlString(k.str());
            if (key == QLatin1String("name")) {
                group.name = m_reader.string(v, key).value_or(QString());
                if (!accountName.match(group.name).hasMatch())
                    m_reader.error(v.source(),
                        QStringLiteral("group name \"%1\" is not a group name").arg(group.name));
            } else if (key == QLatin1String("gid")) {
                group.gid = int(m_reader.integer(v, key, 0, 65533).value_or(-1));
            } else {
                m_reader.error(k.source(),
                    QStringLiteral("unknown group key '%1' (known: name, gid)").arg(key));
            }
        }
        m.groups.append(group);
    }
}

void MachineKeys::disks(const toml::node &node, MachineSpec &m)
{
    const auto items = tables(node, QStringLiteral("disks"),
        QStringLiteral("{ size_mb = 512, ... }"), QStringLiteral("disk"), "size_mb");
    if (!items)
        return;
    m.disks.clear();
    for (const toml::table *t : *items) {
        if (m.disks.size() == maxDisks) {
            m_reader.error(t->source(), QStringLiteral("at most %1 disks").arg(maxDisks));
            break;
        }
        GuestDisk disk;
        for (auto &&[k, v] : *t) {
            const QString key = tomlString(k.str());
            if (key == QLatin1String("size_mb")) {
                disk.sizeMiB = int(m_reader.integer(v, key, 1, maxDiskMiB).value_or(0));
            } else if (key == QLatin1String("fs")) {
                disk.fs = m_reader.string(v, key).value_or(QString());
                static const QRegularExpression fsName(QStringLiteral("^[a-z0-9]+$"));
                const QString maker = disk.fs == QLatin1String("swap")
                    ? QStringLiteral("mkswap")
                    : QStringLiteral("mkfs.") + disk.fs;
                if (!fsName.match(disk.fs).hasMatch()
                    || QStandardPaths::findExecutable(
                        maker, { QStringLiteral("/usr/sbin"), QStringLiteral("/sbin") })
                           .isEmpty()) {
                    m_reader.error(v.source(),
                        QStringLiteral("'fs' \"%1\": this host has no %2 to make it")
                            .arg(disk.fs, maker));
                    disk.fs.clear();
                }
            } else if (key == QLatin1String("mount")) {
                disk.mount = m_reader.string(v, key).value_or(QString());
                if (!isAbsolute(disk.mount) || disk.mount == QLatin1String("/")) {
                    m_reader.error(v.source(),
                        QStringLiteral("'mount' must be an absolute path other than /"));
                    disk.mount.clear();
                }
            } else {
                m_reader.error(k.source(),
                    QStringLiteral("unknown disk key '%1' (known: size_mb, fs, mount)").arg(key));
            }
        }
        if (!disk.mount.isEmpty() && disk.fs.isEmpty() && !t->contains("fs"))
            disk.fs = QStringLiteral("ext4");
        else if (!disk.mount.isEmpty() && disk.fs.isEmpty())
            m_reader.error(t->source(), QStringLiteral("a disk with a 'mount' needs an 'fs'"));
        else if (!disk.mount.isEmpty() && disk.fs == QLatin1String("swap"))
            m_reader.error(t->source(),
                QStringLiteral("a swap disk has no 'mount': it is swapped on at boot"));
        m.disks.append(disk);
    }
}

void MachineKeys::mounts(const toml::node &node, MachineSpec &m)
{
    const toml::table *table = node.as_table();
    if (!table) {
        m_reader.error(node.source(),
            QStringLiteral("'mounts' must be a table of mount point = { device, fs, options }"));
        return;
    }
    m.mounts.clear();
    for (auto &&[path, value] : *table) {
        GuestMount mount;
        mount.mountPoint = tomlString(path.str());
        static const QRegularExpression plain(QStringLiteral("^[^\\s#]+$"));
        if (!isAbsolute(mount.mountPoint) || !plain.match(mount.mountPoint).hasMatch()) {
            m_reader.error(path.source(),
                QStringLiteral("mount point \"%1\" must be an absolute path without spaces")
                    .arg(mount.mountPoint));
            continue;
        }
        const toml::table *t = value.as_table();
        if (!t || !t->contains("device") || !t->contains("fs")) {
            m_reader.error(value.source(),
                QStringLiteral("mount \"%1\" must be a table with 'device' and 'fs' (and "
                               "'options')")
                    .arg(mount.mountPoint));
            continue;
        }
        for (auto &&[k, v] : *t) {
            const QString key = tomlString(k.str());
            QStringList values;
            if (key == QLatin1String("options"))
                values = m_reader.strings(v, key).value_or(QStringList());
            else if (key == QLatin1String("device") || key == QLatin1String("fs"))
                values = { m_reader.string(v, key).value_or(QString()) };
            else {
                m_reader.error(k.source(),
                    QStringLiteral("unknown mount key '%1' (known: device, fs, options)").arg(key));
                continue;
            }
            for (const QString &s : values) {
                if (!plain.match(s).hasMatch()
                    || (s.contains(QLatin1Char(',')) && key != QLatin1String("options")))
                    m_reader.error(v.source(),
                        QStringLiteral("'%1' \"%2\" must not be empty or hold spaces or '#'")
                            .arg(key, s));
            }
            if (key == QLatin1String("device"))
                mount.device = values.value(0);
            else if (key == QLatin1String("fs"))
                mount.fs = values.value(0);
            else if (!values.isEmpty())
                mount.options = values;
        }
        m.mounts.append(mount);
    }
}

void MachineKeys::environment(const toml::node &node, MachineSpec &m)
{
    const toml::table *table = node.as_table();
    if (!table) {
        m_reader.error(
            node.source(), QStringLiteral("'environment' must be a table of NAME = value"));
        return;
    }
    m.environment.clear();
    static const QRegularExpression variable(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    for (auto &&[k, v] : *table) {
        const QString name = tomlString(k.str());
        if (!variable.match(name).hasMatch()) {
            m_reader.error(k.source(),
                QStringLiteral("environment variable \"%1\" is not a shell variable name")
                    .arg(name));
            continue;
        }
        if (const auto value = m_reader.string(v, name))
            m.environment.insert(name, *value);
    }
}

const Accounts &MachineKeys::hostAccounts()
{
    if (!m_hostAccounts)
        m_hostAccounts = Accounts::ofHost();
    return *m_hostAccounts;
}

void MachineKeys::checkGuest(const MachineSpec &m, const toml::source_region &where)
{
    const QString machine = QStringLiteral("machine '%1'").arg(m.name);
    Accounts accounts = hostAccounts();
    if (const QString problem = accounts.addAll(m.groups, m.users); !problem.isEmpty())
        m_reader.error(where, QStringLiteral("%1: 'users': %2").arg(machine, problem));
    for (auto it = m.files.cbegin(); it != m.files.cend(); ++it) {
        if (!it->owner.isEmpty() && !accounts.owner(it->owner))
            m_reader.error(where,
                QStringLiteral("%1: 'files': owner \"%2\" of %3 is neither an account of this "
                               "host nor one of 'users'")
                    .arg(machine, it->owner, it.key()));
    }
    QStringList mountPoints;
    for (const GuestMount &mount : m.fstab()) {
        if (mount.fs == QLatin1String("swap"))
            continue;
        if (mountPoints.contains(mount.mountPoint))
            m_reader.error(where,
                QStringLiteral("%1: %2 is mounted twice ('disks' and 'mounts')")
                    .arg(machine, mount.mountPoint));
        mountPoints.append(mount.mountPoint);
        if (mount.device.startsWith(QLatin1String("/dev/vd"))) {
            bool known = false;
            for (qsizetype i = 0; i < m.disks.size(); ++i)
                known = known || mount.device.startsWith(MachineSpec::diskDevice(i));
            if (!known)
                m_reader.error(where,
                    QStringLiteral("%1: 'mounts': %2 is not one of the machine's disks (it has "
                                   "%3: /dev/vdb onwards, in the order of 'disks')")
                        .arg(machine, mount.device)
                        .arg(m.disks.size()));
        }
    }
    for (const QString &service : m.services) {
        // A template's instance (getty@tty2.service) is its template's file.
        const QString file = QString(service).replace(
            QRegularExpression(QStringLiteral("@[^.]+\\.")), QStringLiteral("@."));
        bool found = m.files.contains(QStringLiteral("/etc/systemd/system/") + file);
        for (const char *dir : { "/etc/systemd/system/", "/lib/systemd/system/",
                 "/usr/lib/systemd/system/", "/run/systemd/system/" })
            found = found || QFileInfo::exists(QLatin1String(dir) + file);
        if (!found)
            m_reader.error(where,
                QStringLiteral("%1: 'services': \"%2\" names no unit on this host or in the "
                               "machine's files (looked for %3 in /etc/systemd/system and "
                               "/lib/systemd/system)")
                    .arg(machine, service, file));
    }
}

} // namespace vivarium
