#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <atomic>

namespace vivarium {

// The script line a thread is running, set by the script engine as it goes; driver calls record
// it so reports and the workbench can point at the line.
struct ScriptLocation {
    QString file;
    int line = 0;
    static ScriptLocation &current(); // of the calling thread
};

// One driver call on a machine (start, succeed, wait_for_unit ...), for the reports and the GUI.
struct ActionEvent {
    enum class Result { Running, Ok, Failed, Timeout };
    quint64 id = 0;
    QString machine;
    QString action;
    QJsonObject arguments;
    qint64 startMs = 0; // since the epoch
    qint64 durationMs = 0;
    Result result = Result::Running;
    QString message; // the error, or a short result ("exit 0")
    QString artifact; // a file the action wrote (a screenshot), or empty
    QString file; // the script line that made the call, when a script did
    int line = 0;

    QJsonObject toJson() const;
    static QString resultName(Result result);
};

// Where machines report their actions and state changes. Emitting is thread-safe; receivers on
// other threads get queued calls.
class EventLog : public QObject {
    Q_OBJECT

public:
    using QObject::QObject;
    quint64 nextId();

signals:
    void actionStarted(const vivarium::ActionEvent &event);
    void actionFinished(const vivarium::ActionEvent &event);
    void machineStateChanged(const QString &machine, const QString &state, const QString &detail);
    // Raw bytes of a machine's serial console and of its hvc1 shell, as they come (terminals).
    void serialBytes(const QString &machine, const QByteArray &bytes);
    void shellBytes(const QString &machine, const QByteArray &bytes);
    // A whole line a machine wrote on its serial console (without the line end).
    void consoleLine(const QString &machine, const QString &line);
    // The script's own output: log(), print().
    void logMessage(const QString &text);
    void subtestStarted(const QString &name, const QString &file, int line);
    void subtestFinished(
        const QString &name, bool passed, const QString &message, qint64 durationMs);

private:
    std::atomic<quint64> m_nextId { 1 };
};

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::ActionEvent)
