#include "core/network/vdeport.h"

#include <QFile>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace vivarium {

namespace {

// The request of the VDE 2 switch protocol, version 3.
constexpr quint32 switchMagic = 0xfeedface;
constexpr quint32 switchVersion = 3;
constexpr quint32 requestNewControl = 0;

struct Request {
    quint32 magic;
    quint32 version;
    quint32 type;
    sockaddr_un sock;
    char description[256];
};

bool unixAddress(const QString &path, sockaddr_un *address, QString *error)
{
    const QByteArray bytes = QFile::encodeName(path);
    std::memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    if (bytes.size() >= qsizetype(sizeof address->sun_path)) {
        *error = QStringLiteral("socket path %1 is longer than %2 bytes (set VIVARIUM_RUN_DIR to "
                                "a shorter directory)")
                     .arg(path)
                     .arg(sizeof address->sun_path - 1);
        return false;
    }
    std::memcpy(address->sun_path, bytes.constData(), bytes.size());
    return true;
}

QString systemError(const QString &what)
{
    return what + QStringLiteral(": ") + QString::fromLocal8Bit(std::strerror(errno));
}

} // namespace

VdePort::~VdePort()
{
    close();
}

bool VdePort::open(
    const QString &switchDir, const QString &localPath, const QString &description, QString *error)
{
    close();
    const QString controlPath = switchDir + QStringLiteral("/ctl");
    sockaddr_un control {};
    sockaddr_un local {};
    if (!unixAddress(controlPath, &control, error) || !unixAddress(localPath, &local, error))
        return false;

    m_control = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    m_data = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (m_control < 0 || m_data < 0) {
        *error = systemError(QStringLiteral("cannot create a socket"));
        close();
        return false;
    }
    if (::connect(m_control, reinterpret_cast<sockaddr *>(&control), sizeof control) < 0) {
        *error = systemError(QStringLiteral("cannot reach the switch at %1").arg(controlPath));
        close();
        return false;
    }
    ::unlink(local.sun_path);
    if (::bind(m_data, reinterpret_cast<sockaddr *>(&local), sizeof local) < 0) {
        *error = systemError(QStringLiteral("cannot bind %1").arg(localPath));
        close();
        return false;
    }
    m_localPath = localPath;

    Request request {};
    request.magic = switchMagic;
    request.version = switchVersion;
    request.type = requestNewControl;
    request.sock = local;
    const QByteArray text = description.toUtf8().left(sizeof request.description - 1);
    std::memcpy(request.description, text.constData(), text.size());
    const auto size = sizeof request - sizeof request.description + text.size() + 1;
    if (::send(m_control, &request, size, MSG_NOSIGNAL) != ssize_t(size)) {
        *error = systemError(QStringLiteral("cannot send a request to %1").arg(controlPath));
        close();
        return false;
    }
    pollfd ready { m_control, POLLIN, 0 };
    sockaddr_un remote {};
    if (::poll(&ready, 1, 5000) != 1
        || ::recv(m_control, &remote, sizeof remote, 0) != ssize_t(sizeof remote)) {
        *error = QStringLiteral("the switch at %1 refused a new port (is it full?)").arg(switchDir);
        close();
        return false;
    }
    if (::connect(m_data, reinterpret_cast<sockaddr *>(&remote), sizeof remote) < 0) {
        *error = systemError(QStringLiteral("cannot reach the data socket of %1").arg(switchDir));
        close();
        return false;
    }
    return true;
}

void VdePort::releaseDataSocket()
{
    if (m_data >= 0)
        ::close(m_data);
    m_data = -1;
}

void VdePort::close()
{
    releaseDataSocket();
    if (m_control >= 0)
        ::close(m_control);
    m_control = -1;
    if (!m_localPath.isEmpty())
        QFile::remove(m_localPath);
    m_localPath.clear();
}

} // namespace vivarium
