#include "core/machine/backdoorframe.h"

#include <QtEndian>

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

} // namespace

QByteArray BackdoorFrame::encode() const
{
    QByteArray bytes(headerSize, '\0');
    bytes[0] = 'V';
    bytes[1] = 'V';
    bytes[2] = type;
    qToLittleEndian<quint32>(id, bytes.data() + 4);
    qToLittleEndian<quint32>(quint32(payload.size()), bytes.data() + 8);
    return bytes + payload;
}

QByteArray BackdoorFrame::encodeExit(qint32 status)
{
    QByteArray bytes(4, '\0');
    qToLittleEndian<qint32>(status, bytes.data());
    return bytes;
}

qint32 BackdoorFrame::exitStatus() const
{
    return payload.size() >= 4 ? qFromLittleEndian<qint32>(payload.constData()) : -1;
}

QList<BackdoorFrame> BackdoorDecoder::feed(const QByteArray &bytes)
{
    QList<BackdoorFrame> frames;
    m_buffer.append(bytes);
    qsizetype at = 0;
    while (m_buffer.size() - at >= 2) {
        const char *p = m_buffer.constData() + at;
        if (p[0] != 'V' || p[1] != 'V') {
            ++at;
            ++m_skipped;
            continue;
        }
        if (m_buffer.size() - at < BackdoorFrame::headerSize)
            break;
        const quint32 length = qFromLittleEndian<quint32>(p + 8);
        if (!knownType(p[2]) || length > BackdoorFrame::maxPayload) {
            ++at;
            ++m_skipped;
            continue;
        }
        if (m_buffer.size() - at < BackdoorFrame::headerSize + qsizetype(length))
            break;
        BackdoorFrame frame;
        frame.type = p[2];
        frame.id = qFromLittleEndian<quint32>(p + 4);
        frame.payload = m_buffer.mid(at + BackdoorFrame::headerSize, length);
        frames.append(std::move(frame));
        at += BackdoorFrame::headerSize + length;
    }
    // A lone trailing byte that is not 'V' can never start a frame.
    if (m_buffer.size() - at == 1 && m_buffer.at(at) != 'V') {
        ++at;
        ++m_skipped;
    }
    m_buffer.remove(0, at);
    return frames;
}

} // namespace vivarium
