#include "core/container/portforward.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace vivarium {

PortForward::PortForward(int netns, int guestPort, QObject *parent)
    : QObject(parent)
    , m_netns(netns)
    , m_guestPort(guestPort)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &PortForward::onConnection);
}

PortForward::~PortForward()
{
    if (m_netns >= 0)
        ::close(m_netns);
}

bool PortForward::listen(int hostPort, QString *error)
{
    // The loopback address only: nothing else on the host's network reaches the container.
    if (m_server->listen(QHostAddress::LocalHost, quint16(hostPort)))
        return true;
    *error = m_server->errorString();
    return false;
}

int PortForward::socketInContainer() const
{
    // A socket belongs to the network namespace of the thread that makes it: a thread of its
    // own enters the container's, makes it and ends (ours stay where they are).
    int fd = -1;
    std::thread maker([&] {
        if (::setns(m_netns, CLONE_NEWNET) != 0)
            return;
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    });
    maker.join();
    if (fd < 0)
        return -1;
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(quint16(m_guestPort));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // On the loopback a connect is answered at once (accepted or refused): no need to wait.
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void PortForward::onConnection()
{
    while (QTcpSocket *outside = m_server->nextPendingConnection()) {
        const int fd = socketInContainer();
        auto *inside = new QTcpSocket(this);
        if (fd < 0 || !inside->setSocketDescriptor(fd)) {
            if (fd >= 0)
                ::close(fd);
            outside->abort();
            outside->deleteLater();
            inside->deleteLater();
            continue;
        }
        outside->setParent(this);
        const auto pipe = [](QTcpSocket *from, QTcpSocket *to) {
            connect(from, &QTcpSocket::readyRead, to, [from, to] {
                if (to->state() == QAbstractSocket::ConnectedState)
                    to->write(from->readAll());
            });
            connect(from, &QTcpSocket::disconnected, to, [to] { to->disconnectFromHost(); });
        };
        inside->write(outside->readAll()); // what came before the inside was connected
        pipe(outside, inside);
        pipe(inside, outside);
        connect(inside, &QTcpSocket::errorOccurred, outside, [outside] { outside->abort(); });
        for (QTcpSocket *socket : { inside, outside })
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
}

} // namespace vivarium
