#pragma once

#include "core/spec/testspec.h"

#include <QList>
#include <QString>

namespace vivarium {

// One VLAN NIC of a machine under the NixOS scheme: ethK for the K-th VLAN in the machine's
// `vlans` order, MAC 52:54:00:12:<vlan>:<node>, 192.168.<vlan>.<node>/24 and
// 2001:db8:<vlan>::<node>/64, where node is the machine's 1-based place among the sorted names.
struct NicAddress {
    int vlan = 0;
    int index = 0; // K of ethK (1-based; eth0 is the user-mode NIC)
    QString interface;
    QString mac;
    QString ipv4; // without prefix length; empty when the machine's 'addresses' has none
    QString ipv6;
    // What the NIC is given, with prefix lengths: the defaults (ipv4/24, ipv6/64) or the
    // machine's own 'addresses' in their place.
    QStringList cidrs;
};

QString vlanMac(int vlan, int node);
// The MAC of eth0, QEMU's restricted user-mode NIC.
QString userNetMac();
QList<NicAddress> machineNics(const TestSpec &test, const QString &machine);
// The shell lines a guest runs before it reports ready: every NIC named by its MAC, up, and
// addressed. Names are assigned in two steps so eth1 and eth2 can trade places.
QByteArray nicSetupScript(const QList<NicAddress> &nics, bool userNic = true);
// /etc/hosts of a guest: localhost, itself on 127.0.0.2, and each machine by its first VLAN's
// addresses.
QByteArray hostsFile(const TestSpec &test, const QString &self = {});

} // namespace vivarium
