#include "ui/screen/vncclient.h"

#include <QDebug>
#include <QFileInfo>
#include <QSocketNotifier>
#include <QTimer>
#include <cstdarg>
#include <rfb/rfbclient.h>

namespace vivarium {

namespace {

int tagKey; // the address is the tag of our client data

constexpr int frameIntervalMs = 33; // at most 30 frames a second
constexpr int retryIntervalMs = 1000;

} // namespace

struct VncCallbacks {
    static void quiet(const char *, ...) { }

    static void error(const char *format, ...)
    {
        va_list arguments;
        va_start(arguments, format);
        qWarning().noquote() << QString::vasprintf(format, arguments).trimmed();
        va_end(arguments);
    }

    static VncClient *self(rfbClient *client)
    {
        return static_cast<VncClient *>(rfbClientGetClientData(client, &tagKey));
    }

    static rfbBool resize(rfbClient *client)
    {
        VncClient *s = self(client);
        // The framebuffer is ours (a QByteArray), whatever libvncclient frees.
        s->m_buffer = QByteArray(qsizetype(client->width) * client->height * 4, '\0');
        client->frameBuffer = reinterpret_cast<uint8_t *>(s->m_buffer.data());
        // 32 bits a pixel, red in the low byte: what QImage calls RGBX8888.
        client->format.bitsPerPixel = 32;
        client->format.depth = 24;
        client->format.redShift = 0;
        client->format.greenShift = 8;
        client->format.blueShift = 16;
        client->format.redMax = client->format.greenMax = client->format.blueMax = 255;
        SetFormatAndEncodings(client);
        s->m_image = QImage(client->frameBuffer, client->width, client->height, client->width * 4,
            QImage::Format_RGBX8888);
        s->m_damage = s->m_image.rect();
        return TRUE;
    }

    static void update(rfbClient *client, int x, int y, int w, int h)
    {
        VncClient *s = self(client);
        const QRect r(x, y, w, h);
        s->m_damage = s->m_damage.isNull() ? r : s->m_damage.united(r);
        if (!s->m_throttle->isActive())
            s->m_throttle->start();
    }
};

VncClient::VncClient(QString socketPath, QObject *parent)
    : QObject(parent)
    , m_socketPath(std::move(socketPath))
{
}

VncClient::~VncClient()
{
    disconnectClient();
}

void VncClient::start()
{
    // libvncclient's chatter (protocol versions, pixel formats) is not for the user; its
    // errors go to Qt's log.
    rfbClientLog = VncCallbacks::quiet;
    rfbClientErr = VncCallbacks::error;
    m_retry = new QTimer(this);
    m_retry->setInterval(retryIntervalMs);
    connect(m_retry, &QTimer::timeout, this, &VncClient::tryConnect);
    m_throttle = new QTimer(this);
    m_throttle->setSingleShot(true);
    m_throttle->setInterval(frameIntervalMs);
    connect(m_throttle, &QTimer::timeout, this, &VncClient::emitFrame);
    m_retry->start();
    tryConnect();
}

void VncClient::tryConnect()
{
    if (m_client || !QFileInfo::exists(m_socketPath))
        return;
    rfbClient *client = rfbGetClient(8, 3, 4);
    rfbClientSetClientData(client, &tagKey, this);
    client->MallocFrameBuffer = VncCallbacks::resize;
    client->GotFrameBufferUpdate = VncCallbacks::update;
    client->canHandleNewFBSize = TRUE;
    // A Unix socket on this host: raw pixels cost QEMU nothing to encode, where tight or zlib
    // would take CPU from the guests.
    client->appData.encodingsString = "raw";
    client->serverHost = strdup(m_socketPath.toLocal8Bit().constData());
    client->serverPort = 0;
    client->connectTimeout = 2;
    int argc = 0;
    if (!rfbInitClient(client, &argc, nullptr)) // frees the client when it fails
        return;
    m_client = client;
    m_notifier = new QSocketNotifier(client->sock, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &VncClient::readMessages);
    emit connectedChanged(true);
}

void VncClient::readMessages()
{
    while (m_client && WaitForMessage(m_client, 0) > 0) {
        if (!HandleRFBServerMessage(m_client)) {
            disconnectClient();
            return;
        }
    }
}

void VncClient::emitFrame()
{
    if (m_image.isNull() || m_damage.isNull())
        return;
    emit frame(m_image.copy(), m_damage);
    m_damage = {};
}

void VncClient::disconnectClient()
{
    if (!m_client)
        return;
    delete m_notifier;
    m_notifier = nullptr;
    m_image = QImage();
    m_client->frameBuffer = nullptr; // ours
    rfbClientCleanup(m_client);
    m_client = nullptr;
    emit connectedChanged(false);
}

void VncClient::sendKey(quint32 keysym, bool down)
{
    if (m_client)
        SendKeyEvent(m_client, keysym, down ? TRUE : FALSE);
}

void VncClient::sendPointer(int x, int y, int buttons)
{
    if (m_client)
        SendPointerEvent(m_client, x, y, buttons);
}

} // namespace vivarium
