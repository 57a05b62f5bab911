#include "ui/screen/screenview.h"

#include "ui/screen/keysyms.h"
#include "ui/screen/vncclient.h"

#include <QKeyEvent>
#include <QPainter>

namespace vivarium {

ScreenView::ScreenView(bool graphics, const QString &vncSocket, QWidget *parent)
    : QWidget(parent)
    , m_graphics(graphics)
{
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    if (!graphics || vncSocket.isEmpty())
        return;
    m_thread.setObjectName(QStringLiteral("vivarium-vnc"));
    m_client = new VncClient(vncSocket);
    m_client->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_client, &QObject::deleteLater);
    connect(m_client, &VncClient::frame, this, [this](const QImage &image, const QRect &changed) {
        const bool resized = image.size() != m_image.size();
        m_image = image;
        if (resized)
            updateMinimumSize();
        if (resized || m_scaled)
            update();
        else
            update(changed.translated(target().topLeft().toPoint()));
    });
    connect(m_client, &VncClient::connectedChanged, this, [this](bool connected) {
        m_connected = connected;
        update();
    });
    m_thread.start();
    QMetaObject::invokeMethod(m_client, &VncClient::start, Qt::QueuedConnection);
}

ScreenView::~ScreenView()
{
    m_thread.quit();
    m_thread.wait();
}

void ScreenView::showPolledImage(const QImage &image)
{
    m_polling = true;
    const bool resized = image.size() != m_image.size();
    m_image = image;
    if (resized)
        updateMinimumSize();
    update();
}

void ScreenView::setScaled(bool scaled)
{
    m_scaled = scaled;
    updateMinimumSize();
    update();
}

void ScreenView::updateMinimumSize()
{
    // 1:1: the screen's own size, so the scroll area around it scrolls.
    setMinimumSize(m_scaled || m_image.isNull() ? QSize(0, 0) : m_image.size());
}

bool ScreenView::event(QEvent *event)
{
    if (event->type() == QEvent::ShortcutOverride) {
        event->accept(); // every key is the guest's while the Screen has the focus
        return true;
    }
    return QWidget::event(event);
}

QRectF ScreenView::target() const
{
    if (m_image.isNull())
        return {};
    QSizeF size = m_image.size();
    if (m_scaled)
        size.scale(QSizeF(this->size()), Qt::KeepAspectRatio);
    return QRectF(
        QPointF(qMax(0.0, (width() - size.width()) / 2), qMax(0.0, (height() - size.height()) / 2)),
        size);
}

void ScreenView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), QColor(0x20, 0x20, 0x20));
    if (m_image.isNull()) {
        painter.setPen(QColor(0xc0, 0xc0, 0xc0));
        painter.drawText(rect(), Qt::AlignCenter,
            !m_graphics ? tr("This machine has no screen (set graphics = true in the test file).")
                        : tr("Waiting for the machine's screen…"));
        return;
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, m_scaled);
    painter.drawImage(target(), m_image);
}

void ScreenView::sendKey(QKeyEvent *event, bool down)
{
    const quint32 keysym = keysymFor(event->key(), event->text());
    if (keysym == 0 || (!m_client && !m_polling))
        return;
    if (m_client)
        QMetaObject::invokeMethod(
            m_client, [client = m_client, keysym, down] { client->sendKey(keysym, down); });
    if (down)
        emit keyTyped(keysym, event->text(), event->key(), event->modifiers());
}

void ScreenView::keyPressEvent(QKeyEvent *event)
{
    sendKey(event, true);
}

void ScreenView::keyReleaseEvent(QKeyEvent *event)
{
    sendKey(event, false);
}

bool ScreenView::focusNextPrevChild(bool)
{
    return false; // Tab goes to the machine
}

void ScreenView::sendPointer(QMouseEvent *event)
{
    const QRectF t = target();
    if (!m_client || t.isEmpty())
        return;
    const QPointF p = (event->position() - t.topLeft());
    const int x = qBound(0, int(p.x() * m_image.width() / t.width()), m_image.width() - 1);
    const int y = qBound(0, int(p.y() * m_image.height() / t.height()), m_image.height() - 1);
    int buttons = 0;
    if (event->buttons() & Qt::LeftButton)
        buttons |= 1;
    if (event->buttons() & Qt::MiddleButton)
        buttons |= 2;
    if (event->buttons() & Qt::RightButton)
        buttons |= 4;
    QMetaObject::invokeMethod(
        m_client, [client = m_client, x, y, buttons] { client->sendPointer(x, y, buttons); });
}

void ScreenView::mousePressEvent(QMouseEvent *event)
{
    setFocus();
    sendPointer(event);
}

void ScreenView::mouseReleaseEvent(QMouseEvent *event)
{
    sendPointer(event);
}

void ScreenView::mouseMoveEvent(QMouseEvent *event)
{
    sendPointer(event);
}

} // namespace vivarium
