#include "core/report/eventrecorder.h"

#include <QDateTime>
#include <QJsonDocument>

namespace vivarium {

EventRecorder::EventRecorder(const QString &path, QObject *parent)
    : QObject(parent)
    , m_file(path)
{
    if (!path.isEmpty())
        m_file.open(QIODevice::WriteOnly | QIODevice::Truncate);
}

void EventRecorder::watch(EventLog *events)
{
    connect(events, &EventLog::happened, this, &EventRecorder::record, Qt::DirectConnection);
}

void EventRecorder::record(const Event &event)
{
    const RecordedEvent stamped { QDateTime::currentMSecsSinceEpoch(), event };
    {
        std::lock_guard lock(m_mutex);
        m_events.append(stamped);
        if (m_file.isOpen()) {
            m_file.write(QJsonDocument(toJson(stamped)).toJson(QJsonDocument::Compact) + '\n');
            m_file.flush();
        }
    }
    emit recorded(stamped);
}

void EventRecorder::restart()
{
    std::lock_guard lock(m_mutex);
    m_events.clear();
    if (m_file.isOpen())
        m_file.resize(0);
}

QList<RecordedEvent> EventRecorder::events() const
{
    std::lock_guard lock(m_mutex);
    return m_events;
}

QList<RecordedEvent> EventRecorder::read(const QString &path, QString *error)
{
    QList<RecordedEvent> events;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return events;
    }
    while (!file.atEnd()) {
        const QJsonDocument line = QJsonDocument::fromJson(file.readLine());
        if (std::optional<RecordedEvent> event = eventFromJson(line.object()))
            events.append(std::move(*event));
    }
    return events;
}

} // namespace vivarium
