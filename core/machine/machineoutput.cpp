// What each driver call gave back, as its action event records it (ActionEvent::output): the
// value the script sees, in JSON, so reports show it and two runs can be compared by it.
#include "core/machine/machine.h"

#include <QJsonArray>

namespace vivarium {

QJsonValue &Machine::actionOutput()
{
    thread_local QJsonValue output;
    return output;
}

QJsonValue Machine::outputValue(const QString &text)
{
    return text;
}

QJsonValue Machine::outputValue(const CommandResult &command)
{
    return QJsonArray { command.status, QString::fromUtf8(command.stdoutBytes) };
}

QJsonValue Machine::outputValue(const QMap<QString, QString> &values)
{
    QJsonObject object;
    for (auto it = values.begin(); it != values.end(); ++it)
        object.insert(it.key(), it.value());
    return object;
}

QJsonValue Machine::outputValue(const QSize &size)
{
    return QJsonArray { size.width(), size.height() };
}

QJsonValue Machine::outputValue(const QStringList &texts)
{
    return QJsonArray::fromStringList(texts);
}

QJsonValue Machine::outputValue(const QList<QRect> &boxes)
{
    QJsonArray array;
    for (const QRect &box : boxes)
        array.append(QJsonArray { box.x(), box.y(), box.width(), box.height() });
    return array;
}

QJsonValue Machine::outputValue(const QVariantMap &values)
{
    return values.isEmpty() ? QJsonValue() : QJsonValue(QJsonObject::fromVariantMap(values));
}

} // namespace vivarium
