#pragma once

#include "../event/actionevent.h"

#include <QFile>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <mutex>

namespace vivarium {

class Network;
class ScriptEngine;
struct ScriptResult;

// Records a run's event stream: every driver action, machine state, console line, log line,
// subtest, link change, pause and the end, as JSON objects with a time stamp ("t", ms since the
// epoch) and a "type". Appends each to events.jsonl as it happens (the stable format other tools
// and the workbench read; docs/reports.md) and keeps them for the reports written at the end.
// Thread-safe: the sources emit from any thread.
class EventRecorder : public QObject {
    Q_OBJECT

public:
    // Writes to path (truncated); an empty path records in memory only.
    explicit EventRecorder(const QString &path, QObject *parent = nullptr);

    void watch(EventLog *events);
    void watch(Network *network);
    void watch(ScriptEngine *engine);
    void record(QJsonObject event);
    void recordResult(const ScriptResult &result);
    QList<QJsonObject> events() const;

signals:
    // Each event as recorded (on the thread that recorded it).
    void recorded(const QJsonObject &event);

private:
    mutable std::mutex m_mutex;
    QFile m_file;
    QList<QJsonObject> m_events;
};

} // namespace vivarium
