#include "core/network/packetcapture.h"

#include <QSocketNotifier>
#include <QtEndian>
#include <chrono>
#include <sys/socket.h>

namespace vivarium {

namespace {

constexpr quint32 pcapMagic = 0xa1b2c3d4; // microsecond timestamps
constexpr quint32 snapLength = 65535;
constexpr quint32 linkTypeEthernet = 1;

template<typename T> void append(QByteArray &bytes, T value)
{
    const T little = qToLittleEndian(value);
    bytes.append(reinterpret_cast<const char *>(&little), sizeof little);
}

} // namespace

PacketCapture::PacketCapture(QObject *parent)
    : QObject(parent)
{
}

PacketCapture::~PacketCapture() = default;

bool PacketCapture::start(
    const QString &switchDir, const QString &portSocket, const QString &pcapPath, QString *error)
{
    m_file.setFileName(pcapPath);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write %1: %2").arg(pcapPath, m_file.errorString());
        return false;
    }
    QByteArray header;
    append<quint32>(header, pcapMagic);
    append<quint16>(header, 2);
    append<quint16>(header, 4);
    append<qint32>(header, 0); // time zone: UTC
    append<quint32>(header, 0); // timestamp accuracy
    append<quint32>(header, snapLength);
    append<quint32>(header, linkTypeEthernet);
    m_file.write(header);
    m_file.flush();
    if (!m_port.open(switchDir, portSocket, QStringLiteral("vivarium capture"), error))
        return false;
    m_notifier = new QSocketNotifier(m_port.dataSocket(), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &PacketCapture::readFrames);
    return true;
}

void PacketCapture::readFrames()
{
    char frame[snapLength];
    QByteArray records;
    while (true) {
        const ssize_t n = ::recv(m_port.dataSocket(), frame, sizeof frame, MSG_DONTWAIT);
        if (n <= 0)
            break;
        const qint64 us = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch())
                              .count();
        append<quint32>(records, quint32(us / 1000000));
        append<quint32>(records, quint32(us % 1000000));
        append<quint32>(records, quint32(n));
        append<quint32>(records, quint32(n));
        records.append(frame, n);
        ++m_packets;
    }
    // Written at once, so a reader sees whole packets while the capture goes on.
    m_file.write(records);
    m_file.flush();
}

} // namespace vivarium
