#pragma once

#include "ui/terminal/terminalsurface.h"

#include <QAbstractScrollArea>
#include <QRegion>
#include <QTimer>

namespace vivarium {

// Draws a TerminalSurface: merges the surface's damage and repaints at most every 16 ms (a
// burst of output never floods the event loop), follows new output unless scrolled back,
// selects with the mouse and copies (Ctrl+Shift+C), pastes (Ctrl+Shift+V), finds
// (findNext), zooms (Ctrl++ / Ctrl+-). Keys typed go to the surface, whose output the owner
// sends to the machine.
class TerminalView : public QAbstractScrollArea {
    Q_OBJECT

public:
    explicit TerminalView(TerminalSurface *surface, QWidget *parent = nullptr);

    TerminalSurface *surface() const { return m_surface; }
    QString selectedText() const;
    // Selects the next match of text after the selection (or from the top); false if none.
    bool findNext(const QString &text);
    void zoom(int steps);
    // Resize the surface to the widget (a shell on a real tty), or keep its size (serial).
    void setFollowsWidgetSize(bool follows) { m_followsSize = follows; }

signals:
    // The terminal's size in cells changed with the widget (for a tty's TIOCSWINSZ).
    void sizeChanged(int rows, int cols);
    // Text the user selected (the recorder turns serial selections into waits).
    void textSelected(const QString &text);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    bool focusNextPrevChild(bool next) override; // Tab goes to the guest
    void scrollContentsBy(int dx, int dy) override;

private:
    void onDamaged(const QRect &cells);
    void updateScrollBar();
    QPoint cellAt(const QPoint &pixel) const;
    QRect pixelsOf(const QRect &cells) const;
    int firstVisibleLine() const;
    bool isSelected(int line, int col) const;

    TerminalSurface *m_surface;
    QFont m_font;
    QSize m_cellSize;
    QRegion m_pending; // damage not drawn yet, in cells
    QTimer m_repaint;
    bool m_followsSize = false;
    bool m_followOutput = true;
    QPoint m_selectionStart { -1, -1 };
    QPoint m_selectionEnd { -1, -1 };
};

} // namespace vivarium
