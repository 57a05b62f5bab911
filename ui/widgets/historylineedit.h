#pragma once

#include <QLineEdit>
#include <QStringList>

namespace vivarium {

// A one-line command input with history: Enter emits the command and remembers it, Up and Down
// walk through the earlier ones (the Monitor tab and the Python console).
class HistoryLineEdit : public QLineEdit {
    Q_OBJECT

public:
    explicit HistoryLineEdit(QWidget *parent = nullptr);
    QStringList history() const { return m_history; }

signals:
    void commandEntered(const QString &command);

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    QStringList m_history;
    qsizetype m_index = 0;
};

} // namespace vivarium
