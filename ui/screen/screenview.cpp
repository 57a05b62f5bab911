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

void ScreenView::setNotice(const QString &notice)
{
    m_notice = notice;
    update();
}

void ScreenView::clearSelection()
{
    m_selection = {};
    update();
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
    if (!m_notice.isEmpty()) {
        painter.fillRect(rect(), QColor(0x20, 0x20, 0x20, 190));
        painter.setPen(QColor(0xf0, 0xf0, 0xf0));
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_notice);
        return;
    }
    if (!m_selection.isNull()) {
        // The rectangle being dragged, in the guest's pixels mapped onto the widget.
        const QRectF t = target();
        const double sx = t.width() / m_image.width(), sy = t.height() / m_image.height();
        painter.setPen(QPen(QColor(255, 140, 0), 2, Qt::DashLine));
        painter.drawRect(QRectF(t.left() + m_selection.x() * sx, t.top() + m_selection.y() * sy,
            m_selection.width() * sx, m_selection.height() * sy));
    }
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

QPoint ScreenView::screenPoint(const QPointF &position) const
{
    const QRectF t = target();
    if (t.isEmpty() || m_image.isNull())
        return {};
    const QPointF p = position - t.topLeft();
    return { qBound(0, int(p.x() * m_image.width() / t.width()), m_image.width() - 1),
        qBound(0, int(p.y() * m_image.height() / t.height()), m_image.height() - 1) };
}

void ScreenView::sendPointer(QMouseEvent *event)
{
    if (!m_client || target().isEmpty())
        return;
    const QPoint at = screenPoint(event->position());
    const int x = at.x();
    const int y = at.y();
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
    m_pressedAt = screenPoint(event->position());
    m_pressedButton = event->button();
    m_selecting = (event->modifiers() & Qt::ControlModifier) && event->button() == Qt::LeftButton
        && !m_image.isNull();
    if (m_selecting) {
        m_selection = QRect(m_pressedAt, QSize(1, 1));
        update();
        return;
    }
    sendPointer(event);
}

void ScreenView::mouseReleaseEvent(QMouseEvent *event)
{
    const QPoint at = screenPoint(event->position());
    if (m_selecting) {
        m_selecting = false;
        const QRect region = QRect(m_pressedAt, at).normalized();
        const bool big = region.width() >= 4 && region.height() >= 4;
        m_selection = big ? region : QRect(); // shown while the user chooses what to do
        update();
        if (big)
            emit regionSelected(region);
        return;
    }
    sendPointer(event);
    if ((at - m_pressedAt).manhattanLength() <= 3 && event->button() == m_pressedButton) {
        const QString button = m_pressedButton == Qt::RightButton ? QStringLiteral("right")
            : m_pressedButton == Qt::MiddleButton                 ? QStringLiteral("middle")
                                                                  : QStringLiteral("left");
        emit clicked(at.x(), at.y(), button);
    }
}

void ScreenView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_selecting) {
        m_selection = QRect(m_pressedAt, screenPoint(event->position())).normalized();
        update();
        return;
    }
    sendPointer(event);
}

} // namespace vivarium
