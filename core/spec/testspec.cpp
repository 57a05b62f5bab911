#include "core/spec/testspec.h"

#include "core/spec/linkfields.h"

namespace vivarium {

QString SourceLocation::toString() const
{
    if (line == 0) // not from a file: an add_machine() call
        return file;
    return QStringLiteral("%1:%2:%3").arg(file).arg(line).arg(column);
}

QString LinkSettings::validate() const
{
    for (const LinkField &field : linkFields()) {
        const QString error = field.check(field.get(*this));
        if (!error.isEmpty())
            return error;
    }
    return {};
}

QString MachineSpec::pythonName() const
{
    QString result = name;
    return result.replace(QLatin1Char('-'), QLatin1Char('_'));
}

QString MachineSpec::diskDevice(qsizetype i)
{
    return QStringLiteral("/dev/vd") + QChar(char16_t(u'b' + i));
}

QList<GuestMount> MachineSpec::fstab() const
{
    QList<GuestMount> result;
    for (qsizetype i = 0; i < disks.size(); ++i) {
        if (disks.at(i).fs == QLatin1String("swap"))
            result.append({ QStringLiteral("none"), diskDevice(i), disks.at(i).fs });
        else if (!disks.at(i).mount.isEmpty())
            result.append({ disks.at(i).mount, diskDevice(i), disks.at(i).fs });
    }
    return result + mounts;
}

PropertySettings PropertySettings::overriddenBy(const PropertySettings &other) const
{
    PropertySettings merged = *this;
    if (other.examples)
        merged.examples = other.examples;
    if (other.steps)
        merged.steps = other.steps;
    if (other.seed)
        merged.seed = other.seed;
    if (other.derandomize)
        merged.derandomize = other.derandomize;
    if (other.forks)
        merged.forks = other.forks;
    if (other.guided)
        merged.guided = other.guided;
    merged.replay = replay || other.replay;
    return merged;
}

const MachineSpec *TestSpec::machine(const QString &name) const
{
    for (const MachineSpec &m : machines) {
        if (m.name == name)
            return &m;
    }
    return nullptr;
}

LinkSettings TestSpec::linkSettings(const QString &machine, int vlan) const
{
    for (const LinkSpec &link : links) {
        if (link.machine == machine && link.vlan == vlan)
            return link.settings;
    }
    LinkSettings settings = vlans.value(vlan);
    settings.capture = false; // capturing a VLAN is not capturing each of its NICs
    return settings;
}

int TestSpec::nodeNumber(const QString &machine) const
{
    for (int i = 0; i < machines.size(); ++i) {
        if (machines.at(i).name == machine)
            return i + 1;
    }
    return 0;
}

} // namespace vivarium
