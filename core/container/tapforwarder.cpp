#include "core/container/tapforwarder.h"

#include <QSocketNotifier>
#include <cerrno>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vivarium {

TapForwarder::TapForwarder(int tap, std::unique_ptr<VdePort> port, QObject *parent)
    : QObject(parent)
    , m_tap(tap)
    , m_port(std::move(port))
{
    ::fcntl(m_tap, F_SETFL, ::fcntl(m_tap, F_GETFL) | O_NONBLOCK);
    const int data = m_port->dataSocket();
    ::fcntl(data, F_SETFL, ::fcntl(data, F_GETFL) | O_NONBLOCK);
    m_fromTap = new QSocketNotifier(m_tap, QSocketNotifier::Read, this);
    m_fromSwitch = new QSocketNotifier(data, QSocketNotifier::Read, this);
    connect(m_fromTap, &QSocketNotifier::activated, this, [this] { forward(m_tap, -1); });
    connect(m_fromSwitch, &QSocketNotifier::activated, this,
        [this] { forward(m_port->dataSocket(), m_tap); });
}

TapForwarder::~TapForwarder()
{
    delete m_fromTap;
    delete m_fromSwitch;
    if (m_tap >= 0)
        ::close(m_tap);
}

void TapForwarder::setLinkUp(bool up)
{
    m_up = up;
    // The carrier as the container's kernel sees it; frames are dropped here either way.
    int carrier = up ? 1 : 0;
    ::ioctl(m_tap, TUNSETCARRIER, &carrier);
}

void TapForwarder::forward(int from, int to)
{
    // A frame per read; a burst is drained up to a bound so the other NICs get their turn.
    char frame[65536];
    for (int n = 0; n < 64; ++n) {
        const ssize_t size = ::read(from, frame, sizeof frame);
        if (size <= 0)
            return;
        if (!m_up)
            continue;
        // As a switch port does, a frame that finds the other side full is dropped.
        if (to < 0)
            ::send(m_port->dataSocket(), frame, size_t(size), MSG_DONTWAIT | MSG_NOSIGNAL);
        else
            (void)::write(to, frame, size_t(size));
    }
}

} // namespace vivarium
