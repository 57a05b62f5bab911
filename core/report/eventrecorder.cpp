#include "eventrecorder.h"

#include "../network/network.h"
#include "../script/scriptengine.h"

#include <QDateTime>
#include <QJsonDocument>

namespace vivarium {

namespace {

QJsonObject typed(const QString &type, QJsonObject object = {})
{
    object.insert(QStringLiteral("type"), type);
    return object;
}

} // namespace

EventRecorder::EventRecorder(const QString &path, QObject *parent)
    : QObject(parent)
    , m_file(path)
{
    if (!path.isEmpty())
        m_file.open(QIODevice::WriteOnly | QIODevice::Truncate);
}

void EventRecorder::record(QJsonObject event)
{
    if (!event.contains(QStringLiteral("t")))
        event.insert(QStringLiteral("t"), QDateTime::currentMSecsSinceEpoch());
    {
        std::lock_guard lock(m_mutex);
        m_events.append(event);
        if (m_file.isOpen()) {
            m_file.write(QJsonDocument(event).toJson(QJsonDocument::Compact) + '\n');
            m_file.flush();
        }
    }
    emit recorded(event);
}

QList<QJsonObject> EventRecorder::events() const
{
    std::lock_guard lock(m_mutex);
    return m_events;
}

void EventRecorder::watch(EventLog *events)
{
    const auto direct = Qt::DirectConnection;
    connect(
        events, &EventLog::actionStarted, this,
        [this](
            const ActionEvent &e) { record(typed(QStringLiteral("action_started"), e.toJson())); },
        direct);
    connect(
        events, &EventLog::actionFinished, this,
        [this](
            const ActionEvent &e) { record(typed(QStringLiteral("action_finished"), e.toJson())); },
        direct);
    connect(
        events, &EventLog::machineStateChanged, this,
        [this](const QString &machine, const QString &state, const QString &detail) {
            record(typed(QStringLiteral("machine_state"),
                { { QStringLiteral("machine"), machine }, { QStringLiteral("state"), state },
                    { QStringLiteral("detail"), detail } }));
        },
        direct);
    connect(
        events, &EventLog::consoleLine, this,
        [this](const QString &machine, const QString &line) {
            record(typed(QStringLiteral("console"),
                { { QStringLiteral("machine"), machine }, { QStringLiteral("line"), line } }));
        },
        direct);
    connect(
        events, &EventLog::logMessage, this,
        [this](const QString &text) {
            record(typed(QStringLiteral("log"), { { QStringLiteral("text"), text } }));
        },
        direct);
    connect(
        events, &EventLog::subtestStarted, this,
        [this](const QString &name, const QString &file, int line) {
            record(typed(QStringLiteral("subtest_started"),
                { { QStringLiteral("name"), name }, { QStringLiteral("file"), file },
                    { QStringLiteral("line"), line } }));
        },
        direct);
    connect(
        events, &EventLog::subtestFinished, this,
        [this](const QString &name, bool passed, const QString &message, qint64 durationMs) {
            record(typed(QStringLiteral("subtest_finished"),
                { { QStringLiteral("name"), name }, { QStringLiteral("passed"), passed },
                    { QStringLiteral("message"), message },
                    { QStringLiteral("duration_ms"), durationMs } }));
        },
        direct);
}

void EventRecorder::watch(Network *network)
{
    connect(
        network, &Network::linkChanged, this,
        [this](const LinkState &link) { record(typed(QStringLiteral("link"), link.toJson())); },
        Qt::DirectConnection);
    connect(
        network, &Network::vlanChanged, this,
        [this](const VlanState &vlan) { record(typed(QStringLiteral("vlan"), vlan.toJson())); },
        Qt::DirectConnection);
    connect(
        network, &Network::failed, this,
        [this](const QString &message) {
            record(typed(
                QStringLiteral("network_failed"), { { QStringLiteral("message"), message } }));
        },
        Qt::DirectConnection);
}

void EventRecorder::watch(ScriptEngine *engine)
{
    connect(
        engine, &ScriptEngine::paused, this,
        [this](const QString &file, int line, const QString &reason) {
            record(typed(QStringLiteral("script_paused"),
                { { QStringLiteral("file"), file }, { QStringLiteral("line"), line },
                    { QStringLiteral("reason"), reason } }));
        },
        Qt::DirectConnection);
    connect(
        engine, &ScriptEngine::failurePaused, this,
        [this](const QString &file, int line, const QString &message) {
            record(typed(QStringLiteral("script_paused"),
                { { QStringLiteral("file"), file }, { QStringLiteral("line"), line },
                    { QStringLiteral("reason"), QStringLiteral("failure") },
                    { QStringLiteral("message"), message } }));
        },
        Qt::DirectConnection);
    connect(
        engine, &ScriptEngine::resumed, this,
        [this] { record(typed(QStringLiteral("script_resumed"))); }, Qt::DirectConnection);
}

void EventRecorder::recordResult(const ScriptResult &result)
{
    record(typed(QStringLiteral("finished"),
        { { QStringLiteral("outcome"), ScriptResult::outcomeName(result.outcome) },
            { QStringLiteral("message"), result.message }, { QStringLiteral("file"), result.file },
            { QStringLiteral("line"), result.line },
            { QStringLiteral("traceback"), result.traceback } }));
}

} // namespace vivarium
