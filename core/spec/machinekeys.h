#pragma once

#include "core/spec/accounts.h"
#include "core/spec/tomlreader.h"

namespace vivarium {

// The keys of a [machines.NAME] or [defaults] table (DESIGN section 5, docs/test-file.md):
// each read with its checks, then the checks across keys once the machine is complete.
class MachineKeys {
public:
    struct PackageUse {
        QString who;
        QString machine; // empty: [defaults]
        QStringList packages;
        toml::source_region where;
    };

    explicit MachineKeys(TomlReader &reader)
        : m_reader(reader)
    {
    }

    static const QStringList &names();
    // The machine names NixOS accepts (its node names, e.g. routerDummyNoNat).
    static bool isMachineName(const QString &name);

    void table(const toml::table &table, MachineSpec &m);
    void check(const MachineSpec &m, const toml::source_region &where);
    // Where each machine (or [defaults]) named packages, for one dpkg question at the end.
    const QList<PackageUse> &packageUses() const { return m_packageUses; }

private:
    void key(const QString &key, const toml::node &node, MachineSpec &m);
    // The tables of an array-of-tables key (users, groups, disks), each with its required key;
    // nothing when the value is no array. What is wrong is said where it is.
    std::optional<QList<const toml::table *>> tables(const toml::node &node, const QString &key,
        const QString &example, const QString &each, const char *required);
    // The host's accounts, read once for every machine of the file.
    const Accounts &hostAccounts();
    // guestkeys.cpp: what the machine's root holds beyond the host's.
    void addresses(const toml::node &node, MachineSpec &m);
    void files(const toml::node &node, MachineSpec &m);
    void users(const toml::node &node, MachineSpec &m);
    void groups(const toml::node &node, MachineSpec &m);
    void disks(const toml::node &node, MachineSpec &m);
    void mounts(const toml::node &node, MachineSpec &m);
    void environment(const toml::node &node, MachineSpec &m);
    void checkGuest(const MachineSpec &m, const toml::source_region &where);
    // A container refuses, at load, what only a VM has.
    void checkContainer(const MachineSpec &m, const toml::source_region &where);

    TomlReader &m_reader;
    QList<PackageUse> m_packageUses;
    std::optional<Accounts> m_hostAccounts;
};

} // namespace vivarium
