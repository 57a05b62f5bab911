#include "ui/terminal/terminalsurface.h"

#include <vterm.h>

namespace vivarium {

namespace {

QRgb toRgb(const VTermScreen *screen, VTermColor color)
{
    vterm_screen_convert_color_to_rgb(screen, &color);
    return qRgb(color.rgb.red, color.rgb.green, color.rgb.blue);
}

VTermModifier modifiersOf(Qt::KeyboardModifiers modifiers)
{
    int result = VTERM_MOD_NONE;
    if (modifiers & Qt::ShiftModifier)
        result |= VTERM_MOD_SHIFT;
    if (modifiers & Qt::AltModifier)
        result |= VTERM_MOD_ALT;
    if (modifiers & Qt::ControlModifier)
        result |= VTERM_MOD_CTRL;
    return VTermModifier(result);
}

VTermKey vtermKey(int key)
{
    switch (key) {
    case Qt::Key_Return:
    case Qt::Key_Enter:
        return VTERM_KEY_ENTER;
    case Qt::Key_Tab:
        return VTERM_KEY_TAB;
    case Qt::Key_Backspace:
        return VTERM_KEY_BACKSPACE;
    case Qt::Key_Escape:
        return VTERM_KEY_ESCAPE;
    case Qt::Key_Up:
        return VTERM_KEY_UP;
    case Qt::Key_Down:
        return VTERM_KEY_DOWN;
    case Qt::Key_Left:
        return VTERM_KEY_LEFT;
    case Qt::Key_Right:
        return VTERM_KEY_RIGHT;
    case Qt::Key_Insert:
        return VTERM_KEY_INS;
    case Qt::Key_Delete:
        return VTERM_KEY_DEL;
    case Qt::Key_Home:
        return VTERM_KEY_HOME;
    case Qt::Key_End:
        return VTERM_KEY_END;
    case Qt::Key_PageUp:
        return VTERM_KEY_PAGEUP;
    case Qt::Key_PageDown:
        return VTERM_KEY_PAGEDOWN;
    default:
        if (key >= Qt::Key_F1 && key <= Qt::Key_F12)
            return VTermKey(VTERM_KEY_FUNCTION(key - Qt::Key_F1 + 1));
        return VTERM_KEY_NONE;
    }
}

} // namespace

// libvterm calls back into the surface through these.
struct TerminalCallbacks {
    static TerminalSurface *self(void *user) { return static_cast<TerminalSurface *>(user); }

    static int damage(VTermRect rect, void *user)
    {
        TerminalSurface *s = self(user);
        const QRect r(rect.start_col, rect.start_row, rect.end_col - rect.start_col,
            rect.end_row - rect.start_row);
        s->m_damage = s->m_damage.isNull() ? r : s->m_damage.united(r);
        return 1;
    }

    static int moveCursor(VTermPos pos, VTermPos, int visible, void *user)
    {
        TerminalSurface *s = self(user);
        const QRect old(s->m_cursor, QSize(1, 1));
        s->m_cursor = QPoint(pos.col, pos.row);
        s->m_cursorVisible = visible != 0;
        s->m_damage = (s->m_damage.isNull() ? old : s->m_damage.united(old))
                          .united(QRect(s->m_cursor, QSize(1, 1)));
        return 1;
    }

    static TerminalCell convert(const TerminalSurface *s, const VTermScreenCell &c)
    {
        TerminalCell cell;
        // The right half of a wide character holds (uint32_t)-1.
        if (c.chars[0] == uint32_t(-1))
            cell.ch = 0;
        else
            cell.ch = c.chars[0] ? char32_t(c.chars[0]) : U' ';
        cell.width = quint8(qMax(0, int(c.width)));
        cell.fg = VTERM_COLOR_IS_DEFAULT_FG(&c.fg) ? s->m_defaultFg : toRgb(s->m_screen, c.fg);
        cell.bg = VTERM_COLOR_IS_DEFAULT_BG(&c.bg) ? s->m_defaultBg : toRgb(s->m_screen, c.bg);
        cell.attrs = quint8((c.attrs.bold ? TerminalCell::Bold : 0)
            | (c.attrs.italic ? TerminalCell::Italic : 0)
            | (c.attrs.underline ? TerminalCell::Underline : 0)
            | (c.attrs.reverse ? TerminalCell::Reverse : 0)
            | (c.attrs.strike ? TerminalCell::Strike : 0));
        return cell;
    }

    static int pushLine(int cols, const VTermScreenCell *cells, void *user)
    {
        TerminalSurface *s = self(user);
        QList<TerminalCell> line;
        line.reserve(cols);
        for (int i = 0; i < cols; ++i)
            line.append(convert(s, cells[i]));
        // Trailing blanks on the default background cost memory and say nothing.
        while (!line.isEmpty() && line.last().ch == U' ' && line.last().bg == s->m_defaultBg
            && line.last().attrs == 0)
            line.removeLast();
        s->m_scrollback.append(line);
        if (s->m_scrollback.size() > s->m_scrollbackLimit)
            s->m_scrollback.removeFirst();
        ++s->m_pushed;
        return 1;
    }

    static int popLine(int cols, VTermScreenCell *cells, void *user)
    {
        TerminalSurface *s = self(user);
        if (s->m_scrollback.isEmpty())
            return 0;
        const QList<TerminalCell> line = s->m_scrollback.takeLast();
        for (int i = 0; i < cols; ++i) {
            VTermScreenCell &c = cells[i];
            c = {};
            c.width = 1;
            const TerminalCell cell = i < line.size()
                ? line.at(i)
                : TerminalCell { U' ', s->m_defaultFg, s->m_defaultBg };
            c.chars[0] = cell.ch;
            vterm_color_rgb(
                &c.fg, quint8(qRed(cell.fg)), quint8(qGreen(cell.fg)), quint8(qBlue(cell.fg)));
            vterm_color_rgb(
                &c.bg, quint8(qRed(cell.bg)), quint8(qGreen(cell.bg)), quint8(qBlue(cell.bg)));
            c.attrs.bold = (cell.attrs & TerminalCell::Bold) != 0;
            c.attrs.italic = (cell.attrs & TerminalCell::Italic) != 0;
            c.attrs.underline = (cell.attrs & TerminalCell::Underline) != 0;
            c.attrs.reverse = (cell.attrs & TerminalCell::Reverse) != 0;
        }
        --s->m_pushed;
        return 1;
    }

    static int termProp(VTermProp prop, VTermValue *value, void *user)
    {
        TerminalSurface *s = self(user);
        if (prop == VTERM_PROP_TITLE && !s->m_replaying)
            emit s->titleChanged(QString::fromUtf8(value->string));
        else if (prop == VTERM_PROP_CURSORVISIBLE)
            s->m_cursorVisible = value->boolean != 0;
        return 1;
    }

    static int bell(void *user)
    {
        if (!self(user)->m_replaying)
            emit self(user)->bell();
        return 1;
    }

    static void output(const char *bytes, size_t length, void *user)
    {
        // A replay's answers (to a terminal query in the history) were sent the first time.
        if (!self(user)->m_replaying)
            emit self(user)->output(QByteArray(bytes, qsizetype(length)));
    }

    static bool replaying(void *user) { return self(user)->m_replaying; }
};

namespace {

// libvterm 0.1 dereferences a null pointer when a double-width character comes to a terminal of
// one column (found by fuzz_terminalsurface: a guest printing "Ａ" to a Shell squeezed to one
// column crashed the workbench). Two columns always hold one.
constexpr int minColumns = 2;

// Escape sequences libvterm leaves to its user: OSC 133 (shell integration: "D;status" when a
// command ended).
int onUnknownOsc(const char *command, size_t length, void *user)
{
    const QByteArray osc(command, qsizetype(length));
    if (!osc.startsWith("133;D"))
        return 0;
    bool ok = false;
    const int status = osc.mid(6).toInt(&ok);
    if (!TerminalCallbacks::replaying(user))
        emit static_cast<TerminalSurface *>(user)->commandFinished(ok ? status : 0);
    return 1;
}

const VTermParserCallbacks fallbacks
    = { nullptr, nullptr, nullptr, nullptr, onUnknownOsc, nullptr, nullptr };

const VTermScreenCallbacks screenCallbacks = {
    TerminalCallbacks::damage,
    nullptr, // moverect: damage covers it
    TerminalCallbacks::moveCursor,
    TerminalCallbacks::termProp,
    TerminalCallbacks::bell,
    nullptr, // resize
    TerminalCallbacks::pushLine,
    TerminalCallbacks::popLine,
};

} // namespace

TerminalSurface::TerminalSurface(int rows, int cols, QObject *parent)
    : QObject(parent)
    , m_rows(qMax(1, rows))
    , m_cols(qMax(minColumns, cols))
    , m_defaultFg(qRgb(0xd0, 0xd0, 0xd0))
    , m_defaultBg(qRgb(0x10, 0x10, 0x10))
{
    makeVterm();
}

void TerminalSurface::makeVterm()
{
    m_vterm = vterm_new(m_rows, m_cols);
    vterm_set_utf8(m_vterm, 1);
    m_screen = vterm_obtain_screen(m_vterm);
    vterm_screen_set_callbacks(m_screen, &screenCallbacks, this);
    vterm_screen_set_damage_merge(m_screen, VTERM_DAMAGE_SCROLL);
    vterm_screen_enable_altscreen(m_screen, 1);
    vterm_screen_set_unrecognised_fallbacks(m_screen, &fallbacks, this);
    vterm_output_set_callback(m_vterm, TerminalCallbacks::output, this);
    vterm_screen_reset(m_screen, 1);
}

void TerminalSurface::replayHistory()
{
    vterm_free(m_vterm);
    m_scrollback.clear();
    m_cursor = {};
    m_cursorVisible = true;
    makeVterm();
    m_replaying = true;
    vterm_input_write(m_vterm, m_history.constData(), size_t(m_history.size()));
    vterm_screen_flush_damage(m_screen);
    m_replaying = false;
}

TerminalSurface::~TerminalSurface()
{
    vterm_free(m_vterm);
}

void TerminalSurface::clearScrollback()
{
    m_scrollback.clear();
    m_history.clear(); // what was cleared does not come back at the next resize
    emit scrolled(0);
    emit damaged(QRect(0, 0, m_cols, lineCount()));
}

void TerminalSurface::setScrollbackLimit(int lines)
{
    m_scrollbackLimit = qMax(0, lines);
    while (m_scrollback.size() > m_scrollbackLimit)
        m_scrollback.removeFirst();
}

void TerminalSurface::feed(const QByteArray &bytes)
{
    m_history += bytes;
    if (m_history.size() > historyBytes) {
        // Kept from a line start, so the replay does not begin inside an escape sequence.
        const qsizetype cut = m_history.indexOf('\n', m_history.size() - historyBytes / 2);
        m_history.remove(0, cut < 0 ? m_history.size() - historyBytes / 2 : cut + 1);
    }
    m_damage = {};
    m_pushed = 0;
    vterm_input_write(m_vterm, bytes.constData(), size_t(bytes.size()));
    vterm_screen_flush_damage(m_screen);
    if (m_pushed > 0)
        emit scrolled(m_pushed);
    if (m_pushed > 0) {
        // The whole screen moved up.
        emit damaged(QRect(0, scrollbackLines(), m_cols, m_rows));
    } else if (!m_damage.isNull()) {
        emit damaged(m_damage.translated(0, scrollbackLines()));
    }
}

void TerminalSurface::resize(int rows, int cols)
{
    if (rows == m_rows && cols == m_cols)
        return;
    const bool wider = qMax(minColumns, cols) != m_cols;
    m_rows = qMax(1, rows);
    m_cols = qMax(minColumns, cols);
    if (wider) {
        replayHistory();
        emit scrolled(0);
    } else {
        vterm_set_size(m_vterm, m_rows, m_cols);
        vterm_screen_flush_damage(m_screen);
    }
    emit damaged(QRect(0, 0, m_cols, lineCount()));
}

TerminalCell TerminalSurface::cell(int line, int col) const
{
    const int sb = scrollbackLines();
    if (line < 0 || col < 0 || col >= m_cols || line >= lineCount())
        return { U' ', m_defaultFg, m_defaultBg };
    if (line < sb) {
        const QList<TerminalCell> &stored = m_scrollback.at(line);
        return col < stored.size() ? stored.at(col)
                                   : TerminalCell { U' ', m_defaultFg, m_defaultBg };
    }
    VTermScreenCell c;
    vterm_screen_get_cell(m_screen, VTermPos { line - sb, col }, &c);
    return TerminalCallbacks::convert(this, c);
}

QString TerminalSurface::lineText(int line) const
{
    QString text;
    for (int col = 0; col < m_cols; ++col) {
        const TerminalCell c = cell(line, col);
        if (c.ch != 0)
            text += QString::fromUcs4(&c.ch, 1);
    }
    while (text.endsWith(QLatin1Char(' ')))
        text.chop(1);
    return text;
}

QString TerminalSurface::text(QPoint from, QPoint to) const
{
    if (to.y() < from.y() || (to.y() == from.y() && to.x() < from.x()))
        std::swap(from, to);
    QStringList lines;
    for (int line = from.y(); line <= to.y(); ++line) {
        const int first = line == from.y() ? from.x() : 0;
        const int last = line == to.y() ? to.x() : m_cols - 1;
        QString text;
        for (int col = first; col <= last; ++col) {
            const TerminalCell c = cell(line, col);
            if (c.ch != 0)
                text += QString::fromUcs4(&c.ch, 1);
        }
        while (line != to.y() && text.endsWith(QLatin1Char(' ')))
            text.chop(1);
        lines << text;
    }
    return lines.join(QLatin1Char('\n'));
}

QPoint TerminalSurface::cursor() const
{
    return m_cursor + QPoint(0, scrollbackLines());
}

void TerminalSurface::typeKey(int key, Qt::KeyboardModifiers modifiers, const QString &text)
{
    const VTermModifier mod = modifiersOf(modifiers);
    const VTermKey special = vtermKey(key);
    if (special != VTERM_KEY_NONE) {
        vterm_keyboard_key(m_vterm, special, mod);
        return;
    }
    if (modifiers & Qt::ControlModifier && key >= Qt::Key_A && key <= Qt::Key_Z) {
        vterm_keyboard_unichar(m_vterm, uint32_t(key - Qt::Key_A + 'a'), mod);
        return;
    }
    for (const char32_t c : text.toUcs4())
        vterm_keyboard_unichar(
            m_vterm, c, VTermModifier(mod & ~VTERM_MOD_SHIFT)); // shift is in the text already
}

void TerminalSurface::paste(const QString &text)
{
    vterm_keyboard_start_paste(m_vterm);
    for (const char32_t c : text.toUcs4())
        vterm_keyboard_unichar(m_vterm, c == U'\n' ? U'\r' : c, VTERM_MOD_NONE);
    vterm_keyboard_end_paste(m_vterm);
}

} // namespace vivarium
