#include "core/network/addressing.h"

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
        nic.cidrs = { nic.ipv4 + QStringLiteral("/24"), nic.ipv6 + QStringLiteral("/64") };
        // The test's own addresses replace the defaults (NixOS tests set them with mkForce):
        // a default left beside them made their IPv6 address fail duplicate detection.
        if (spec->addresses.contains(nic.interface)) {
            nic.cidrs = spec->addresses.value(nic.interface);
            nic.ipv4.clear();
            nic.ipv6.clear();
            for (const QString &cidr : std::as_const(nic.cidrs)) {
                const QString address = cidr.section(QLatin1Char('/'), 0, 0);
                QString &primary = address.contains(QLatin1Char(':')) ? nic.ipv6 : nic.ipv4;
                if (primary.isEmpty())
                    primary = address;
            }
        }
        nics.append(nic);
    }
    return nics;
}

QByteArray hostsFile(const TestSpec &test, const QString &self)
{
    QByteArray hosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n";
    // As on NixOS: the machine's own name on 127.0.0.2 (so 127.0.0.2 resolves back to it).
    if (!self.isEmpty())
        hosts += "127.0.0.2 " + self.toUtf8() + '\n';
    for (const MachineSpec &m : test.machines) {
        const QList<NicAddress> nics = machineNics(test, m.name);
        if (nics.isEmpty())
            continue;
        for (const QString &address : { nics.first().ipv4, nics.first().ipv6 }) {
            if (!address.isEmpty())
                hosts += (address + QLatin1Char(' ') + m.name + QLatin1Char('\n')).toUtf8();
        }
    }
    return hosts;
}

QByteArray nicSetupScript(const QList<NicAddress> &nics, bool userNic)
{
    QList<NicAddress> all = nics;
    if (userNic) {
        NicAddress user;
        user.interface = QStringLiteral("eth0");
        user.mac = userNetMac();
        user.ipv4 = QStringLiteral("10.0.2.15");
        user.cidrs = { user.ipv4 + QStringLiteral("/24") };
        all.prepend(user);
    }

    // Every program started under TCG costs tens of milliseconds of boot: the interfaces are
    // found with shell builtins and set up by one `ip -batch`.
    QString script = QStringLiteral("set -e\n"
                                    "declare -A dev\n"
                                    "for path in /sys/class/net/*; do\n"
                                    "    read -r mac < \"$path/address\"\n"
                                    "    dev[$mac]=${path##*/}\n"
                                    "done\n"
                                    "nic() {\n"
                                    "    [ -n \"${dev[$1]}\" ] && return 0\n"
                                    "    echo \"vivarium: no network interface has MAC $1\" >&2\n"
                                    "    exit 1\n"
                                    "}\n");
    // The kernel names NICs in the order QEMU lists them, which is ours (net.ifnames=0): renames
    // are needed only when something else named them.
    script += QStringLiteral("rename=\n");
    for (const NicAddress &nic : std::as_const(all))
        script += QStringLiteral("nic %1\n[ \"${dev[%1]}\" = %2 ] || rename=1\n")
                      .arg(nic.mac, nic.interface);
    // Two steps, so eth1 and eth2 can trade names.
    script += QStringLiteral("if [ -n \"$rename\" ]; then\nip -batch - <<EOF\n");
    for (const NicAddress &nic : std::as_const(all)) {
        script += QStringLiteral("link set dev ${dev[%1]} down\n"
                                 "link set dev ${dev[%1]} name vivarium-%2\n")
                      .arg(nic.mac, nic.interface);
    }
    for (const NicAddress &nic : std::as_const(all))
        script += QStringLiteral("link set dev vivarium-%1 name %1\n").arg(nic.interface);
    script += QStringLiteral("EOF\nfi\nip -batch - <<EOF\nlink set dev lo up\n");
    for (const NicAddress &nic : std::as_const(all)) {
        script += QStringLiteral("link set dev %1 up\n").arg(nic.interface);
        // IPv6 without duplicate detection: usable at once, and every address on a VLAN is
        // the test's to choose.
        for (const QString &cidr : nic.cidrs)
            script
                += QStringLiteral("addr add %1 dev %2%3\n")
                       .arg(cidr, nic.interface,
                           cidr.contains(QLatin1Char(':')) ? QStringLiteral(" nodad") : QString());
    }
    script += QStringLiteral("EOF\n");
    // QEMU's user network learns the guest's MAC address only from a packet the guest sends;
    // until then, connections forwarded to the guest are dropped.
    if (userNic)
        script += QStringLiteral("(ping -c 1 -W 1 10.0.2.2 >/dev/null 2>&1 &)\n");
    return script.toUtf8();
}

} // namespace vivarium
