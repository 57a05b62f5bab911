#pragma once

#include "core/script/scriptstubs.h"

#include <QMap>
#include <QSet>
#include <Qsci/qsciscintilla.h>

namespace vivarium {

// The script editor: QScintilla with the Python lexer, line numbers, a breakpoint margin (click
// to toggle), a marker for the line the script is paused at, and one for a failed line.
class ScriptEditor : public QsciScintilla {
    Q_OBJECT

public:
    explicit ScriptEditor(QWidget *parent = nullptr);

    QSet<int> breakpoints() const; // 1-based lines
    void setBreakpoint(int line, bool on);
    void setCurrentLine(int line); // 0: none
    void setErrorLine(int line, const QString &message); // 0: none
    // The line whose driver call is in flight (0: none): an arrow in the margin.
    void setRunningLine(int line);
    // Where the user stopped the script: grey, not an error (0: none).
    void setStoppedLine(int line);
    int currentLine() const { return m_currentLine; }
    int runningLine() const { return m_runningLine; }
    int stoppedLine() const { return m_stoppedLine; }
    int errorLine() const { return m_errorLine; }
    QString lineText(int line) const; // 1-based, without its end
    // Puts a recorded line at the cursor: on the cursor's line when it is blank, else on a new
    // line below it, with the cursor line's indentation; the cursor ends after it.
    void insertRecordedLine(const QString &line);
    // The type checker's findings: a wavy underline from each one's column to its line's end
    // and a mark in the margin; findingsAt tells what was found on a line (1-based).
    void setFindings(const QList<ScriptFinding> &findings);
    QStringList findingsAt(int line) const;
    QList<int> findingLines() const; // 1-based, sorted

signals:
    void breakpointsChanged(const QSet<int> &lines);
    // The cursor moved onto a line with findings (their text), or off them (empty).
    void findingsHere(const QStringList &messages);

private:
    // Puts marker on line (1-based; 0: nowhere) and remembers it in *stored.
    void moveMarker(int marker, int *stored, int line, bool reveal);

    int m_breakpointMarker;
    int m_currentMarker;
    int m_errorMarker;
    int m_runningMarker;
    int m_stoppedMarker;
    int m_findingMarker;
    int m_findingIndicator;
    QMap<int, QStringList> m_findings; // 1-based line -> messages
    int m_currentLine = 0;
    int m_errorLine = 0;
    int m_runningLine = 0;
    int m_stoppedLine = 0;
};

} // namespace vivarium
