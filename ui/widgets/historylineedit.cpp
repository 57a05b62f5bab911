#include "ui/widgets/historylineedit.h"

#include <QKeyEvent>

namespace vivarium {

HistoryLineEdit::HistoryLineEdit(QWidget *parent)
    : QLineEdit(parent)
{
}

void HistoryLineEdit::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Return:
    case Qt::Key_Enter: {
        const QString command = text();
        if (command.trimmed().isEmpty())
            return;
        if (m_history.isEmpty() || m_history.last() != command)
            m_history << command;
        m_index = m_history.size();
        clear();
        emit commandEntered(command);
        return;
    }
    case Qt::Key_Up:
    case Qt::Key_Down:
        if (m_history.isEmpty())
            return;
        m_index = qBound<qsizetype>(
            0, m_index + (event->key() == Qt::Key_Up ? -1 : 1), m_history.size());
        setText(m_index < m_history.size() ? m_history.at(m_index) : QString());
        return;
    default:
        QLineEdit::keyPressEvent(event);
    }
}

} // namespace vivarium
