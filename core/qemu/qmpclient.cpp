#include "core/qemu/qmpclient.h"

#include <QLocalSocket>

namespace vivarium {

QmpClient::QmpClient(QObject *parent)
    : QObject(parent)
{
}

QmpClient::~QmpClient()
{
    if (m_socket)
        m_socket->disconnect(this);
}

void QmpClient::attach(QLocalSocket *socket)
{
    m_socket = socket;
    socket->setParent(this);
    connect(socket, &QLocalSocket::readyRead, this, &QmpClient::onReadyRead);
    connect(socket, &QLocalSocket::disconnected, this,
        [this] { fail(QStringLiteral("QMP connection closed")); });
    onReadyRead();
}

void QmpClient::execute(const QString &name, const QJsonObject &arguments, Callback done)
{
    if (m_failed || !m_socket) {
        QmpMessage reply;
        reply.kind = QmpMessage::Kind::Error;
        reply.errorClass = QStringLiteral("Disconnected");
        reply.errorDesc = QStringLiteral("QMP is not connected");
        done(reply);
        return;
    }
    const qint64 id = m_nextId++;
    m_pending.insert(id, std::move(done));
    m_socket->write(QmpParser::command(name, arguments, id));
}

void QmpClient::close()
{
    if (m_socket)
        m_socket->abort();
}

void QmpClient::onReadyRead()
{
    const QList<QmpMessage> messages = m_parser.feed(m_socket->readAll());
    for (const QmpMessage &message : messages) {
        switch (message.kind) {
        case QmpMessage::Kind::Greeting:
            execute(QStringLiteral("qmp_capabilities"), {}, [this](const QmpMessage &reply) {
                if (reply.kind == QmpMessage::Kind::Error) {
                    fail(QStringLiteral("QMP handshake refused: ") + reply.errorDesc);
                    return;
                }
                m_ready = true;
                emit ready();
            });
            break;
        case QmpMessage::Kind::Return:
        case QmpMessage::Kind::Error: {
            const Callback done = m_pending.take(qint64(message.id.toDouble()));
            if (done)
                done(message);
            break;
        }
        case QmpMessage::Kind::Event:
            emit event(message);
            break;
        }
    }
    if (m_parser.hasError())
        fail(m_parser.error());
}

void QmpClient::fail(const QString &reason)
{
    if (m_failed)
        return;
    m_failed = true;
    m_ready = false;
    const auto pending = std::exchange(m_pending, {});
    for (const Callback &done : pending) {
        QmpMessage reply;
        reply.kind = QmpMessage::Kind::Error;
        reply.errorClass = QStringLiteral("Disconnected");
        reply.errorDesc = reason;
        done(reply);
    }
    emit failed(reason);
}

} // namespace vivarium
