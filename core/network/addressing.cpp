#include "addressing.h"

namespace vivarium {

namespace {

QString hexByte(int value)
{
    return QStringLiteral("%1").arg(value, 2, 16, QLatin1Char('0'));
}

} // namespace

QString vlanMac(int vlan, int node)
{
    return QStringLiteral("52:54:00:12:") + hexByte(vlan) + QLatin1Char(':') + hexByte(node);
}

QString userNetMac()
{
    return QStringLiteral("52:54:00:12:34:56");
}

QList<NicAddress> machineNics(const TestSpec &test, const QString &machine)
{
    QList<NicAddress> nics;
    const MachineSpec *spec = test.machine(machine);
    if (!spec)
        return nics;
    const int node = test.nodeNumber(machine);
    for (int vlan : spec->vlans) {
        NicAddress nic;
        nic.vlan = vlan;
        nic.index = int(nics.size()) + 1;
        nic.interface = QStringLiteral("eth%1").arg(nic.index);
        nic.mac = vlanMac(vlan, node);
        nic.ipv4 = QStringLiteral("192.168.%1.%2").arg(vlan).arg(node);
        nic.ipv6 = QStringLiteral("2001:db8:%1::%2").arg(vlan).arg(node);
        nics.append(nic);
    }
    return nics;
}

QByteArray hostsFile(const TestSpec &test)
{
    QByteArray hosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n";
    for (const MachineSpec &m : test.machines) {
        const QList<NicAddress> nics = machineNics(test, m.name);
        if (nics.isEmpty())
            continue;
        hosts += QStringLiteral("%1 %2\n%3 %2\n")
                     .arg(nics.first().ipv4, m.name, nics.first().ipv6)
                     .toUtf8();
    }
    return hosts;
}

QByteArray nicSetupScript(const QList<NicAddress> &nics)
{
    QList<NicAddress> all = nics;
    NicAddress user;
    user.interface = QStringLiteral("eth0");
    user.mac = userNetMac();
    user.ipv4 = QStringLiteral("10.0.2.15");
    all.prepend(user);

    QString script = QStringLiteral("set -e\n"
                                    "nic_by_mac() {\n"
                                    "    for dev in /sys/class/net/*; do\n"
                                    "        if [ \"$(cat \"$dev/address\")\" = \"$1\" ]; then\n"
                                    "            echo \"${dev##*/}\"; return 0\n"
                                    "        fi\n"
                                    "    done\n"
                                    "    echo \"vivarium: no network interface has MAC $1\" >&2\n"
                                    "    return 1\n"
                                    "}\n");
    for (const NicAddress &nic : all) {
        script += QStringLiteral("dev=$(nic_by_mac %1)\n"
                                 "ip link set \"$dev\" down\n"
                                 "ip link set \"$dev\" name vivarium-%2\n")
                      .arg(nic.mac, nic.interface);
    }
    for (const NicAddress &nic : all) {
        script += QStringLiteral("ip link set vivarium-%1 name %1\n"
                                 "ip link set %1 up\n")
                      .arg(nic.interface);
        if (nic.vlan == 0) {
            script += QStringLiteral("ip addr add %1/24 dev %2\n").arg(nic.ipv4, nic.interface);
        } else {
            script += QStringLiteral("ip addr add %1/24 dev %3\n"
                                     "ip -6 addr add %2/64 dev %3 nodad\n")
                          .arg(nic.ipv4, nic.ipv6, nic.interface);
        }
    }
    // QEMU's user network learns the guest's MAC address only from a packet the guest sends;
    // until then, connections forwarded to the guest are dropped.
    script += QStringLiteral("(ping -c 1 -W 1 10.0.2.2 >/dev/null 2>&1 &)\n");
    return script.toUtf8();
}

} // namespace vivarium
