#pragma once

#include "ui/terminal/terminalsurface.h"

#include <QAbstractScrollArea>
#include <QRegion>
#include <QTimer>

class QLabel;
class QMenu;

namespace vivarium {

// Draws a TerminalSurface: merges the surface's damage and repaints at most every 16 ms (a
// burst of output never floods the event loop), follows new output unless scrolled back,
// selects with the mouse (a double-click selects a word) and copies (Ctrl+Shift+C), pastes
// (Ctrl+Shift+V), finds (findNext), zooms (Ctrl++ / Ctrl+-); a right-click menu has Copy,
// Paste, Select All, Find and Clear Scrollback. With the focus, it takes every key, the
// window's shortcuts included (Ctrl+R is the shell's, not Record). Keys typed go to the
// surface, whose output the owner sends to the machine. A banner over the top says when the
// machine behind it is gone.
class TerminalView : public QAbstractScrollArea {
    Q_OBJECT

public:
    explicit TerminalView(TerminalSurface *surface, QWidget *parent = nullptr);

    TerminalSurface *surface() const { return m_surface; }
    QString selectedText() const;
    // Selects the next match of text after the selection (or from the top); false if none.
    bool findNext(const QString &text);
    void zoom(int steps);
    QSize cellSize() const { return m_cellSize; }
    void selectAll();
    // A notice over the terminal ("machine crashed at 10:16:17 — Start to boot it again");
    // empty hides it.
    void setBanner(const QString &text);
    QString banner() const;
    // The right-click menu (built each time: Copy is enabled only with a selection).
    QMenu *createContextMenu();
    // Resize the surface to the widget (a shell on a real tty), or keep its size (serial).
    void setFollowsWidgetSize(bool follows) { m_followsSize = follows; }

signals:
    // The terminal's size in cells changed with the widget (for a tty's TIOCSWINSZ).
    void sizeChanged(int rows, int cols);
    // Text the user selected (the recorder turns serial selections into waits).
    void textSelected(const QString &text);

protected:
    bool event(QEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
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
    QLabel *m_banner;
};

} // namespace vivarium
