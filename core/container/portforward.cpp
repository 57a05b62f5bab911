#include "core/container/portforward.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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
    {
        // Ends every connection: each relay sees its sockets end and returns.
        std::lock_guard lock(m_mutex);
        for (int fd : m_open)
            ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread &relay : m_relays)
        relay.join();
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

namespace {

// Copies what one side sends to the other until both have ended their streams.
void relay(int a, int b)
{
    pollfd fds[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
    char buffer[65536];
    int open = 2;
    while (open > 0 && ::poll(fds, 2, -1) > 0) {
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            const int to = i == 0 ? b : a;
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0) {
                ::shutdown(to, SHUT_WR); // its end of stream, passed on
                fds[i].fd = -1;
                --open;
                continue;
            }
            for (ssize_t sent = 0; sent < n;) {
                const ssize_t w = ::send(to, buffer + sent, size_t(n - sent), MSG_NOSIGNAL);
                if (w <= 0) {
                    open = 0;
                    break;
                }
                sent += w;
            }
        }
    }
}

} // namespace

void PortForward::onConnection()
{
    while (QTcpSocket *outside = m_server->nextPendingConnection()) {
        const int host = ::dup(int(outside->socketDescriptor()));
        outside->abort();
        outside->deleteLater();
        const int guest = socketInContainer();
        if (host < 0 || guest < 0) {
            for (int fd : { host, guest }) {
                if (fd >= 0)
                    ::close(fd);
            }
            continue;
        }
        ::fcntl(host, F_SETFL, ::fcntl(host, F_GETFL) & ~O_NONBLOCK);
        std::lock_guard lock(m_mutex);
        m_open.push_back(host);
        m_open.push_back(guest);
        m_relays.emplace_back([this, host, guest] {
            relay(host, guest);
            std::lock_guard lock(m_mutex);
            std::erase(m_open, host);
            std::erase(m_open, guest);
            ::close(host);
            ::close(guest);
        });
    }
}

} // namespace vivarium
