#include "core/util/localconnect.h"

#include <QLocalSocket>
#include <QPointer>
#include <QTimer>

namespace vivarium {

void connectWhenListening(QLocalSocket *socket, const QString &path, QDeadlineTimer deadline,
    std::function<void(const QString &error)> done)
{
    socket->connectToServer(path);
    if (socket->waitForConnected(0) || socket->state() == QLocalSocket::ConnectedState) {
        done({});
        return;
    }
    if (deadline.hasExpired()) {
        done(QStringLiteral("cannot connect to %1: %2").arg(path, socket->errorString()));
        return;
    }
    socket->abort();
    QPointer<QLocalSocket> guard(socket);
    QTimer::singleShot(10, socket, [guard, path, deadline, done = std::move(done)]() mutable {
        if (guard)
            connectWhenListening(guard, path, deadline, std::move(done));
    });
}

} // namespace vivarium
