#include "core/network/vlanswitch.h"

#include "core/network/remotehost.h"
#include "core/network/vdemanagement.h"

namespace vivarium {

QStringList hubSwitchArguments(const QString &dir)
{
    return { QStringLiteral("--hub"), QStringLiteral("--sock"), dir, QStringLiteral("--mgmt"),
        dir + QStringLiteral(".mgmt"), QStringLiteral("--mode"), QStringLiteral("600"),
        QStringLiteral("--dirmode"), QStringLiteral("700") };
}

VlanSwitch::VlanSwitch(int vlan, QString netDir)
    : m_netDir(std::move(netDir))
{
    m_state.vlan = vlan;
}

VlanSwitch::~VlanSwitch() = default;

VlanSwitch::Link *VlanSwitch::link(const QString &machine)
{
    for (Link &l : m_links) {
        if (l.state.machine == machine)
            return &l;
    }
    return nullptr;
}

void VlanSwitch::addLink(LinkState state)
{
    m_state.machines << state.machine;
    m_links.push_back(Link { std::move(state), 0, 0, nullptr, nullptr, nullptr, false });
}

QString VlanSwitch::switchDir() const
{
    return m_netDir + QStringLiteral("/v%1").arg(vlan());
}

QString VlanSwitch::nicSwitchDir(const QString &machine) const
{
    return m_netDir + QStringLiteral("/%1.%2").arg(machine).arg(vlan());
}

QString VlanSwitch::nicPortSocket(const QString &machine) const
{
    return nicSwitchDir(machine) + QStringLiteral(".qemu");
}

QString VlanSwitch::nicSwitchDirThere(const Link &link) const
{
    if (!link.host)
        return nicSwitchDir(link.state.machine);
    return link.host->runDirectory() + QStringLiteral("/%1.%2").arg(link.state.machine).arg(vlan());
}

QString VlanSwitch::filterSocket(const QString &machine) const
{
    return nicSwitchDir(machine) + QStringLiteral(".wf");
}

QString VlanSwitch::captureSocket(const QString &machine) const
{
    return m_netDir
        + (machine.isEmpty() ? QStringLiteral("/cap-v%1").arg(vlan())
                             : QStringLiteral("/cap-%1.%2").arg(machine).arg(vlan()));
}

void VlanSwitch::reset()
{
    hub = 0;
    capture = nullptr;
    for (Link &l : m_links) {
        l.nicSwitch = l.filter = 0;
        l.session.reset();
        l.capture = nullptr;
        l.mirrored = false;
    }
}

} // namespace vivarium
