#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace vivarium {

// The frames vivarium-agent speaks on its virtio port (see core/guest/agent/vivarium-agent.c):
// 'V' 'V' type flags id:u32le length:u32le headerCrc:u32le payloadCrc:u32le payload, with
// zlib's CRC-32 over the first 12 bytes and over the payload.
struct BackdoorFrame {
    enum Type : char {
        Command = 'C', // host -> guest: run the payload
        Kill = 'K', // host -> guest: kill the running command
        Ready = 'R', // guest -> host: the agent is up (payload: version)
        Stdout = 'O',
        Stderr = 'E',
        Exit = 'X', // payload: the exit status (i32le), stdout and stderr byte counts (u64le)
    };
    static constexpr int headerSize = 20;
    // Host to guest: a command's text. The agent sends output in pieces of at most 64 KiB.
    static constexpr quint32 maxPayload = 64u * 1024 * 1024;
    static constexpr quint32 maxGuestPayload = 1024u * 1024;

    char type = Command;
    quint32 id = 0;
    QByteArray payload;
    // The header's fourth byte: 0 from today's agent, kept as read so that a frame re-encodes
    // to the bytes it came from (a later agent may set flags).
    char flags = 0;

    QByteArray encode() const;
    static QByteArray encodeExit(qint32 status, quint64 stdoutBytes, quint64 stderrBytes);
    qint32 exitStatus() const;
    // The output counts an Exit frame reports; -1 when the frame has none.
    qint64 exitStdoutBytes() const;
    qint64 exitStderrBytes() const;
};

// Splits the agent's byte stream into frames, whatever pieces it arrives in. Only a frame
// whose magic, type, length and both CRCs hold is one; anything else is corruption: it is
// skipped a byte at a time until the next good frame, and reported (corruption()), never
// taken for output.
class BackdoorDecoder {
public:
    explicit BackdoorDecoder(quint32 maxPayload = BackdoorFrame::maxGuestPayload)
        : m_maxPayload(maxPayload)
    {
    }
    QList<BackdoorFrame> feed(const QByteArray &bytes);
    // Bytes skipped since the last takeCorruption(), and what they looked like.
    qsizetype skippedBytes() const { return m_skipped; }
    QString takeCorruption();
    // Bytes waiting for the rest of their frame.
    qsizetype pendingBytes() const { return m_buffer.size(); }

private:
    void skip(qsizetype at);

    quint32 m_maxPayload;
    QByteArray m_buffer;
    qsizetype m_skipped = 0;
    QByteArray m_skippedSample; // the first skipped bytes, for the message
};

} // namespace vivarium
