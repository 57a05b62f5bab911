#include "core/event/actionevent.h"

#include <QCryptographicHash>
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
        { QStringLiteral("output"), output },
        { QStringLiteral("output_digest"), outputDigest },
    };
}

namespace {

// value with every string cut at limit characters (an ellipsis and the whole length added).
QJsonValue cutStrings(const QJsonValue &value, qsizetype limit)
{
    if (value.isString()) {
        const QString text = value.toString();
        if (text.size() <= limit)
            return value;
        return QString(
            text.left(limit) + QStringLiteral("… (%1 characters in all)").arg(text.size()));
    }
    if (value.isArray()) {
        QJsonArray cut;
        for (const QJsonValue &item : value.toArray())
            cut.append(cutStrings(item, limit));
        return cut;
    }
    if (value.isObject()) {
        QJsonObject cut;
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            cut.insert(it.key(), cutStrings(it.value(), limit));
        return cut;
    }
    return value;
}

} // namespace

QString ActionEvent::outputText() const
{
    if (output.isNull() || output.isUndefined())
        return {};
    if (output.isString())
        return output.toString();
    if (output.isBool())
        return output.toBool() ? QStringLiteral("True") : QStringLiteral("False");
    if (output.isDouble())
        return QString::number(output.toDouble());
    const QJsonDocument document
        = output.isArray() ? QJsonDocument(output.toArray()) : QJsonDocument(output.toObject());
    return QString::fromUtf8(document.toJson(QJsonDocument::Compact));
}

void ActionEvent::setOutput(const QJsonValue &value)
{
    if (value.isNull() || value.isUndefined()) {
        output = QJsonValue();
        outputDigest.clear();
        return;
    }
    const QByteArray whole = QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact);
    outputDigest
        = QString::fromLatin1(QCryptographicHash::hash(whole, QCryptographicHash::Sha1).toHex());
    output = cutStrings(value, outputLimit);
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
    e.output = o.value(QStringLiteral("output"));
    if (e.output.isUndefined())
        e.output = QJsonValue();
    e.outputDigest = o.value(QStringLiteral("output_digest")).toString();
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
