#include "actionevent.h"

namespace vivarium {

ScriptLocation &ScriptLocation::current()
{
    thread_local ScriptLocation location;
    return location;
}

QString ActionEvent::resultName(Result result)
{
    switch (result) {
    case Result::Running:
        return QStringLiteral("running");
    case Result::Ok:
        return QStringLiteral("ok");
    case Result::Failed:
        return QStringLiteral("failed");
    case Result::Timeout:
        return QStringLiteral("timeout");
    }
    return {};
}

QJsonObject ActionEvent::toJson() const
{
    return {
        { QStringLiteral("type"), QStringLiteral("action") },
        { QStringLiteral("id"), qint64(id) },
        { QStringLiteral("machine"), machine },
        { QStringLiteral("action"), action },
        { QStringLiteral("arguments"), arguments },
        { QStringLiteral("start_ms"), startMs },
        { QStringLiteral("duration_ms"), durationMs },
        { QStringLiteral("result"), resultName(result) },
        { QStringLiteral("message"), message },
        { QStringLiteral("artifact"), artifact },
        { QStringLiteral("file"), file },
        { QStringLiteral("line"), line },
    };
}

quint64 EventLog::nextId()
{
    return m_nextId++;
}

} // namespace vivarium
