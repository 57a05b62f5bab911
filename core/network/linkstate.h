#pragma once

#include "../spec/testspec.h"
#include "addressing.h"

#include <QJsonObject>
#include <QMetaType>
#include <optional>

namespace vivarium {

// A change to some of a link's values; what is unset stays as it is.
struct LinkUpdate {
    std::optional<double> delayMs {};
    std::optional<double> jitterMs {};
    std::optional<double> loss {};
    std::optional<double> dup {};
    std::optional<int> bandwidthKbit {};

    LinkSettings appliedTo(LinkSettings settings) const;
    bool isEmpty() const;
};

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
    QJsonObject toJson() const;
};

// The live state of one VLAN: its switch and who is on it.
struct VlanState {
    int vlan = 0;
    QStringList machines;
    bool switchRunning = false;
    QString capturePath; // non-empty while capturing the whole VLAN
    QJsonObject toJson() const;
};

// The management commands that give a wirefilter these settings, for the frames going from the
// machine (wirefilter's left side) to the switch (its right side).
QStringList wirefilterCommands(const LinkSettings &settings);
// "100 ms ± 10 · 5 % loss · 2 % dup · 1000 kbit/s", or "" without impairment.
QString describeImpairment(const LinkSettings &settings);

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::LinkState)
Q_DECLARE_METATYPE(vivarium::VlanState)
