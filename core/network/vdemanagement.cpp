#include "core/network/vdemanagement.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QThread>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace vivarium {

namespace {

constexpr int commandTimeoutMs = 5000;

} // namespace

VdeManagement::~VdeManagement()
{
    close();
}

void VdeManagement::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

bool VdeManagement::open(const QString &path, int timeoutMs, QString *error)
{
    close();
    m_path = path;
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray bytes = QFile::encodeName(path);
    if (bytes.size() >= qsizetype(sizeof address.sun_path)) {
        *error = QStringLiteral("socket path %1 is too long").arg(path);
        return false;
    }
    std::memcpy(address.sun_path, bytes.constData(), bytes.size());
    QDeadlineTimer deadline(timeoutMs);
    while (true) {
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0)
            break;
        const int reason = errno;
        close();
        if (deadline.hasExpired() || (reason != ENOENT && reason != ECONNREFUSED)) {
            *error = QStringLiteral("nothing answers on %1: %2")
                         .arg(path, QString::fromLocal8Bit(std::strerror(reason)));
            return false;
        }
        QThread::msleep(5);
    }
    QByteArray banner;
    return readPrompt(&banner, int(qMax<qint64>(deadline.remainingTime(), 500)), error);
}

bool VdeManagement::readPrompt(QByteArray *reply, int timeoutMs, QString *error)
{
    QDeadlineTimer deadline(timeoutMs);
    char buffer[4096];
    while (!reply->endsWith("$ ")) {
        pollfd ready { m_fd, POLLIN, 0 };
        const int waited = ::poll(&ready, 1, int(deadline.remainingTime()));
        const ssize_t n = waited == 1 ? ::recv(m_fd, buffer, sizeof buffer, 0) : -1;
        if (n <= 0) {
            *error = waited == 0
                ? QStringLiteral("%1 did not answer within %2 ms").arg(m_path).arg(timeoutMs)
                : QStringLiteral("%1 closed the connection").arg(m_path);
            close();
            return false;
        }
        reply->append(buffer, n);
    }
    return true;
}

bool VdeManagement::command(const QString &line, QString *output, QString *error)
{
    if (m_fd < 0) {
        *error = QStringLiteral("%1 is not connected").arg(m_path);
        return false;
    }
    const QByteArray request = line.toUtf8() + '\n';
    if (::send(m_fd, request.constData(), request.size(), MSG_NOSIGNAL) != request.size()) {
        *error = QStringLiteral("%1 closed the connection").arg(m_path);
        close();
        return false;
    }
    QByteArray reply;
    if (!readPrompt(&reply, commandTimeoutMs, error))
        return false;
    const VdeReply answer = parseVdeReply(reply);
    if (output)
        *output = answer.data;
    if (!answer.ok) {
        *error
            = QStringLiteral("'%1' failed: %2")
                  .arg(line, answer.status.isEmpty() ? QStringLiteral("no answer") : answer.status);
        return false;
    }
    return true;
}

VdeReply parseVdeReply(const QByteArray &reply)
{
    // The status is the last line that starts with four digits; data lines come before it.
    const QList<QByteArray> lines = reply.split('\n');
    QByteArray status;
    QByteArrayList data;
    bool inData = false;
    for (const QByteArray &l : lines) {
        if (l.startsWith("0000 DATA")) {
            inData = true;
        } else if (inData && l == ".") {
            inData = false;
        } else if (inData) {
            data.append(l);
        } else if (l.size() >= 5 && l.left(4).toInt() >= 1000) {
            status = l;
        }
    }
    return { status.startsWith("1000 "), QString::fromUtf8(status.trimmed()),
        QString::fromUtf8(data.join('\n')) };
}

} // namespace vivarium
