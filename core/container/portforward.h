#pragma once

#include <QObject>
#include <mutex>
#include <thread>
#include <vector>

class QTcpServer;

namespace vivarium {

// forward_port for a container: a port on the host's loopback address whose connections go to
// a port of the container's own loopback (inside its network namespace, which the socket to it
// is made in), bytes copied both ways by a thread per connection, each side's end of stream
// passed on as a half-close. A VM gets the same from QEMU's user network.
class PortForward : public QObject {
    Q_OBJECT

public:
    // netns: a descriptor of the container's network namespace (/proc/PID/ns/net), ours.
    PortForward(int netns, int guestPort, QObject *parent = nullptr);
    ~PortForward() override;

    // Listens on 127.0.0.1:hostPort; false with the reason when it cannot.
    bool listen(int hostPort, QString *error);

private:
    void onConnection();
    // A socket made in the container's network namespace, connecting to guestPort; -1 on error.
    int socketInContainer() const;

    int m_netns = -1;
    int m_guestPort = 0;
    QTcpServer *m_server = nullptr;
    std::mutex m_mutex;
    std::vector<int> m_open; // both sockets of every connection, until its thread ends
    std::vector<std::thread> m_relays;
};

} // namespace vivarium
