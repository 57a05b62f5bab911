#pragma once

#include "core/network/vdeport.h"

#include <QObject>
#include <memory>

class QSocketNotifier;

namespace vivarium {

// A container's NIC on its VLAN: the tap device in the container's network namespace and a
// port of the VLAN's switch, joined by copying each Ethernet frame from one to the other (what
// QEMU does for a VM's NIC). A pulled cable (setLinkUp(false)) drops the carrier of the tap, so
// the container sees NO-CARRIER as a VM's guest does, and drops the frames in both directions.
class TapForwarder : public QObject {
    Q_OBJECT

public:
    // Takes tap (a descriptor of the tap device) and port (joined to the switch).
    TapForwarder(int tap, std::unique_ptr<VdePort> port, QObject *parent = nullptr);
    ~TapForwarder() override;

    void setLinkUp(bool up);
    bool isLinkUp() const { return m_up; }

private:
    void forward(int from, int to);

    int m_tap = -1;
    std::unique_ptr<VdePort> m_port;
    QSocketNotifier *m_fromTap = nullptr;
    QSocketNotifier *m_fromSwitch = nullptr;
    bool m_up = true;
};

} // namespace vivarium
