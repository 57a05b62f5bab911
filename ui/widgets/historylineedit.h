#pragma once

#include <QLineEdit>
#include <QStringList>

namespace vivarium {

// A one-line command input with history: Enter emits the command and remembers it, Up and Down
// walk through the earlier ones (the Monitor tab and the Python console), kept per test file.
class HistoryLineEdit : public QLineEdit {
    Q_OBJECT

public:
    explicit HistoryLineEdit(QWidget *parent = nullptr);
    QStringList history() const { return m_history; }
    // Keeps the history in the settings under key (one per test file and input: what was typed
    // for one test comes back when it is opened again, not in another's); loads it now.
    void setHistoryKey(const QString &key);

signals:
    void commandEntered(const QString &command);

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    QStringList m_history;
    QString m_key;
    qsizetype m_index = 0;
};

} // namespace vivarium
