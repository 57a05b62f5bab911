#include "pcapreader.h"

#include <QFile>
#include <QHostAddress>
#include <QtEndian>

namespace {

quint32 read32(const char *p, bool swapped)
{
    const quint32 v = qFromLittleEndian<quint32>(p);
    return swapped ? qbswap(v) : v;
}

} // namespace

QList<PcapPacket> readPcap(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = path + ": " + file.errorString();
        return {};
    }
    const QByteArray data = file.readAll();
    if (data.size() < 24) {
        *error = path + ": shorter than a pcap header";
        return {};
    }
    const quint32 magic = qFromLittleEndian<quint32>(data.constData());
    const bool swapped = magic == 0xd4c3b2a1;
    if (magic != 0xa1b2c3d4 && !swapped) {
        *error = path + QString(": bad pcap magic %1").arg(magic, 0, 16);
        return {};
    }
    if (read32(data.constData() + 20, swapped) != 1) {
        *error = path + ": link type is not Ethernet";
        return {};
    }
    QList<PcapPacket> packets;
    qsizetype at = 24;
    while (at < data.size()) {
        if (data.size() - at < 16) {
            *error = path + ": truncated record header";
            return packets;
        }
        const char *h = data.constData() + at;
        const quint32 captured = read32(h + 8, swapped);
        if (captured > 65535 || data.size() - at - 16 < qsizetype(captured)) {
            *error = path + ": truncated record";
            return packets;
        }
        PcapPacket packet;
        packet.timestampUs = qint64(read32(h, swapped)) * 1000000 + read32(h + 4, swapped);
        packet.frame = data.mid(at + 16, captured);
        packets << packet;
        at += 16 + captured;
    }
    return packets;
}

int countIcmp(
    const QList<PcapPacket> &packets, const QString &source, const QString &destination, int type)
{
    const quint32 src = QHostAddress(source).toIPv4Address();
    const quint32 dst = QHostAddress(destination).toIPv4Address();
    int count = 0;
    for (const PcapPacket &p : packets) {
        const QByteArray &f = p.frame;
        // Ethernet (14) + IPv4 header (IHL words) + ICMP type.
        if (f.size() < 14 + 20 + 1 || qFromBigEndian<quint16>(f.constData() + 12) != 0x0800)
            continue;
        const char *ip = f.constData() + 14;
        const int headerLength = (ip[0] & 0x0f) * 4;
        if (ip[9] != 1 || f.size() < 14 + headerLength + 1)
            continue;
        if (qFromBigEndian<quint32>(ip + 12) == src && qFromBigEndian<quint32>(ip + 16) == dst
            && quint8(ip[headerLength]) == type)
            ++count;
    }
    return count;
}
