#include "core/event/actionevent.h"

#include <QJsonArray>
#include <QJsonDocument>

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
    // [[name, value], ...]: a JSON object would not keep the call's order.
    QJsonArray argumentsJson;
    for (const auto &[name, value] : arguments)
        argumentsJson.append(QJsonArray { name, value });
    return {
        { QStringLiteral("id"), qint64(id) },
        { QStringLiteral("machine"), machine },
        { QStringLiteral("action"), action },
        { QStringLiteral("arguments"), argumentsJson },
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
    const QJsonValue arguments = o.value(QStringLiteral("arguments"));
    for (const QJsonValue &pair : arguments.toArray())
        e.arguments.append({ pair.toArray().at(0).toString(), pair.toArray().at(1) });
    // Written by an earlier version: an object, in name order.
    const QJsonObject named = arguments.toObject();
    for (auto it = named.begin(); it != named.end(); ++it)
        e.arguments.append({ it.key(), it.value() });
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

namespace vivarium {

QJsonValue ActionEvent::argument(const QString &name) const
{
    for (const auto &[key, value] : arguments) {
        if (key == name)
            return value;
    }
    return {};
}

QString ActionEvent::argumentsText(bool withNames, qsizetype maxChars) const
{
    QStringList parts;
    for (const auto &[name, value] : arguments) {
        const QString text = value.isString()
            ? QStringLiteral("\"%1\"").arg(
                value.toString().replace(QLatin1Char('\n'), QLatin1String("\\n")))
            : QString::fromUtf8(QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact))
                  .mid(1)
                  .chopped(1);
        parts << (withNames ? name + QLatin1Char('=') + text : text);
    }
    const QString text = parts.join(QStringLiteral(", "));
    return maxChars > 0 && text.size() > maxChars ? text.left(maxChars - 1) + QStringLiteral("…")
                                                  : text;
}

} // namespace vivarium
