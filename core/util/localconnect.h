#pragma once

#include <QDeadlineTimer>
#include <QString>
#include <functional>

class QLocalSocket;

namespace vivarium {

// Connects socket to the unix socket at path, retrying every 10 ms while the server has not
// created it yet, until deadline. Calls done(error) once: an empty error means connected.
void connectWhenListening(QLocalSocket *socket, const QString &path, QDeadlineTimer deadline,
    std::function<void(const QString &error)> done);

} // namespace vivarium
