#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QsciScintilla;

namespace vivarium {

// Find and replace in the script editor, as a bar under it (Ctrl+F, F3 / Shift+F3, Ctrl+H,
// Escape closes): plain text, case-insensitive unless "Aa" is on, wrapping at the ends.
// QScintilla's own search does the finding.
class FindBar : public QWidget {
    Q_OBJECT

public:
    FindBar(QsciScintilla *editor, QWidget *parent = nullptr);

    // Shows the bar with the editor's selection (or the last text) and focuses the field.
    void openFind();
    void openReplace();
    bool findNext(); // false: not found (the bar says so)
    bool findPrevious();
    bool replaceOne(); // replaces the current match, then finds the next
    int replaceAll(); // how many were replaced, as one undo step
    void dismiss(); // hides the bar, the editor takes the keys again

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    bool find(bool forward);
    void say(const QString &text);

    QsciScintilla *m_editor;
    QLineEdit *m_find;
    QLineEdit *m_replace;
    QWidget *m_replaceRow;
    QLabel *m_status;
    bool m_caseSensitive = false;
};

} // namespace vivarium
