#pragma once

#include "core/event/events.h"

#include <QFile>
#include <QList>
#include <QObject>
#include <mutex>

namespace vivarium {

// Records a run's events: stamps each with its time, appends it to events.jsonl as it happens
// (the stable format other tools read; docs/reports.md) and keeps them for the reports written
// at the end. Thread-safe: the EventLog's sources post from any thread.
class EventRecorder : public QObject {
    Q_OBJECT

public:
    // Writes to path (truncated); an empty path records in memory only.
    explicit EventRecorder(const QString &path, QObject *parent = nullptr);

    void watch(EventLog *events);
    void record(const Event &event);
    // Starts over: a new script run of the same session gets its own events.jsonl.
    void restart();
    QList<RecordedEvent> events() const;
    // Why events.jsonl is not whole (it could not be opened or a write failed), else empty.
    QString error() const;
    // Reads an events.jsonl back (for rebuilding reports); unknown lines are skipped.
    static QList<RecordedEvent> read(const QString &path, QString *error);

signals:
    // Each event as recorded (on the thread that recorded it).
    void recorded(const vivarium::RecordedEvent &event);

private:
    mutable std::mutex m_mutex;
    QFile m_file;
    QList<RecordedEvent> m_events;
    QString m_error;
};

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::RecordedEvent)
