#include "ui/editor/findbar.h"

#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>
#include <Qsci/qsciscintilla.h>

namespace vivarium {

namespace {

QToolButton *button(const QString &text, const QString &tip, QWidget *parent)
{
    auto *b = new QToolButton(parent);
    b->setText(text);
    b->setToolTip(tip);
    b->setAutoRaise(true);
    return b;
}

} // namespace

FindBar::FindBar(QsciScintilla *editor, QWidget *parent)
    : QWidget(parent)
    , m_editor(editor)
    , m_find(new QLineEdit(this))
    , m_replace(new QLineEdit(this))
    , m_replaceRow(new QWidget(this))
    , m_status(new QLabel(this))
{
    setObjectName(QStringLiteral("findBar"));
    m_find->setObjectName(QStringLiteral("findText"));
    m_replace->setObjectName(QStringLiteral("replaceText"));
    m_find->setPlaceholderText(tr("Find"));
    m_replace->setPlaceholderText(tr("Replace with"));
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    auto *previous = button(tr("◀"), tr("Previous (Shift+F3)"), this);
    auto *next = button(tr("▶"), tr("Next (F3)"), this);
    auto *caseButton = button(tr("Aa"), tr("Match case"), this);
    caseButton->setCheckable(true);
    auto *close = button(tr("✕"), tr("Close (Escape)"), this);
    layout->addWidget(m_find, 0, 0);
    layout->addWidget(previous, 0, 1);
    layout->addWidget(next, 0, 2);
    layout->addWidget(caseButton, 0, 3);
    layout->addWidget(m_status, 0, 4);
    layout->addWidget(close, 0, 5);
    auto *replaceLayout = new QHBoxLayout(m_replaceRow);
    replaceLayout->setContentsMargins(0, 0, 0, 0);
    auto *replaceButton = button(tr("Replace"), tr("Replace this match, find the next"), this);
    auto *allButton = button(tr("All"), tr("Replace every match"), this);
    replaceButton->setObjectName(QStringLiteral("replaceOne"));
    allButton->setObjectName(QStringLiteral("replaceAll"));
    replaceLayout->addWidget(m_replace, 1);
    replaceLayout->addWidget(replaceButton);
    replaceLayout->addWidget(allButton);
    layout->addWidget(m_replaceRow, 1, 0, 1, 6);
    layout->setColumnStretch(0, 1);
    m_replaceRow->hide();

    connect(next, &QToolButton::clicked, this, &FindBar::findNext);
    connect(previous, &QToolButton::clicked, this, &FindBar::findPrevious);
    connect(caseButton, &QToolButton::toggled, this, [this](bool on) { m_caseSensitive = on; });
    connect(close, &QToolButton::clicked, this, &FindBar::dismiss);
    connect(m_find, &QLineEdit::returnPressed, this, &FindBar::findNext);
    connect(m_replace, &QLineEdit::returnPressed, this, &FindBar::replaceOne);
    connect(replaceButton, &QToolButton::clicked, this, &FindBar::replaceOne);
    connect(allButton, &QToolButton::clicked, this, &FindBar::replaceAll);
    hide();
}

void FindBar::dismiss()
{
    hide();
    m_editor->setFocus();
}

void FindBar::keyPressEvent(QKeyEvent *event)
{
    // The fields pass Escape on to their parent: this bar.
    if (event->key() == Qt::Key_Escape)
        dismiss();
    else
        QWidget::keyPressEvent(event);
}

void FindBar::openFind()
{
    if (m_editor->hasSelectedText() && !m_editor->selectedText().contains(QLatin1Char('\n')))
        m_find->setText(m_editor->selectedText());
    m_replaceRow->hide();
    show();
    m_find->setFocus();
    m_find->selectAll();
}

void FindBar::openReplace()
{
    openFind();
    m_replaceRow->show();
}

bool FindBar::find(bool forward)
{
    const QString text = m_find->text();
    if (text.isEmpty())
        return false;
    int line = 0;
    int index = 0;
    if (forward) {
        m_editor->getCursorPosition(&line, &index);
    } else {
        // Backwards from the start of the current match, not from its end.
        int lineTo = 0;
        int indexTo = 0;
        m_editor->getSelection(&line, &index, &lineTo, &indexTo);
        if (line < 0)
            m_editor->getCursorPosition(&line, &index);
    }
    const bool found = m_editor->findFirst(
        text, false, m_caseSensitive, false, true, forward, line, index, true, false, false);
    say(found ? QString() : tr("not found"));
    return found;
}

bool FindBar::findNext()
{
    return find(true);
}

bool FindBar::findPrevious()
{
    return find(false);
}

bool FindBar::replaceOne()
{
    const QString text = m_find->text();
    const bool onMatch = m_editor->hasSelectedText()
        && (m_caseSensitive ? m_editor->selectedText() == text
                            : m_editor->selectedText().compare(text, Qt::CaseInsensitive) == 0);
    if (onMatch)
        m_editor->replaceSelectedText(m_replace->text());
    return findNext();
}

int FindBar::replaceAll()
{
    const QString text = m_find->text();
    if (text.isEmpty())
        return 0;
    int count = 0;
    m_editor->beginUndoAction();
    // From the top, never wrapping: a replacement that contains the text is not found again.
    bool found = m_editor->findFirst(
        text, false, m_caseSensitive, false, false, true, 0, 0, true, false, false);
    while (found) {
        m_editor->replaceSelectedText(m_replace->text());
        ++count;
        found = m_editor->findNext();
    }
    m_editor->endUndoAction();
    say(tr("%n replaced", nullptr, count));
    return count;
}

void FindBar::say(const QString &text)
{
    m_status->setText(text);
}

} // namespace vivarium
