#pragma once

#include "core/spec/testspec.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace vivarium {

// A machine's accounts: the host's /etc/passwd and /etc/group (guests share its programs, and
// packages own files by these ids) plus the test's `users`. The loader checks `users` and
// `files` owners against it; the machine's /etc/passwd, group, shadow and gshadow are written
// from it.
class Accounts {
public:
    struct User {
        QString name;
        int uid = 0;
        int gid = 0;
        QString gecos;
        QString home;
        QString shell;
        bool operator==(const User &) const = default;
    };
    struct Group {
        QString name;
        int gid = 0;
        QStringList members;
        bool operator==(const Group &) const = default;
    };

    static Accounts fromFiles(const QByteArray &passwd, const QByteArray &group);
    static Accounts ofHost(); // /etc/passwd and /etc/group

    // Adds (or, for a name the host has, replaces) one account of the test; an empty result,
    // or what is wrong ("uid 1000 is taken by 'bob'").
    QString add(const GuestUser &user);
    // A group of the test; an empty result, or what is wrong ("gid 100 is taken by 'users'").
    QString addGroup(const GuestGroup &group);
    // The machine's groups, then its users; or the first problem.
    QString addAll(const QList<GuestGroup> &groups, const QList<GuestUser> &users);

    const User *user(const QString &name) const;
    const Group *group(const QString &name) const;
    // "user", "user:group", "uid:gid" -> ids, or nothing when a name is unknown.
    std::optional<std::pair<int, int>> owner(const QString &owner) const;
    QList<User> users() const { return m_users; }
    QList<Group> groups() const { return m_groups; }

    QByteArray passwdFile() const;
    QByteArray groupFile() const;

private:
    const User *userWithUid(int uid) const;
    const Group *groupWithGid(int gid) const;
    int freeId(int from, bool group) const;
    QList<User> m_users;
    QList<Group> m_groups;
};

} // namespace vivarium
