#pragma once

#include "core/spec/testspec.h"

#include <QStringList>
#include <functional>

namespace vivarium {

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
    // "file:line:col: message", one per problem, in file order.
    QStringList errors() const { return m_errors; }

    static QStringList missingDebianPackages(const QStringList &packages);

private:
    PackageCheck m_missingPackages;
    QStringList m_errors;
};

} // namespace vivarium
