#pragma once

#include <QString>

namespace vivarium {

// One port of a running vde_switch, joined the way libvdeplug does it: a request on the switch's
// control socket names our datagram socket, the switch answers with its own, and from then on
// every Ethernet frame is one datagram. The port lives while this object (the control
// connection) does. Everything here is local and quick, so the calls block.
class VdePort {
public:
    VdePort() = default;
    ~VdePort();
    VdePort(const VdePort &) = delete;
    VdePort &operator=(const VdePort &) = delete;

    // switchDir: the switch's --sock directory; localPath: where our datagram socket is bound
    // (replaced if it exists). Returns false and sets error when the switch does not answer.
    bool open(const QString &switchDir, const QString &localPath, const QString &description,
        QString *error);
    void close();
    bool isOpen() const { return m_control >= 0; }
    // The datagram socket, connected to the switch: send() a frame, recv() one.
    int dataSocket() const { return m_data; }
    // Closes our copy of the data socket once another process (QEMU) holds it.
    void releaseDataSocket();

private:
    int m_control = -1;
    int m_data = -1;
    QString m_localPath;
};

} // namespace vivarium
