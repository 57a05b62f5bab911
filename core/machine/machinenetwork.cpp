// Machine's network methods: block/unblock through QMP, link settings and captures through the
// test run's Network.
#include "core/machine/machine.h"
#include "core/network/network.h"
#include "core/qemu/qemucommand.h"

#include <QJsonArray>

namespace vivarium {

namespace {

ActionArguments updateArguments(int vlan, const LinkUpdate &update)
{
    ActionArguments arguments { { QStringLiteral("vlan"), vlan } };
    for (const LinkField &field : linkFields()) {
        if (const std::optional<double> &value = update.*field.update)
            arguments.append({ QLatin1String(field.key), *value });
    }
    return arguments;
}

} // namespace

void Machine::setLinksUp(bool up)
{
    for (int vlan : m_spec.vlans)
        qmp(QStringLiteral("set_link"),
            { { QStringLiteral("name"), nicDeviceId(vlan) }, { QStringLiteral("up"), up } });
    if (m_context.network)
        m_context.network->setBlocked(m_spec.name, !up);
}

void Machine::block()
{
    action(QStringLiteral("block"), {}, [&] { setLinksUp(false); });
}

void Machine::unblock()
{
    action(QStringLiteral("unblock"), {}, [&] { setLinksUp(true); });
}

void Machine::setLink(int vlan, const LinkUpdate &update)
{
    action(QStringLiteral("set_link"), updateArguments(vlan, update), [&] {
        if (!m_context.network)
            throw MachineError(MachineError::Kind::Usage,
                QStringLiteral("machine %1 has no network").arg(m_spec.name));
        m_context.network->setLink(m_spec.name, vlan, update);
    });
}

QString Machine::capture(int vlan)
{
    return actionResult<QString>(
        QStringLiteral("capture"), { { QStringLiteral("vlan"), vlan } }, [&] {
            if (!m_context.network)
                throw MachineError(MachineError::Kind::Usage,
                    QStringLiteral("machine %1 has no network").arg(m_spec.name));
            return m_context.network->startCapture(vlan, m_spec.name);
        });
}

void Machine::stopCapture(int vlan)
{
    action(QStringLiteral("stop_capture"), { { QStringLiteral("vlan"), vlan } }, [&] {
        if (m_context.network)
            m_context.network->stopCapture(vlan, m_spec.name);
    });
}

} // namespace vivarium
