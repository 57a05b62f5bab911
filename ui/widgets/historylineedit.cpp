#include "ui/widgets/historylineedit.h"

#include <QKeyEvent>
#include <QSettings>

namespace vivarium {

HistoryLineEdit::HistoryLineEdit(QWidget *parent)
    : QLineEdit(parent)
{
}

namespace {

constexpr qsizetype kept = 200;

} // namespace

void HistoryLineEdit::setHistoryKey(const QString &key)
{
    m_key = key;
    m_history = QSettings().value(QStringLiteral("history/") + key).toStringList();
    m_index = m_history.size();
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
        if (m_history.size() > kept)
            m_history = m_history.mid(m_history.size() - kept);
        m_index = m_history.size();
        if (!m_key.isEmpty())
            QSettings().setValue(QStringLiteral("history/") + m_key, m_history);
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
