#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

namespace vivarium {

// One message from QEMU's machine protocol.
struct QmpMessage {
    enum class Kind { Greeting, Return, Error, Event };
    Kind kind = Kind::Return;
    QJsonValue id; // Return and Error: the id the command was sent with
    QJsonValue result; // Return: "return"; Greeting: the "QMP" object
    QString errorClass; // Error
    QString errorDesc; // Error
    QString event; // Event: its name
    QJsonObject data; // Event: its data
    qint64 timestampUs = 0; // Event
};

// Splits QMP's stream (one JSON object per line) into messages. Input may arrive in any pieces.
// Anything that is not a QMP message is an error: the stream cannot be trusted after it.
class QmpParser {
public:
    static constexpr qsizetype maxLineBytes = 64 * 1024 * 1024;

    // Appends bytes and returns the messages they complete. On malformed input returns what came
    // before it and sets error(); further input is ignored.
    QList<QmpMessage> feed(const QByteArray &bytes);
    bool hasError() const { return !m_error.isEmpty(); }
    QString error() const { return m_error; }

    static QByteArray command(const QString &name, const QJsonObject &arguments, qint64 id);

private:
    bool parseLine(const QByteArray &line, QmpMessage &message);

    QByteArray m_pending;
    QString m_error;
};

} // namespace vivarium
