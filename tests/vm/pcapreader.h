#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

// A small pcap reader for tests: checks the file the way Wireshark would (magic, version,
// Ethernet link type, whole records) and returns its frames.
struct PcapPacket {
    qint64 timestampUs = 0;
    QByteArray frame;
};

QList<PcapPacket> readPcap(const QString &path, QString *error);
// ICMP (IPv4) messages of the given type from source to destination in Ethernet frames.
int countIcmp(
    const QList<PcapPacket> &packets, const QString &source, const QString &destination, int type);
