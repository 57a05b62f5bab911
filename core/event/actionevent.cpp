#include "core/event/actionevent.h"

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

ActionEvent ActionEvent::fromJson(const QJsonObject &o)
{
    ActionEvent e;
    e.id = quint64(o.value(QStringLiteral("id")).toInteger());
    e.machine = o.value(QStringLiteral("machine")).toString();
    e.action = o.value(QStringLiteral("action")).toString();
    e.arguments = o.value(QStringLiteral("arguments")).toObject();
    e.startMs = o.value(QStringLiteral("start_ms")).toInteger();
    e.durationMs = o.value(QStringLiteral("duration_ms")).toInteger();
    const QString result = o.value(QStringLiteral("result")).toString();
    for (Result r : { Result::Running, Result::Ok, Result::Failed, Result::Timeout }) {
        if (resultName(r) == result)
            e.result = r;
    }
    e.message = o.value(QStringLiteral("message")).toString();
    e.artifact = o.value(QStringLiteral("artifact")).toString();
    e.file = o.value(QStringLiteral("file")).toString();
    e.line = o.value(QStringLiteral("line")).toInt();
    return e;
}

} // namespace vivarium
