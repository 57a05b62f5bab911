#include "ui/editor/scripteditor.h"

#include <QFontDatabase>
#include <Qsci/qscilexerpython.h>

namespace vivarium {

namespace {

constexpr int numberMargin = 0;
constexpr int markerMargin = 1;

} // namespace

ScriptEditor::ScriptEditor(QWidget *parent)
    : QsciScintilla(parent)
{
    const QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    auto *lexer = new QsciLexerPython(this);
    lexer->setDefaultFont(font);
    lexer->setFont(font);
    setLexer(lexer);
    setUtf8(true);
    setIndentationsUseTabs(false);
    setIndentationWidth(4);
    setAutoIndent(true);
    setMarginType(numberMargin, NumberMargin);
    setMarginWidth(numberMargin, QStringLiteral("00000"));
    setMarginLineNumbers(numberMargin, true);
    setMarginType(markerMargin, SymbolMargin);
    setMarginWidth(markerMargin, 16);
    setMarginSensitivity(markerMargin, true);
    m_breakpointMarker = markerDefine(Circle);
    setMarkerBackgroundColor(QColor(0xc6, 0x28, 0x28), m_breakpointMarker);
    m_currentMarker = markerDefine(Background);
    setMarkerBackgroundColor(QColor(0xff, 0xf3, 0xb0), m_currentMarker);
    m_errorMarker = markerDefine(Background);
    setMarkerBackgroundColor(QColor(0xf9, 0xd0, 0xcc), m_errorMarker);
    m_runningMarker = markerDefine(RightArrow);
    setMarkerBackgroundColor(QColor(0x1a, 0x5f, 0xb4), m_runningMarker);
    setMarkerForegroundColor(QColor(0x1a, 0x5f, 0xb4), m_runningMarker);
    m_stoppedMarker = markerDefine(Background);
    setMarkerBackgroundColor(QColor(0xe0, 0xe0, 0xe0), m_stoppedMarker);
    m_findingMarker = markerDefine(SmallRectangle);
    setMarkerBackgroundColor(QColor(0xe5, 0xa5, 0x0a), m_findingMarker);
    setMarkerForegroundColor(QColor(0xe5, 0xa5, 0x0a), m_findingMarker);
    m_findingIndicator = indicatorDefine(SquiggleIndicator);
    setIndicatorForegroundColor(QColor(0xe5, 0xa5, 0x0a), m_findingIndicator);
    setMarginMarkerMask(
        markerMargin, (1 << m_breakpointMarker) | (1 << m_runningMarker) | (1 << m_findingMarker));
    connect(this, &QsciScintilla::cursorPositionChanged, this,
        [this](int line, int) { emit findingsHere(findingsAt(line + 1)); });
    connect(this, &QsciScintilla::marginClicked, this,
        [this](int margin, int line, Qt::KeyboardModifiers) {
            if (margin == markerMargin)
                setBreakpoint(line + 1, !breakpoints().contains(line + 1));
        });
}

QSet<int> ScriptEditor::breakpoints() const
{
    QSet<int> lines;
    for (int line = markerFindNext(0, 1 << m_breakpointMarker); line >= 0;
         line = markerFindNext(line + 1, 1 << m_breakpointMarker))
        lines.insert(line + 1);
    return lines;
}

void ScriptEditor::setBreakpoint(int line, bool on)
{
    if (on)
        markerAdd(line - 1, m_breakpointMarker);
    else
        markerDelete(line - 1, m_breakpointMarker);
    emit breakpointsChanged(breakpoints());
}

void ScriptEditor::moveMarker(int marker, int *stored, int line, bool reveal)
{
    markerDeleteAll(marker);
    *stored = line;
    if (line <= 0)
        return;
    markerAdd(line - 1, marker);
    if (reveal)
        ensureLineVisible(line - 1);
}

void ScriptEditor::setCurrentLine(int line)
{
    moveMarker(m_currentMarker, &m_currentLine, line, true);
}

void ScriptEditor::setErrorLine(int line, const QString &message)
{
    clearAnnotations();
    moveMarker(m_errorMarker, &m_errorLine, line, true);
    if (line > 0) {
        annotate(line - 1, message, 0);
        setAnnotationDisplay(AnnotationBoxed);
    }
}

void ScriptEditor::setRunningLine(int line)
{
    // Not scrolled to: the running line changes with every call, the user may be reading
    // elsewhere.
    moveMarker(m_runningMarker, &m_runningLine, line, false);
}

void ScriptEditor::setStoppedLine(int line)
{
    moveMarker(m_stoppedMarker, &m_stoppedLine, line, true);
}

void ScriptEditor::setFindings(const QList<ScriptFinding> &findings)
{
    markerDeleteAll(m_findingMarker);
    clearIndicatorRange(
        0, 0, qMax(0, lines() - 1), int(lineText(lines()).size()), m_findingIndicator);
    m_findings.clear();
    for (const ScriptFinding &finding : findings) {
        if (finding.line < 1 || finding.line > lines())
            continue;
        const QString where = finding.severity == QLatin1String("error")
            ? finding.message
            : finding.severity + QStringLiteral(": ") + finding.message;
        m_findings[finding.line].append(where);
        markerAdd(finding.line - 1, m_findingMarker);
        const int length = int(lineText(finding.line).size());
        fillIndicatorRange(finding.line - 1, qBound(0, finding.column - 1, length),
            finding.line - 1, length, m_findingIndicator);
    }
    int line = 0;
    int index = 0;
    getCursorPosition(&line, &index);
    emit findingsHere(findingsAt(line + 1));
}

QStringList ScriptEditor::findingsAt(int line) const
{
    return m_findings.value(line);
}

QList<int> ScriptEditor::findingLines() const
{
    return m_findings.keys();
}

QString ScriptEditor::lineText(int line) const
{
    QString t = text(line - 1);
    while (t.endsWith(QLatin1Char('\n')) || t.endsWith(QLatin1Char('\r')))
        t.chop(1);
    return t;
}

void ScriptEditor::insertRecordedLine(const QString &recorded)
{
    int line = 0;
    int index = 0;
    getCursorPosition(&line, &index);
    const QString current = lineText(line + 1);
    qsizetype indent = 0;
    while (indent < current.size() && current.at(indent).isSpace())
        ++indent;
    const QString prefix = current.left(indent);
    int target = line;
    if (indent == current.size()) {
        setSelection(line, 0, line, int(current.size()));
        replaceSelectedText(prefix + recorded);
    } else {
        insertAt(QLatin1Char('\n') + prefix + recorded, line, int(current.size()));
        target = line + 1;
    }
    setCursorPosition(target, int(prefix.size() + recorded.size()));
    ensureLineVisible(target);
}

} // namespace vivarium
