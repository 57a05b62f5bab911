#pragma once

#include "core/qemu/qmpparser.h"

#include <QHash>
#include <QObject>
#include <functional>

class QLocalSocket;

namespace vivarium {

// QEMU's machine protocol over a unix socket: the greeting and capabilities handshake, commands
// matched to their replies by id, and asynchronous events. Lives on the thread that uses it.
class QmpClient : public QObject {
    Q_OBJECT

public:
    // Receives the Return or Error message; on disconnect an Error with class "Disconnected".
    using Callback = std::function<void(const QmpMessage &reply)>;

    explicit QmpClient(QObject *parent = nullptr);
    ~QmpClient() override;

    // Takes over a connected socket and starts the handshake; ready() follows.
    void attach(QLocalSocket *socket);
    bool isReady() const { return m_ready; }
    void execute(const QString &name, const QJsonObject &arguments, Callback done);
    void close();

signals:
    void ready();
    void event(const vivarium::QmpMessage &message);
    // The stream broke (closed, malformed input): every pending command has been answered.
    void failed(const QString &reason);

private:
    void onReadyRead();
    void fail(const QString &reason);

    QLocalSocket *m_socket = nullptr;
    QmpParser m_parser;
    QHash<qint64, Callback> m_pending;
    qint64 m_nextId = 1;
    bool m_ready = false;
    bool m_failed = false;
};

} // namespace vivarium
