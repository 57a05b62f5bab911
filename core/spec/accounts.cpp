#include "core/spec/accounts.h"

#include <QFile>

namespace vivarium {

namespace {

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QList<QStringList> records(const QByteArray &text, int fields)
{
    QList<QStringList> result;
    for (const QByteArray &line : text.split('\n')) {
        const QStringList parts = QString::fromUtf8(line).split(QLatin1Char(':'));
        if (parts.size() >= fields && !parts.first().isEmpty())
            result.append(parts);
    }
    return result;
}

} // namespace

Accounts Accounts::fromFiles(const QByteArray &passwd, const QByteArray &group)
{
    Accounts accounts;
    for (const QStringList &r : records(passwd, 7))
        accounts.m_users.append({ r[0], r[2].toInt(), r[3].toInt(), r[4], r[5], r[6] });
    for (const QStringList &r : records(group, 4))
        accounts.m_groups.append(
            { r[0], r[2].toInt(), r[3].split(QLatin1Char(','), Qt::SkipEmptyParts) });
    return accounts;
}

Accounts Accounts::ofHost()
{
    return fromFiles(readAll(QStringLiteral("/etc/passwd")), readAll(QStringLiteral("/etc/group")));
}

const Accounts::User *Accounts::userWithUid(int uid) const
{
    for (const User &u : m_users) {
        if (u.uid == uid)
            return &u;
    }
    return nullptr;
}

const Accounts::Group *Accounts::groupWithGid(int gid) const
{
    for (const Group &g : m_groups) {
        if (g.gid == gid)
            return &g;
    }
    return nullptr;
}

int Accounts::freeId(int from, bool group) const
{
    for (int id = from;; ++id) {
        const bool taken = group ? groupWithGid(id) != nullptr : userWithUid(id) != nullptr;
        if (!taken)
            return id;
    }
}

QString Accounts::add(const GuestUser &spec)
{
    const User *existing = user(spec.name);
    if (const User *taken = spec.uid >= 0 ? userWithUid(spec.uid) : nullptr;
        taken && taken->name != spec.name)
        return QStringLiteral("user '%1': uid %2 is taken by '%3'")
            .arg(spec.name)
            .arg(spec.uid)
            .arg(taken->name);
    const QString primary = !spec.group.isEmpty() ? spec.group
        : existing                                ? QString()
                                                  : QStringLiteral("users");
    // A primary group the host lacks is made with the user's own id when that is free.
    if (!primary.isEmpty() && !group(primary)) {
        const bool free = spec.uid >= 0 && !groupWithGid(spec.uid);
        m_groups.append({ primary, free ? spec.uid : freeId(1000, true), {} });
    }
    for (const QString &name : spec.groups) {
        if (!group(name))
            m_groups.append({ name, freeId(1000, true), {} });
        for (Group &g : m_groups) {
            if (g.name == name && !g.members.contains(spec.name))
                g.members.append(spec.name);
        }
    }
    const int uid = spec.uid >= 0 ? spec.uid : existing ? existing->uid : freeId(1000, false);
    const User user { spec.name, uid, primary.isEmpty() ? existing->gid : group(primary)->gid,
        existing ? existing->gecos : QString(),
        !spec.home.isEmpty() ? spec.home
            : existing       ? existing->home
                             : QStringLiteral("/home/") + spec.name,
        !spec.shell.isEmpty() ? spec.shell
            : existing        ? existing->shell
                              : QStringLiteral("/bin/bash") };
    if (existing)
        m_users[existing - m_users.constData()] = user;
    else
        m_users.append(user);
    return {};
}

QString Accounts::addGroup(const GuestGroup &spec)
{
    if (const Group *existing = group(spec.name))
        return spec.gid < 0 || existing->gid == spec.gid
            ? QString()
            : QStringLiteral("group '%1' exists on this host with gid %2, not %3")
                  .arg(spec.name)
                  .arg(existing->gid)
                  .arg(spec.gid);
    if (const Group *taken = spec.gid >= 0 ? groupWithGid(spec.gid) : nullptr)
        return QStringLiteral("group '%1': gid %2 is taken by '%3'")
            .arg(spec.name)
            .arg(spec.gid)
            .arg(taken->name);
    m_groups.append({ spec.name, spec.gid >= 0 ? spec.gid : freeId(1000, true), {} });
    return {};
}

QString Accounts::addAll(const QList<GuestGroup> &groups, const QList<GuestUser> &users)
{
    for (const GuestGroup &g : groups) {
        if (QString problem = addGroup(g); !problem.isEmpty())
            return problem;
    }
    for (const GuestUser &u : users) {
        if (QString problem = add(u); !problem.isEmpty())
            return problem;
    }
    return {};
}

const Accounts::User *Accounts::user(const QString &name) const
{
    for (const User &u : m_users) {
        if (u.name == name)
            return &u;
    }
    return nullptr;
}

const Accounts::Group *Accounts::group(const QString &name) const
{
    for (const Group &g : m_groups) {
        if (g.name == name)
            return &g;
    }
    return nullptr;
}

std::optional<std::pair<int, int>> Accounts::owner(const QString &owner) const
{
    const QString userPart = owner.section(QLatin1Char(':'), 0, 0);
    const QString groupPart = owner.section(QLatin1Char(':'), 1);
    bool numeric = false;
    int uid = userPart.toInt(&numeric);
    int gid = 0;
    if (!numeric) {
        const User *u = user(userPart);
        if (!u)
            return std::nullopt;
        uid = u->uid;
        gid = u->gid;
    }
    if (!groupPart.isEmpty()) {
        gid = groupPart.toInt(&numeric);
        if (!numeric) {
            const Group *g = group(groupPart);
            if (!g)
                return std::nullopt;
            gid = g->gid;
        }
    }
    return std::pair { uid, gid };
}

QByteArray Accounts::passwdFile() const
{
    QByteArray text;
    for (const User &u : m_users)
        text += QStringLiteral("%1:x:%2:%3:%4:%5:%6\n")
                    .arg(u.name)
                    .arg(u.uid)
                    .arg(u.gid)
                    .arg(u.gecos, u.home, u.shell)
                    .toUtf8();
    return text;
}

QByteArray Accounts::groupFile() const
{
    QByteArray text;
    for (const Group &g : m_groups)
        text += QStringLiteral("%1:x:%2:%3\n")
                    .arg(g.name)
                    .arg(g.gid)
                    .arg(g.members.join(QLatin1Char(',')))
                    .toUtf8();
    return text;
}

} // namespace vivarium
