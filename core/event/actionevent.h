#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>

namespace vivarium {

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

private:
    std::atomic<quint64> m_nextId { 1 };
};

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::ActionEvent)
