#include "core/machine/backdoorframe.h"

#include <QtEndian>
#include <zlib.h>

namespace vivarium {

namespace {

bool knownType(char type)
{
    switch (type) {
    case BackdoorFrame::Command:
    case BackdoorFrame::Kill:
    case BackdoorFrame::Ready:
    case BackdoorFrame::Stdout:
    case BackdoorFrame::Stderr:
    case BackdoorFrame::Exit:
        return true;
    default:
        return false;
    }
}

quint32 crc(const char *data, qsizetype size)
{
    return quint32(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(data), uInt(size)));
}

} // namespace

QByteArray BackdoorFrame::encode() const
{
    QByteArray bytes(headerSize, '\0');
    bytes[0] = 'V';
    bytes[1] = 'V';
    bytes[2] = type;
    bytes[3] = flags;
    qToLittleEndian<quint32>(id, bytes.data() + 4);
    qToLittleEndian<quint32>(quint32(payload.size()), bytes.data() + 8);
    qToLittleEndian<quint32>(crc(bytes.constData(), 12), bytes.data() + 12);
    qToLittleEndian<quint32>(crc(payload.constData(), payload.size()), bytes.data() + 16);
    return bytes + payload;
}

QByteArray BackdoorFrame::encodeExit(qint32 status, quint64 stdoutBytes, quint64 stderrBytes)
{
    QByteArray bytes(20, '\0');
    qToLittleEndian<qint32>(status, bytes.data());
    qToLittleEndian<quint64>(stdoutBytes, bytes.data() + 4);
    qToLittleEndian<quint64>(stderrBytes, bytes.data() + 12);
    return bytes;
}

qint32 BackdoorFrame::exitStatus() const
{
    return payload.size() >= 4 ? qFromLittleEndian<qint32>(payload.constData()) : -1;
}

qint64 BackdoorFrame::exitStdoutBytes() const
{
    return payload.size() >= 20 ? qint64(qFromLittleEndian<quint64>(payload.constData() + 4)) : -1;
}

qint64 BackdoorFrame::exitStderrBytes() const
{
    return payload.size() >= 20 ? qint64(qFromLittleEndian<quint64>(payload.constData() + 12)) : -1;
}

void BackdoorDecoder::skip(qsizetype at)
{
    if (m_skippedSample.size() < 32)
        m_skippedSample.append(m_buffer.at(at));
    ++m_skipped;
}

QString BackdoorDecoder::takeCorruption()
{
    if (m_skipped == 0)
        return {};
    const QString text = QStringLiteral("%1 bytes that are not frames (the first: %2)")
                             .arg(m_skipped)
                             .arg(QString::fromLatin1(m_skippedSample.toHex(' ')));
    m_skipped = 0;
    m_skippedSample.clear();
    return text;
}

QList<BackdoorFrame> BackdoorDecoder::feed(const QByteArray &bytes)
{
    QList<BackdoorFrame> frames;
    m_buffer.append(bytes);
    qsizetype at = 0;
    while (m_buffer.size() - at >= 2) {
        const char *p = m_buffer.constData() + at;
        if (p[0] != 'V' || p[1] != 'V') {
            skip(at++);
            continue;
        }
        if (m_buffer.size() - at < BackdoorFrame::headerSize)
            break;
        const quint32 length = qFromLittleEndian<quint32>(p + 8);
        // The header's CRC is checked before its length is believed: a forged or damaged
        // header can never make the reader wait for bytes that will not come.
        if (qFromLittleEndian<quint32>(p + 12) != crc(p, 12) || !knownType(p[2])
            || length > m_maxPayload) {
            skip(at++);
            continue;
        }
        if (m_buffer.size() - at < BackdoorFrame::headerSize + qsizetype(length))
            break;
        if (qFromLittleEndian<quint32>(p + 16) != crc(p + BackdoorFrame::headerSize, length)) {
            skip(at++);
            continue;
        }
        BackdoorFrame frame;
        frame.type = p[2];
        frame.flags = p[3];
        frame.id = qFromLittleEndian<quint32>(p + 4);
        frame.payload = m_buffer.mid(at + BackdoorFrame::headerSize, length);
        frames.append(std::move(frame));
        at += BackdoorFrame::headerSize + length;
    }
    // A lone trailing byte that is not 'V' can never start a frame.
    if (m_buffer.size() - at == 1 && m_buffer.at(at) != 'V')
        skip(at++);
    m_buffer.remove(0, at);
    return frames;
}

} // namespace vivarium
