#include "core/qemu/qmpparser.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace vivarium {

QList<QmpMessage> QmpParser::feed(const QByteArray &bytes)
{
    QList<QmpMessage> messages;
    if (hasError())
        return messages;
    m_pending.append(bytes);
    qsizetype start = 0;
    for (;;) {
        const qsizetype newline = m_pending.indexOf('\n', start);
        if (newline < 0)
            break;
        const QByteArray line = m_pending.mid(start, newline - start).trimmed();
        start = newline + 1;
        if (line.isEmpty())
            continue;
        QmpMessage message;
        if (!parseLine(line, message)) {
            m_pending.clear();
            return messages;
        }
        messages.append(std::move(message));
    }
    m_pending.remove(0, start);
    if (m_pending.size() > maxLineBytes) {
        m_error = QStringLiteral("QMP message longer than %1 bytes").arg(maxLineBytes);
        m_pending.clear();
    }
    return messages;
}

bool QmpParser::parseLine(const QByteArray &line, QmpMessage &message)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        const QString reason = parseError.error != QJsonParseError::NoError
            ? parseError.errorString()
            : QStringLiteral("not a JSON object");
        m_error = QStringLiteral("malformed QMP message (%1 at offset %2): %3")
                      .arg(reason)
                      .arg(parseError.offset)
                      .arg(QString::fromUtf8(line.left(200)));
        return false;
    }
    const QJsonObject object = document.object();
    if (object.contains(QLatin1String("QMP"))) {
        message.kind = QmpMessage::Kind::Greeting;
        message.result = object.value(QLatin1String("QMP"));
    } else if (object.contains(QLatin1String("return"))) {
        message.kind = QmpMessage::Kind::Return;
        message.result = object.value(QLatin1String("return"));
        message.id = object.value(QLatin1String("id"));
    } else if (object.contains(QLatin1String("error"))) {
        const QJsonObject error = object.value(QLatin1String("error")).toObject();
        message.kind = QmpMessage::Kind::Error;
        message.id = object.value(QLatin1String("id"));
        message.errorClass = error.value(QLatin1String("class")).toString();
        message.errorDesc = error.value(QLatin1String("desc")).toString();
    } else if (object.value(QLatin1String("event")).isString()) {
        message.kind = QmpMessage::Kind::Event;
        message.event = object.value(QLatin1String("event")).toString();
        message.data = object.value(QLatin1String("data")).toObject();
        const QJsonObject ts = object.value(QLatin1String("timestamp")).toObject();
        // QEMU's numbers are small; anything else (a double beyond qint64, which made the
        // conversion undefined, found by fuzzing) counts as no time stamp.
        const qint64 seconds = ts.value(QLatin1String("seconds")).toInteger(-1);
        const qint64 micros = ts.value(QLatin1String("microseconds")).toInteger(-1);
        message.timestampUs
            = seconds >= 0 && seconds < (qint64(1) << 40) && micros >= 0 && micros < 1000000
            ? seconds * 1000000 + micros
            : 0;
    } else {
        m_error = QStringLiteral("unknown QMP message: %1").arg(QString::fromUtf8(line.left(200)));
        return false;
    }
    return true;
}

QByteArray QmpParser::command(const QString &name, const QJsonObject &arguments, qint64 id)
{
    QJsonObject object { { QStringLiteral("execute"), name }, { QStringLiteral("id"), id } };
    if (!arguments.isEmpty())
        object.insert(QStringLiteral("arguments"), arguments);
    return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
}

} // namespace vivarium
