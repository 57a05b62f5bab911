#pragma once

#include <QByteArray>
#include <QString>

namespace vivarium {

// One answer of a management socket, up to its prompt: whether it was "1000 Success", the
// status line, and the data lines between "0000 DATA END WITH '.'" and ".".
struct VdeReply {
    bool ok = false;
    QString status;
    QString data;
};
VdeReply parseVdeReply(const QByteArray &reply);

// A session on the management socket of vde_switch or wirefilter (--mgmt): a banner, a prompt
// ("vde$ ", "VDEwf$ "), then one command at a time answered by "<code> <text>", 1000 meaning
// success, after optional "0000 DATA END WITH '.'" lines. Blocking, with deadlines: the
// socket is local and the programs answer at once.
class VdeManagement {
public:
    VdeManagement() = default;
    ~VdeManagement();
    VdeManagement(const VdeManagement &) = delete;
    VdeManagement &operator=(const VdeManagement &) = delete;

    // Connects and reads up to the first prompt; retries while the socket does not exist yet.
    bool open(const QString &path, int timeoutMs, QString *error);
    void close();
    bool isOpen() const { return m_fd >= 0; }
    // Runs one command; returns false with the program's answer (or the failure) in error.
    bool command(const QString &line, QString *output, QString *error);

private:
    bool readPrompt(QByteArray *reply, int timeoutMs, QString *error);

    int m_fd = -1;
    QString m_path;
};

} // namespace vivarium
