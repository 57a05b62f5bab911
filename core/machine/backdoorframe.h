#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace vivarium {

// The frames vivarium-agent speaks on hvc0 (see core/guest/agent/vivarium-agent.c):
// 'V' 'V' type flags id:u32le length:u32le payload.
struct BackdoorFrame {
    enum Type : char {
        Command = 'C', // host -> guest: run the payload
        Kill = 'K', // host -> guest: kill the running command
        Ready = 'R', // guest -> host: the agent is up (payload: version)
        Stdout = 'O',
        Stderr = 'E',
        Exit = 'X', // payload: the exit status, i32le
    };
    static constexpr int headerSize = 12;
    static constexpr quint32 maxPayload = 64u * 1024 * 1024;

    char type = Command;
    quint32 id = 0;
    QByteArray payload;

    QByteArray encode() const;
    static QByteArray encodeExit(qint32 status);
    qint32 exitStatus() const;
};

// Splits the agent's byte stream into frames, whatever pieces it arrives in. Bytes that cannot
// start a frame (the guest wrote something else on hvc0) are skipped and counted.
class BackdoorDecoder {
public:
    QList<BackdoorFrame> feed(const QByteArray &bytes);
    qsizetype skippedBytes() const { return m_skipped; }

private:
    QByteArray m_buffer;
    qsizetype m_skipped = 0;
};

} // namespace vivarium
