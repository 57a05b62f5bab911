#pragma once

#include <QImage>
#include <QThread>
#include <QWidget>

namespace vivarium {

class VncClient;

// A machine's live screen over VNC, scaled to fit or 1:1 (at its own size, inside a scroll
// area), taking keyboard and mouse input (every key, the window's shortcuts included). The
// VNC client runs on its own thread; frames arrive as images with the changed rectangle and
// only that part is repainted. Machines without graphics say so.
class ScreenView : public QWidget {
    Q_OBJECT

public:
    // graphics false: the machine has no screen. vncSocket empty: no VNC, the owner shows
    // polled screen dumps with showPolledImage().
    ScreenView(bool graphics, const QString &vncSocket, QWidget *parent = nullptr);
    ~ScreenView() override;

    void setScaled(bool scaled);
    bool isScaled() const { return m_scaled; }
    QImage image() const { return m_image; }
    bool isConnected() const { return m_connected; }
    // A screen dump, when VNC is off or does not answer (keys then go out as QMP key events,
    // the mouse is not sent).
    void showPolledImage(const QImage &image);
    // A machine that is not running: its last frame is shown dimmed, under this notice ("Machine
    // stopped at 10:16:17 — Start to boot it again"), never as if it were live. Empty: live.
    void setNotice(const QString &notice);
    QString notice() const { return m_notice; }
    bool isPolling() const { return m_polling; }
    // The rectangle dragged with Ctrl, in the guest's pixels (empty when none is shown).
    QRect selection() const { return m_selection; }
    void clearSelection();

signals:
    // A key the user typed, as an X keysym (the recorder turns these into send_chars/send_key).
    void keyTyped(quint32 keysym, const QString &text, int qtKey, Qt::KeyboardModifiers modifiers);
    // A click (press and release in one place) at x, y of the guest's screen: "left", "middle"
    // or "right". Sent to the guest as well.
    void clicked(int x, int y, const QString &button);
    // A rectangle of the guest's screen dragged with Ctrl held (not sent to the guest). It
    // stays drawn until clearSelection() (what is done with it is chosen meanwhile).
    void regionSelected(const QRect &region);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void keyReleaseEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    bool focusNextPrevChild(bool next) override;

private:
    QRectF target() const; // where the image is drawn
    void updateMinimumSize();
    void sendPointer(QMouseEvent *event);
    QPoint screenPoint(const QPointF &position) const; // in the guest's pixels
    void sendKey(QKeyEvent *event, bool down);

    QThread m_thread;
    VncClient *m_client = nullptr;
    QImage m_image;
    QString m_notice;
    bool m_scaled = true;
    bool m_connected = false;
    bool m_graphics = false;
    bool m_polling = false;
    QPoint m_pressedAt; // guest pixels, where the button went down
    Qt::MouseButton m_pressedButton = Qt::NoButton;
    bool m_selecting = false; // a Ctrl+drag: a rectangle, not the guest's
    QRect m_selection; // guest pixels
};

} // namespace vivarium
