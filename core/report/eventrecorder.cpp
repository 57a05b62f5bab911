#include "core/report/eventrecorder.h"

#include <QDateTime>
#include <QJsonDocument>

namespace vivarium {

EventRecorder::EventRecorder(const QString &path, QObject *parent)
    : QObject(parent)
    , m_file(path)
{
    if (!path.isEmpty() && !m_file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        m_error = QStringLiteral("cannot write %1: %2").arg(path, m_file.errorString());
}

QString EventRecorder::error() const
{
    std::lock_guard lock(m_mutex);
    return m_error;
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
            const QByteArray line
                = QJsonDocument(toJson(stamped)).toJson(QJsonDocument::Compact) + '\n';
            // The first failure is kept (a full disk): the run cannot pass without its record.
            if ((m_file.write(line) != line.size() || !m_file.flush()) && m_error.isEmpty())
                m_error = QStringLiteral("cannot write %1: %2")
                              .arg(m_file.fileName(), m_file.errorString());
        }
    }
    emit recorded(stamped);
}

void EventRecorder::restart()
{
    std::lock_guard lock(m_mutex);
    m_events.clear();
    if (m_file.isOpen() && m_file.resize(0))
        m_error.clear();
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
