#include "ui/terminal/terminalview.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QMenu>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QtMath>

namespace vivarium {

namespace {

constexpr int repaintIntervalMs = 16;

} // namespace

TerminalView::TerminalView(TerminalSurface *surface, QWidget *parent)
    : QAbstractScrollArea(parent)
    , m_surface(surface)
    , m_font(QFontDatabase::systemFont(QFontDatabase::FixedFont))
    , m_banner(new QLabel(this))
{
    setFocusPolicy(Qt::StrongFocus);
    // Always there, so the cells never run under it when the scrollback starts to fill.
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    m_banner->setObjectName(QStringLiteral("terminalBanner"));
    m_banner->setStyleSheet(QStringLiteral(
        "QLabel { background: #fdecea; color: #8a1c13; border-bottom: 1px solid #e0a39c; "
        "padding: 4px 8px; }"));
    m_banner->setWordWrap(true);
    m_banner->hide();
    setAttribute(Qt::WA_OpaquePaintEvent);
    viewport()->setCursor(Qt::IBeamCursor);
    zoom(0);
    m_repaint.setSingleShot(true);
    m_repaint.setInterval(repaintIntervalMs);
    connect(&m_repaint, &QTimer::timeout, this, [this] {
        updateScrollBar();
        if (m_followOutput)
            verticalScrollBar()->setValue(verticalScrollBar()->maximum());
        QRegion pixels;
        for (const QRect &cells : m_pending)
            pixels += pixelsOf(cells);
        m_pending = {};
        viewport()->update(pixels);
    });
    connect(m_surface, &TerminalSurface::damaged, this, &TerminalView::onDamaged);
    connect(m_surface, &TerminalSurface::scrolled, this, [this] {
        // Everything on screen moved: repaint the viewport at the next tick.
        m_pending += QRect(0, firstVisibleLine(), m_surface->cols(), m_surface->rows() + 1);
    });
    updateScrollBar();
}

bool TerminalView::event(QEvent *event)
{
    if (event->type() == QEvent::Show && m_followsSize)
        resizeEvent(nullptr);
    if (event->type() == QEvent::ShortcutOverride) {
        // Every key is the guest's while the terminal has the focus, as in Konsole: accepting
        // the override makes Qt deliver it as a key press instead of a window shortcut.
        event->accept();
        return true;
    }
    return QAbstractScrollArea::event(event);
}

void TerminalView::setBanner(const QString &text)
{
    m_banner->setText(text);
    m_banner->setVisible(!text.isEmpty());
    m_banner->setGeometry(0, 0, viewport()->width(), m_banner->sizeHint().height());
    m_banner->raise();
}

QString TerminalView::banner() const
{
    return m_banner->isHidden() ? QString() : m_banner->text();
}

void TerminalView::selectAll()
{
    m_selectionStart = QPoint(0, 0);
    m_selectionEnd = QPoint(m_surface->cols() - 1, m_surface->lineCount() - 1);
    viewport()->update();
}

QMenu *TerminalView::createContextMenu()
{
    auto *menu = new QMenu(this);
    QAction *copy = menu->addAction(
        tr("Copy"), this, [this] { QApplication::clipboard()->setText(selectedText()); });
    copy->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    copy->setEnabled(!selectedText().isEmpty());
    QAction *paste = menu->addAction(
        tr("Paste"), this, [this] { m_surface->paste(QApplication::clipboard()->text()); });
    paste->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_V));
    menu->addAction(tr("Select All"), this, &TerminalView::selectAll);
    menu->addSeparator();
    menu->addAction(tr("Find…"), this, [this] {
        bool ok = false;
        const QString text = QInputDialog::getText(
            this, tr("Find"), tr("Find in the terminal:"), QLineEdit::Normal, {}, &ok);
        if (ok && !text.isEmpty() && !findNext(text))
            QToolTip::showText(mapToGlobal(QPoint(8, 8)), tr("Not found: %1").arg(text), this);
    });
    menu->addAction(tr("Clear Scrollback"), this, [this] {
        m_selectionStart = m_selectionEnd = QPoint(-1, -1);
        m_surface->clearScrollback();
        updateScrollBar();
        viewport()->update();
    });
    return menu;
}

void TerminalView::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu *menu = createContextMenu();
    menu->exec(event->globalPos());
    delete menu;
}

void TerminalView::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    // A word: letters, digits and the characters of paths and addresses.
    const QPoint at = cellAt(event->pos());
    const QString text = m_surface->lineText(at.y());
    const auto inWord = [&](int col) {
        if (col < 0 || col >= text.size())
            return false;
        const QChar c = text.at(col);
        return c.isLetterOrNumber() || QStringLiteral("-_./~:@%+").contains(c);
    };
    if (!inWord(at.x()))
        return;
    int from = at.x(), to = at.x();
    while (inWord(from - 1))
        --from;
    while (inWord(to + 1))
        ++to;
    m_selectionStart = QPoint(from, at.y());
    m_selectionEnd = QPoint(to, at.y());
    viewport()->update();
    const QString word = selectedText();
    if (QClipboard *clipboard = QApplication::clipboard(); clipboard->supportsSelection())
        clipboard->setText(word, QClipboard::Selection);
}

void TerminalView::zoom(int steps)
{
    const qreal size = qBound(6.0, m_font.pointSizeF() + steps, 40.0);
    m_font.setPointSizeF(size);
    m_font.setLetterSpacing(QFont::AbsoluteSpacing, 0);
    // The cell is the font's real advance rounded up (it is 7.2 px for some fonts and zooms:
    // cells of 7 put the last columns of a line beyond the view), and the text is spaced to
    // it, so glyph N starts at cell N whatever the font, as Konsole and Qt Creator's terminal do.
    const QFontMetricsF metrics(m_font);
    const qreal advance = metrics.horizontalAdvance(QLatin1Char('M'));
    m_cellSize = QSize(qMax(1, qCeil(advance)), qMax(1, qCeil(metrics.height())));
    m_font.setLetterSpacing(QFont::AbsoluteSpacing, m_cellSize.width() - advance);
    viewport()->update();
    if (m_followsSize)
        resizeEvent(nullptr);
}

void TerminalView::onDamaged(const QRect &cells)
{
    // Whole lines: a run of text is drawn from its line's start, and glyphs may overhang.
    m_pending += QRect(0, cells.y(), m_surface->cols() + 1, cells.height());
    if (!m_repaint.isActive())
        m_repaint.start();
}

void TerminalView::updateScrollBar()
{
    QScrollBar *bar = verticalScrollBar();
    const int visibleRows = qMax(1, viewport()->height() / m_cellSize.height());
    bar->setRange(0, qMax(0, m_surface->lineCount() - visibleRows));
    bar->setPageStep(visibleRows);
    bar->setSingleStep(1);
}

int TerminalView::firstVisibleLine() const
{
    return verticalScrollBar()->value();
}

void TerminalView::scrollContentsBy(int, int)
{
    // Scrolled back by the user: stop following output until back at the bottom.
    m_followOutput = verticalScrollBar()->value() == verticalScrollBar()->maximum();
    viewport()->update();
}

QRect TerminalView::pixelsOf(const QRect &cells) const
{
    return QRect((cells.x()) * m_cellSize.width(),
        (cells.y() - firstVisibleLine()) * m_cellSize.height(), cells.width() * m_cellSize.width(),
        cells.height() * m_cellSize.height());
}

QPoint TerminalView::cellAt(const QPoint &pixel) const
{
    return QPoint(qBound(0, pixel.x() / m_cellSize.width(), m_surface->cols() - 1),
        qBound(
            0, pixel.y() / m_cellSize.height() + firstVisibleLine(), m_surface->lineCount() - 1));
}

bool TerminalView::isSelected(int line, int col) const
{
    if (m_selectionStart.x() < 0)
        return false;
    QPoint a = m_selectionStart, b = m_selectionEnd;
    if (b.y() < a.y() || (b.y() == a.y() && b.x() < a.x()))
        std::swap(a, b);
    if (line < a.y() || line > b.y())
        return false;
    if (line == a.y() && col < a.x())
        return false;
    if (line == b.y() && col > b.x())
        return false;
    return true;
}

void TerminalView::paintEvent(QPaintEvent *event)
{
    QPainter painter(viewport());
    painter.setFont(m_font);
    const QRect area = event->rect();
    const int first = firstVisibleLine();
    const int fromRow = area.top() / m_cellSize.height();
    const int toRow = qMin(area.bottom() / m_cellSize.height(), m_surface->lineCount() - first - 1);
    painter.fillRect(area, QColor(m_surface->defaultBackground()));
    const QFontMetrics metrics(m_font);
    const QPoint cursor = m_surface->cursor();
    for (int row = fromRow; row <= toRow; ++row) {
        const int line = first + row;
        const int y = row * m_cellSize.height();
        // Runs of cells with the same look are drawn as one piece of text.
        int col = 0;
        while (col < m_surface->cols()) {
            const TerminalCell start = m_surface->cell(line, col);
            const bool selected = isSelected(line, col);
            QString run;
            int end = col;
            while (end < m_surface->cols()) {
                const TerminalCell c = m_surface->cell(line, end);
                if (c.fg != start.fg || c.bg != start.bg || c.attrs != start.attrs
                    || isSelected(line, end) != selected)
                    break;
                if (c.ch != 0)
                    run += QString::fromUcs4(&c.ch, 1);
                ++end;
            }
            QRgb fg = start.fg, bg = start.bg;
            if ((start.attrs & TerminalCell::Reverse) != 0)
                std::swap(fg, bg);
            if (selected)
                std::swap(fg, bg);
            const QRect rect(
                col * m_cellSize.width(), y, (end - col) * m_cellSize.width(), m_cellSize.height());
            if (bg != m_surface->defaultBackground() || selected)
                painter.fillRect(rect, QColor(bg));
            if (!run.trimmed().isEmpty()) {
                QFont font = m_font;
                font.setBold(start.attrs & TerminalCell::Bold);
                font.setItalic(start.attrs & TerminalCell::Italic);
                font.setUnderline(start.attrs & TerminalCell::Underline);
                font.setStrikeOut(start.attrs & TerminalCell::Strike);
                painter.setFont(font);
                painter.setPen(QColor(fg));
                painter.drawText(rect.x(), y + metrics.ascent(), run);
            }
            col = end;
        }
        if (line == cursor.y() && m_surface->cursorVisible() && hasFocus()) {
            painter.setPen(QColor(m_surface->defaultForeground()));
            painter.drawRect(cursor.x() * m_cellSize.width(), y, m_cellSize.width() - 1,
                m_cellSize.height() - 1);
        }
    }
}

void TerminalView::resizeEvent(QResizeEvent *event)
{
    if (event)
        QAbstractScrollArea::resizeEvent(event);
    if (m_banner->isVisible())
        m_banner->setGeometry(0, 0, viewport()->width(), m_banner->sizeHint().height());
    if (m_followsSize && isVisible()) { // a hidden tab's size is not the one it will show at
        const int rows = qMax(2, viewport()->height() / m_cellSize.height());
        const int cols = qMax(10, viewport()->width() / m_cellSize.width());
        if (rows != m_surface->rows() || cols != m_surface->cols()) {
            m_surface->resize(rows, cols);
            emit sizeChanged(rows, cols);
        }
    }
    updateScrollBar();
}

void TerminalView::keyPressEvent(QKeyEvent *event)
{
    const Qt::KeyboardModifiers mods = event->modifiers();
    const bool ctrlShift = (mods & Qt::ControlModifier) && (mods & Qt::ShiftModifier);
    if (ctrlShift && event->key() == Qt::Key_C) {
        QApplication::clipboard()->setText(selectedText());
        return;
    }
    if (ctrlShift && event->key() == Qt::Key_V) {
        m_surface->paste(QApplication::clipboard()->text());
        return;
    }
    if ((mods & Qt::ControlModifier)
        && (event->key() == Qt::Key_Plus || event->key() == Qt::Key_Equal)) {
        zoom(1);
        return;
    }
    if ((mods & Qt::ControlModifier) && event->key() == Qt::Key_Minus) {
        zoom(-1);
        return;
    }
    if ((mods & Qt::ShiftModifier) && event->key() == Qt::Key_PageUp) {
        verticalScrollBar()->triggerAction(QAbstractSlider::SliderPageStepSub);
        return;
    }
    if ((mods & Qt::ShiftModifier) && event->key() == Qt::Key_PageDown) {
        verticalScrollBar()->triggerAction(QAbstractSlider::SliderPageStepAdd);
        return;
    }
    m_followOutput = true;
    m_surface->typeKey(event->key(), mods, event->text());
}

bool TerminalView::focusNextPrevChild(bool)
{
    return false;
}

void TerminalView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    m_selectionStart = m_selectionEnd = cellAt(event->pos());
    viewport()->update();
}

void TerminalView::mouseMoveEvent(QMouseEvent *event)
{
    if (!(event->buttons() & Qt::LeftButton) || m_selectionStart.x() < 0)
        return;
    m_selectionEnd = cellAt(event->pos());
    viewport()->update();
}

void TerminalView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    if (m_selectionStart == m_selectionEnd) {
        m_selectionStart = m_selectionEnd = QPoint(-1, -1);
        viewport()->update();
        return;
    }
    const QString text = selectedText();
    if (QClipboard *clipboard = QApplication::clipboard(); clipboard->supportsSelection())
        clipboard->setText(text, QClipboard::Selection);
    emit textSelected(text);
}

QString TerminalView::selectedText() const
{
    if (m_selectionStart.x() < 0)
        return {};
    return m_surface->text(m_selectionStart, m_selectionEnd);
}

bool TerminalView::findNext(const QString &text)
{
    if (text.isEmpty())
        return false;
    const int from
        = m_selectionStart.x() < 0 ? 0 : qMax(m_selectionStart.y(), m_selectionEnd.y()) + 1;
    for (int line = from; line < m_surface->lineCount(); ++line) {
        const int at = m_surface->lineText(line).indexOf(text, 0, Qt::CaseInsensitive);
        if (at >= 0) {
            m_selectionStart = QPoint(at, line);
            m_selectionEnd = QPoint(at + int(text.size()) - 1, line);
            m_followOutput = false;
            verticalScrollBar()->setValue(line - verticalScrollBar()->pageStep() / 2);
            viewport()->update();
            return true;
        }
    }
    return false;
}

} // namespace vivarium
