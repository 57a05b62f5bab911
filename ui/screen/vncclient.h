#pragma once

#include <QImage>
#include <QObject>
#include <QRect>

class QSocketNotifier;
class QTimer;
typedef struct _rfbClient rfbClient;

namespace vivarium {

// A VNC connection to one machine's screen (QEMU's -vnc on a Unix socket), over libvncclient.
// Lives on a thread of its own: it reads updates into its framebuffer and hands the GUI a copy
// with the changed rectangle, at most 30 times a second. Input is sent from that thread too.
class VncClient : public QObject {
    Q_OBJECT

public:
    explicit VncClient(QString socketPath, QObject *parent = nullptr);
    ~VncClient() override;

    // Call on the client's thread (queued): connects, retrying while the socket is missing.
    void start();
    void sendKey(quint32 keysym, bool down);
    void sendPointer(int x, int y, int buttons);

signals:
    void frame(const QImage &image, const QRect &changed);
    void connectedChanged(bool connected);

private:
    void tryConnect();
    void readMessages();
    void disconnectClient();
    void emitFrame();
    friend struct VncCallbacks;

    QString m_socketPath;
    rfbClient *m_client = nullptr;
    QSocketNotifier *m_notifier = nullptr;
    QTimer *m_retry = nullptr;
    QTimer *m_throttle = nullptr;
    QByteArray m_buffer; // the client's framebuffer
    QImage m_image; // wraps it
    QRect m_damage;
};

} // namespace vivarium
