#include "core/spec/hostkeys.h"

#include "core/spec/tomlreader.h"

#include <QRegularExpression>

namespace vivarium {

namespace {

// What ssh takes as a destination, and nothing it would read as an option or a second word.
bool isSshTarget(const QString &target)
{
    static const QRegularExpression pattern(QStringLiteral(
        "^([A-Za-z0-9._][A-Za-z0-9._-]{0,63}@)?[A-Za-z0-9][A-Za-z0-9.:%_-]{0,252}$"));
    return pattern.match(target).hasMatch();
}

void readHost(TomlReader &reader, const toml::table &table, HostSpec &host)
{
    for (auto &&[k, v] : table) {
        const QString key = tomlString(k.str());
        if (key == QLatin1String("ssh")) {
            host.ssh = reader.string(v, key).value_or(QString());
            if (!isSshTarget(host.ssh))
                reader.error(v.source(),
                    QStringLiteral("host '%1': 'ssh' \"%2\" must be \"user@address\" or "
                                   "\"address\" (letters, digits, '.', ':', '-', '_')")
                        .arg(host.name, host.ssh));
        } else if (key == QLatin1String("port")) {
            host.port = int(reader.integer(v, key, 1, 65535).value_or(0));
        } else if (key == QLatin1String("ssh_config")) {
            host.sshConfig = reader.path(v, key, true);
        } else if (key == QLatin1String("memory")) {
            host.memoryMiB = int(reader.integer(v, key, 64, 64 * 1024 * 1024).value_or(0));
        } else if (key == QLatin1String("cpus")) {
            host.cpus = int(reader.integer(v, key, 1, 4096).value_or(0));
        } else {
            reader.error(k.source(),
                QStringLiteral("unknown key '%1' of host '%2' (known: ssh, port, ssh_config, "
                               "memory, cpus)")
                    .arg(key, host.name));
        }
    }
    if (host.ssh.isEmpty() && !table.contains("ssh"))
        reader.error(table.source(),
            QStringLiteral("host '%1' needs 'ssh' (\"user@address\": how to reach it)")
                .arg(host.name));
}

} // namespace

void readHosts(TomlReader &reader, const toml::node &node, QMap<QString, HostSpec> &hosts)
{
    const toml::table *table = node.as_table();
    if (!table) {
        reader.error(node.source(), QStringLiteral("'hosts' must be a table ([hosts.NAME])"));
        return;
    }
    static const QRegularExpression hostName(QStringLiteral("^[A-Za-z][A-Za-z0-9_-]{0,62}$"));
    for (auto &&[k, v] : *table) {
        HostSpec host;
        host.name = tomlString(k.str());
        host.location = reader.at(k.source());
        if (!hostName.match(host.name).hasMatch()) {
            reader.error(k.source(),
                QStringLiteral("host name '%1' must be a letter, then letters, digits, '-' or "
                               "'_' (at most 63)")
                    .arg(host.name));
            continue;
        }
        if (host.name == QLatin1String("local")) {
            reader.error(k.source(),
                QStringLiteral("host name 'local' is this host's: give the other host another "
                               "name"));
            continue;
        }
        if (const toml::table *t = v.as_table())
            readHost(reader, *t, host);
        else
            reader.error(v.source(),
                QStringLiteral("host '%1' must be a table ([hosts.%1])").arg(host.name));
        hosts.insert(host.name, host);
    }
}

void checkMachineHosts(const TestSpec &spec, QStringList &errors)
{
    for (const MachineSpec &machine : spec.machines) {
        if (!machine.onOtherHost())
            continue;
        const QString where = machine.location.toString() + QStringLiteral(": ");
        if (!spec.hosts.contains(machine.host)) {
            const QStringList known = spec.hosts.keys();
            errors.append(where
                + QStringLiteral("machine '%1': host \"%2\" is not a [hosts.NAME] of the test (%3)")
                      .arg(machine.name, machine.host,
                          known.isEmpty()
                              ? QStringLiteral("it has none")
                              : QStringLiteral("it has ") + known.join(QStringLiteral(", "))));
        } else if (machine.kind == MachineKind::Container) {
            errors.append(where
                + QStringLiteral("machine '%1' is a container: containers run on this host (a "
                                 "container shares this host's kernel); drop host, or make it a VM")
                      .arg(machine.name));
        }
    }
}

} // namespace vivarium
