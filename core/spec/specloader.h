#pragma once

#include "core/spec/testspec.h"

#include <QStringList>
#include <functional>

namespace vivarium {

class MachineKeys;
class TomlReader;

// Loads and validates a test file (DESIGN section 5). Every problem is reported with its
// file:line:col; nothing unknown is silently ignored.
class SpecLoader {
public:
    // Answers whether a Debian package is installed on the host (host-share guests run the
    // host's programs). The default asks dpkg.
    using PackageCheck = std::function<QStringList(const QStringList &packages)>;

    SpecLoader();
    void setPackageCheck(PackageCheck check) { m_missingPackages = std::move(check); }

    std::optional<TestSpec> loadFile(const QString &path);
    std::optional<TestSpec> loadString(const QByteArray &toml, const QString &path);
    // A machine the script adds while test runs (add_machine): its keys as the body of a
    // [machines.NAME] table, read from the test's [defaults] and checked as a test file's
    // machine is, and against test's machines (names, the 254 places of a VLAN). Errors read
    // "add_machine("NAME"): message".
    std::optional<MachineSpec> loadAddedMachine(
        const QString &name, const QByteArray &keys, const TestSpec &test);
    // "file:line:col: message", one per problem, in file order.
    QStringList errors() const { return m_errors; }

    static QStringList missingDebianPackages(const QStringList &packages);

private:
    // The host must have the packages of every machine that runs the host's programs (a
    // machine with a base image gets them in its image): isBased says which.
    void checkPackages(TomlReader &reader, const MachineKeys &keys,
        const std::function<bool(const QString &machine)> &isBased);

    PackageCheck m_missingPackages;
    QStringList m_errors;
};

} // namespace vivarium
