// The machine's mouse: a usb/virtio tablet driven by QMP's absolute pointer events.
#include "core/machine/machine.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QPainter>
#include <QThread>
#include <cmath>

namespace vivarium {

namespace {

// Whether two screens are the same outside the pointer's neighbourhood: the pointer is drawn into
// the screen (no hardware cursor on the bochs device), and its own moves are not what a click
// waits for.
bool sameOutside(const QImage &a, const QImage &b, const QPoint &pointer)
{
    if (a.size() != b.size())
        return false;
    const QRect box(pointer - QPoint(40, 40), QSize(80, 80));
    QImage left = a.convertToFormat(QImage::Format_RGB32);
    QImage right = b.convertToFormat(QImage::Format_RGB32);
    for (QImage *image : { &left, &right }) {
        QPainter painter(image);
        painter.fillRect(box, Qt::black);
    }
    return left == right;
}

} // namespace

void Machine::clickAt(int x, int y, const QString &button)
{
    // A click is over when the guest has drawn what it did: a window manager gives the focus
    // (and redraws the frames) some time after the button, and keys typed before that go to the
    // window that had the focus. So: the screen still after the pointer moved, the button, then
    // a change outside the pointer (up to 1.5 s: a click may change nothing) and the screen
    // still again (up to 3 s in all).
    const auto settle = [&](QImage frame, int stillMs, int capMs) {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < capMs) {
            QThread::msleep(stillMs);
            const QImage next = grabScreen();
            if (sameOutside(frame, next, QPoint(x, y)))
                return next;
            frame = next;
        }
        return frame;
    };
    pointerTo(x, y);
    const QImage before = settle(grabScreen(), 100, 1000);
    pressButton(button);
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 1500) {
        QThread::msleep(50);
        const QImage after = grabScreen();
        if (!sameOutside(before, after, QPoint(x, y))) {
            settle(after, 150, 3000 - int(clock.elapsed()));
            return;
        }
    }
}

void Machine::pointerTo(int x, int y)
{
    const QSize size = requireScreen("for the mouse").size();
    if (x < 0 || y < 0 || x >= size.width() || y >= size.height())
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: (%2, %3) is not on the %4x%5 screen")
                .arg(m_spec.name)
                .arg(x)
                .arg(y)
                .arg(size.width())
                .arg(size.height()));
    // The tablet's axes run 0..0x7fff over the screen, as QEMU's own VNC server scales them.
    const auto axis = [](const char *name, int value, int extent) {
        return QJsonObject { { QStringLiteral("type"), QStringLiteral("abs") },
            { QStringLiteral("data"),
                QJsonObject { { QStringLiteral("axis"), QLatin1String(name) },
                    { QStringLiteral("value"),
                        extent > 1 ? int(std::lround(value * 32767.0 / (extent - 1))) : 0 } } } };
    };
    qmp(QStringLiteral("input-send-event"),
        { { QStringLiteral("events"),
            QJsonArray { axis("x", x, size.width()), axis("y", y, size.height()) } } });
}

void Machine::mouseMove(int x, int y)
{
    action(QStringLiteral("mouse_move"), { { QStringLiteral("x"), x }, { QStringLiteral("y"), y } },
        [&] { pointerTo(x, y); });
}

void Machine::pressButton(const QString &button)
{
    static const QStringList buttons { QStringLiteral("left"), QStringLiteral("middle"),
        QStringLiteral("right"), QStringLiteral("wheel-up"), QStringLiteral("wheel-down") };
    if (!buttons.contains(button))
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: there is no mouse button \"%2\" (%3)")
                .arg(m_spec.name, button, buttons.join(QStringLiteral(", "))));
    // Down and up in two events: in one report the guest could see neither.
    for (const bool down : { true, false }) {
        qmp(QStringLiteral("input-send-event"),
            { { QStringLiteral("events"),
                QJsonArray { QJsonObject { { QStringLiteral("type"), QStringLiteral("btn") },
                    { QStringLiteral("data"),
                        QJsonObject { { QStringLiteral("down"), down },
                            { QStringLiteral("button"), button } } } } } } });
        QThread::msleep(30);
    }
}

void Machine::mouseClick(int x, int y, const QString &button)
{
    action(QStringLiteral("mouse_click"),
        { { QStringLiteral("x"), x }, { QStringLiteral("y"), y },
            { QStringLiteral("button"), button } },
        [&] { clickAt(x, y, button); });
}

} // namespace vivarium
