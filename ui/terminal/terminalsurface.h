#pragma once

#include <QByteArray>
#include <QColor>
#include <QList>
#include <QObject>
#include <QPoint>
#include <QRect>

typedef struct VTerm VTerm;
typedef struct VTermScreen VTermScreen;

namespace vivarium {

// One character cell as the view draws it.
struct TerminalCell {
    char32_t ch = U' '; // 0 for the second half of a wide character
    QRgb fg = 0;
    QRgb bg = 0;
    quint8 attrs = 0; // TerminalCell::Bold | ...
    quint8 width = 1;
    enum Attr : quint8 { Bold = 1, Italic = 2, Underline = 4, Reverse = 8, Strike = 16 };
};

// A terminal screen over libvterm: bytes from a serial line or a shell go in, cells come out,
// with a scrollback of whole lines. Emits the rectangles of cells that changed (per feed, merged)
// rather than repainting; the view decides when to draw. Keys typed into the view come back as
// the bytes to send (output). Lines are numbered from the oldest scrollback line: 0 ..
// lineCount()-1, the screen being the last rows() of them.
class TerminalSurface : public QObject {
    Q_OBJECT

public:
    explicit TerminalSurface(int rows = 24, int cols = 80, QObject *parent = nullptr);
    ~TerminalSurface() override;

    void feed(const QByteArray &bytes);
    void resize(int rows, int cols);
    int rows() const { return m_rows; }
    int cols() const { return m_cols; }
    void setScrollbackLimit(int lines);
    int scrollbackLines() const { return int(m_scrollback.size()); }
    int lineCount() const { return scrollbackLines() + m_rows; }
    TerminalCell cell(int line, int col) const;
    QString lineText(int line) const; // without trailing blanks
    QString text(QPoint from, QPoint to) const; // (col, line) inclusive, lines joined by \n
    QPoint cursor() const; // (col, line) in line numbers
    bool cursorVisible() const { return m_cursorVisible; }
    QRgb defaultForeground() const { return m_defaultFg; }
    QRgb defaultBackground() const { return m_defaultBg; }

    // Typing: a key (Qt::Key) with modifiers and its text; emits output with what to send.
    void typeKey(int key, Qt::KeyboardModifiers modifiers, const QString &text);
    void paste(const QString &text);
    void clearScrollback();

signals:
    // Cells that changed, as a rectangle of (col, line) in line numbers.
    void damaged(const QRect &cells);
    // Lines moved into the scrollback (the screen scrolled).
    void scrolled(int lines);
    void output(const QByteArray &bytes);
    void titleChanged(const QString &title);
    void bell();
    // The shell said a command ended with this exit status (OSC 133;D;status, as the guest's
    // shells send it from PROMPT_COMMAND): what the recorder reads instead of guessing.
    void commandFinished(int status);

private:
    friend struct TerminalCallbacks; // libvterm's callbacks, in the .cpp

    void makeVterm();
    // A new width: the terminal is made again at it and the bytes it was fed are played into
    // it (quietly: no output, no title or status signals), so every line is laid out at the
    // width it is shown at. A console filled while its tab was hidden (a narrow size) kept
    // lines cut at that width.
    void replayHistory();
    static constexpr qsizetype historyBytes = 2 * 1024 * 1024;

    VTerm *m_vterm = nullptr;
    QByteArray m_history; // the last historyBytes fed, from a line start
    bool m_replaying = false;
    VTermScreen *m_screen = nullptr;
    int m_rows;
    int m_cols;
    int m_scrollbackLimit = 10000;
    QList<QList<TerminalCell>> m_scrollback; // oldest first, trailing blanks dropped
    QRect m_damage; // in screen coordinates, gathered during feed()
    int m_pushed = 0;
    QPoint m_cursor;
    bool m_cursorVisible = true;
    QRgb m_defaultFg;
    QRgb m_defaultBg;
};

} // namespace vivarium
