#pragma once

#include "core/event/events.h"
#include "core/network/addressing.h"
#include "core/spec/linkfields.h"

#include <QJsonObject>
#include <QMetaType>
#include <optional>

namespace vivarium {

// The live state of one link: a machine's NIC, its filter and its way into a VLAN switch.
struct LinkState {
    QString machine;
    NicAddress nic;
    LinkSettings settings;
    bool machineRunning = false;
    bool blocked = false; // block(): the NIC's link is down (QMP set_link)
    bool filterRunning = false;
    QString capturePath; // non-empty while capturing this NIC
    bool up() const { return machineRunning && filterRunning && !blocked; }
    event::LinkChanged toEvent() const;
};

// The live state of one VLAN: its switch and who is on it.
struct VlanState {
    int vlan = 0;
    QStringList machines;
    bool switchRunning = false;
    QString capturePath; // non-empty while capturing the whole VLAN
    event::VlanChanged toEvent() const;
};

// The management commands that give a wirefilter these settings, for the frames going from the
// machine (wirefilter's left side) to the switch (its right side).
QStringList wirefilterCommands(const LinkSettings &settings);
// "100 ms ± 10 · 5 % loss · 2 % dup · 1000 kbit/s", or "" without impairment.
QString describeImpairment(const LinkSettings &settings);

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::LinkState)
Q_DECLARE_METATYPE(vivarium::VlanState)
