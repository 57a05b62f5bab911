#include "core/spec/livespec.h"

namespace vivarium {

LiveSpec::LiveSpec(const TestSpec &declared)
    : m_current(std::make_shared<const TestSpec>(declared))
{
}

std::shared_ptr<const TestSpec> LiveSpec::snapshot() const
{
    std::lock_guard lock(m_mutex);
    return m_current;
}

std::shared_ptr<const TestSpec> LiveSpec::add(const MachineSpec &machine)
{
    std::lock_guard lock(m_mutex);
    auto next = std::make_shared<TestSpec>(*m_current);
    next->machines.append(machine);
    for (int vlan : machine.vlans) {
        if (!next->vlans.contains(vlan))
            next->vlans.insert(vlan, {});
    }
    m_current = next;
    return m_current;
}

} // namespace vivarium
