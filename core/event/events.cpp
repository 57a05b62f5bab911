#include "core/event/events.h"

#include "core/spec/linkfields.h"

#include <QJsonArray>

namespace vivarium {

namespace {

using namespace event;

// One table of the event kinds: the type name in events.jsonl, and both directions of the
// conversion. Kept together so that a field added to a struct is added to its JSON beside it.
template<typename T> struct Kind;

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

int integer(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toInt();
}

bool boolean(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toBool();
}

qint64 milliseconds(const QJsonObject &o)
{
    return o.value(QStringLiteral("duration_ms")).toInteger();
}

QStringList strings(const QJsonObject &o, const char *key)
{
    QStringList list;
    for (const QJsonValue &v : o.value(QLatin1String(key)).toArray())
        list << v.toString();
    return list;
}

template<> struct Kind<RunStarted> {
    static constexpr const char *name = "run_started";
    static QJsonObject json(const RunStarted &e)
    {
        return { { QStringLiteral("test"), e.test }, { QStringLiteral("script"), e.scriptFile },
            { QStringLiteral("output"), e.outDir } };
    }
    static RunStarted read(const QJsonObject &o)
    {
        return { str(o, "test"), str(o, "script"), str(o, "output") };
    }
};
template<> struct Kind<ActionStarted> {
    static constexpr const char *name = "action_started";
    static QJsonObject json(const ActionStarted &e) { return e.action.toJson(); }
    static ActionStarted read(const QJsonObject &o) { return { ActionEvent::fromJson(o) }; }
};
template<> struct Kind<ActionFinished> {
    static constexpr const char *name = "action_finished";
    static QJsonObject json(const ActionFinished &e) { return e.action.toJson(); }
    static ActionFinished read(const QJsonObject &o) { return { ActionEvent::fromJson(o) }; }
};
template<> struct Kind<MachineState> {
    static constexpr const char *name = "machine_state";
    static QJsonObject json(const MachineState &e)
    {
        return { { QStringLiteral("machine"), e.machine }, { QStringLiteral("state"), e.state },
            { QStringLiteral("detail"), e.detail } };
    }
    static MachineState read(const QJsonObject &o)
    {
        return { str(o, "machine"), str(o, "state"), str(o, "detail") };
    }
};
template<> struct Kind<ConsoleLine> {
    static constexpr const char *name = "console";
    static QJsonObject json(const ConsoleLine &e)
    {
        return { { QStringLiteral("machine"), e.machine }, { QStringLiteral("line"), e.line } };
    }
    static ConsoleLine read(const QJsonObject &o) { return { str(o, "machine"), str(o, "line") }; }
};
template<> struct Kind<Log> {
    static constexpr const char *name = "log";
    static QJsonObject json(const Log &e) { return { { QStringLiteral("text"), e.text } }; }
    static Log read(const QJsonObject &o) { return { str(o, "text") }; }
};
template<> struct Kind<SubtestStarted> {
    static constexpr const char *name = "subtest_started";
    static QJsonObject json(const SubtestStarted &e)
    {
        return { { QStringLiteral("name"), e.name }, { QStringLiteral("file"), e.file },
            { QStringLiteral("line"), e.line } };
    }
    static SubtestStarted read(const QJsonObject &o)
    {
        return { str(o, "name"), str(o, "file"), integer(o, "line") };
    }
};
template<> struct Kind<SubtestFinished> {
    static constexpr const char *name = "subtest_finished";
    static QJsonObject json(const SubtestFinished &e)
    {
        return { { QStringLiteral("name"), e.name }, { QStringLiteral("passed"), e.passed },
            { QStringLiteral("message"), e.message },
            { QStringLiteral("duration_ms"), e.durationMs } };
    }
    static SubtestFinished read(const QJsonObject &o)
    {
        return { str(o, "name"), o.value(QStringLiteral("passed")).toBool(), str(o, "message"),
            o.value(QStringLiteral("duration_ms")).toInteger() };
    }
};
template<> struct Kind<LinkChanged> {
    static constexpr const char *name = "link";
    static QJsonObject json(const LinkChanged &e)
    {
        QJsonObject o {
            { QStringLiteral("machine"), e.machine },
            { QStringLiteral("vlan"), e.vlan },
            { QStringLiteral("interface"), e.interface },
            { QStringLiteral("mac"), e.mac },
            { QStringLiteral("ipv4"), e.ipv4 },
            { QStringLiteral("ipv6"), e.ipv6 },
            { QStringLiteral("up"), e.up },
            { QStringLiteral("blocked"), e.blocked },
            { QStringLiteral("capture"), e.capturePath },
        };
        for (const LinkField &field : linkFields())
            o.insert(QLatin1String(field.key), field.get(e.settings));
        return o;
    }
    static LinkChanged read(const QJsonObject &o)
    {
        LinkChanged e { str(o, "machine"), integer(o, "vlan"), str(o, "interface"), str(o, "mac"),
            str(o, "ipv4"), str(o, "ipv6"), o.value(QStringLiteral("up")).toBool(),
            o.value(QStringLiteral("blocked")).toBool(), {}, str(o, "capture") };
        for (const LinkField &field : linkFields())
            field.set(e.settings, o.value(QLatin1String(field.key)).toDouble());
        return e;
    }
};
template<> struct Kind<VlanChanged> {
    static constexpr const char *name = "vlan";
    static QJsonObject json(const VlanChanged &e)
    {
        return { { QStringLiteral("vlan"), e.vlan },
            { QStringLiteral("machines"), QJsonArray::fromStringList(e.machines) },
            { QStringLiteral("up"), e.up }, { QStringLiteral("capture"), e.capturePath } };
    }
    static VlanChanged read(const QJsonObject &o)
    {
        QStringList machines;
        for (const QJsonValue &m : o.value(QStringLiteral("machines")).toArray())
            machines << m.toString();
        return { integer(o, "vlan"), machines, o.value(QStringLiteral("up")).toBool(),
            str(o, "capture") };
    }
};
template<> struct Kind<NetworkFailed> {
    static constexpr const char *name = "network_failed";
    static QJsonObject json(const NetworkFailed &e)
    {
        return { { QStringLiteral("message"), e.message } };
    }
    static NetworkFailed read(const QJsonObject &o) { return { str(o, "message") }; }
};
template<> struct Kind<ScriptPaused> {
    static constexpr const char *name = "script_paused";
    static QJsonObject json(const ScriptPaused &e)
    {
        QJsonObject o { { QStringLiteral("file"), e.file }, { QStringLiteral("line"), e.line },
            { QStringLiteral("reason"), e.reason } };
        if (!e.message.isEmpty())
            o.insert(QStringLiteral("message"), e.message);
        return o;
    }
    static ScriptPaused read(const QJsonObject &o)
    {
        return { str(o, "file"), integer(o, "line"), str(o, "reason"), str(o, "message") };
    }
};
template<> struct Kind<ScriptResumed> {
    static constexpr const char *name = "script_resumed";
    static QJsonObject json(const ScriptResumed &) { return {}; }
    static ScriptResumed read(const QJsonObject &) { return {}; }
};
template<> struct Kind<SerialStdout> {
    static constexpr const char *name = "serial_stdout";
    static QJsonObject json(const SerialStdout &e) { return { { QStringLiteral("on"), e.on } }; }
    static SerialStdout read(const QJsonObject &o)
    {
        return { o.value(QStringLiteral("on")).toBool() };
    }
};
template<> struct Kind<MachineAdded> {
    static constexpr const char *name = "machine_added";
    static QJsonObject json(const MachineAdded &e)
    {
        QJsonArray vlans;
        for (int vlan : e.vlans)
            vlans.append(vlan);
        return { { QStringLiteral("machine"), e.machine }, { QStringLiteral("vlans"), vlans },
            { QStringLiteral("memory"), e.memoryMiB }, { QStringLiteral("init"), e.init },
            { QStringLiteral("graphics"), e.graphics } };
    }
    static MachineAdded read(const QJsonObject &o)
    {
        QList<int> vlans;
        for (const QJsonValue &v : o.value(QStringLiteral("vlans")).toArray())
            vlans << v.toInt();
        return { str(o, "machine"), vlans, integer(o, "memory"), str(o, "init"),
            boolean(o, "graphics") };
    }
};
template<> struct Kind<VideoStarted> {
    static constexpr const char *name = "video_started";
    static QJsonObject json(const VideoStarted &e)
    {
        return { { QStringLiteral("machine"), e.machine }, { QStringLiteral("path"), e.path },
            { QStringLiteral("start_ms"), e.startMs } };
    }
    static VideoStarted read(const QJsonObject &o)
    {
        return { o.value(QStringLiteral("machine")).toString(),
            o.value(QStringLiteral("path")).toString(),
            qint64(o.value(QStringLiteral("start_ms")).toDouble()) };
    }
};
template<> struct Kind<PropertyStarted> {
    static constexpr const char *name = "property_started";
    static QJsonObject json(const PropertyStarted &e)
    {
        return { { QStringLiteral("name"), e.name }, { QStringLiteral("examples"), e.examples },
            { QStringLiteral("steps"), e.steps }, { QStringLiteral("seed"), e.seed },
            { QStringLiteral("mode"), e.mode } };
    }
    static PropertyStarted read(const QJsonObject &o)
    {
        return { str(o, "name"), integer(o, "examples"), integer(o, "steps"), str(o, "seed"),
            str(o, "mode") };
    }
};

template<> struct Kind<PropertyStep> {
    static constexpr const char *name = "property_step";
    static QJsonObject json(const PropertyStep &e)
    {
        return { { QStringLiteral("property"), e.property },
            { QStringLiteral("example"), e.example }, { QStringLiteral("phase"), e.phase },
            { QStringLiteral("index"), e.index }, { QStringLiteral("step"), e.step } };
    }
    static PropertyStep read(const QJsonObject &o)
    {
        return { str(o, "property"), integer(o, "example"), str(o, "phase"), integer(o, "index"),
            str(o, "step") };
    }
};

template<> struct Kind<PropertyExample> {
    static constexpr const char *name = "property_example";
    static QJsonObject json(const PropertyExample &e)
    {
        return { { QStringLiteral("property"), e.property },
            { QStringLiteral("example"), e.example }, { QStringLiteral("phase"), e.phase },
            { QStringLiteral("network"), e.network },
            { QStringLiteral("steps"), QJsonArray::fromStringList(e.steps) },
            { QStringLiteral("passed"), e.passed }, { QStringLiteral("message"), e.message },
            { QStringLiteral("duration_ms"), e.durationMs },
            { QStringLiteral("coverage"), e.coverage } };
    }
    static PropertyExample read(const QJsonObject &o)
    {
        return { str(o, "property"), integer(o, "example"), str(o, "phase"), str(o, "network"),
            strings(o, "steps"), boolean(o, "passed"), str(o, "message"), milliseconds(o),
            str(o, "coverage") };
    }
};

template<> struct Kind<PropertyFinished> {
    static constexpr const char *name = "property_finished";
    static QJsonObject json(const PropertyFinished &e)
    {
        return { { QStringLiteral("name"), e.name }, { QStringLiteral("passed"), e.passed },
            { QStringLiteral("examples"), e.examples }, { QStringLiteral("failing"), e.failing },
            { QStringLiteral("seed"), e.seed }, { QStringLiteral("network"), e.network },
            { QStringLiteral("steps"), QJsonArray::fromStringList(e.steps) },
            { QStringLiteral("regression_test"), e.regressionTest },
            { QStringLiteral("message"), e.message },
            { QStringLiteral("duration_ms"), e.durationMs },
            { QStringLiteral("rules"), QJsonArray::fromStringList(e.rules) } };
    }
    static PropertyFinished read(const QJsonObject &o)
    {
        return { str(o, "name"), boolean(o, "passed"), integer(o, "examples"),
            integer(o, "failing"), str(o, "seed"), str(o, "network"), strings(o, "steps"),
            str(o, "regression_test"), str(o, "message"), milliseconds(o), strings(o, "rules") };
    }
};

template<> struct Kind<NetworkCreated> {
    static constexpr const char *name = "network_created";
    static QJsonObject json(const NetworkCreated &e)
    {
        return { { QStringLiteral("label"), e.label },
            { QStringLiteral("machines"), QJsonArray::fromStringList(e.machines) },
            { QStringLiteral("toml"), e.toml } };
    }
    static NetworkCreated read(const QJsonObject &o)
    {
        return { str(o, "label"), strings(o, "machines"), str(o, "toml") };
    }
};

template<> struct Kind<NetworkDestroyed> {
    static constexpr const char *name = "network_destroyed";
    static QJsonObject json(const NetworkDestroyed &e)
    {
        return { { QStringLiteral("label"), e.label } };
    }
    static NetworkDestroyed read(const QJsonObject &o) { return { str(o, "label") }; }
};

template<> struct Kind<CheckpointTaken> {
    static constexpr const char *name = "checkpoint";
    static QJsonObject json(const CheckpointTaken &e)
    {
        return { { QStringLiteral("label"), e.label }, { QStringLiteral("snapshot"), e.snapshot },
            { QStringLiteral("file"), e.file }, { QStringLiteral("line"), e.line },
            { QStringLiteral("index"), e.index },
            { QStringLiteral("machines"), QJsonArray::fromStringList(e.machines) },
            { QStringLiteral("duration_ms"), e.durationMs } };
    }
    static CheckpointTaken read(const QJsonObject &o)
    {
        return { str(o, "label"), str(o, "snapshot"), str(o, "file"), integer(o, "line"),
            integer(o, "index"), strings(o, "machines"), milliseconds(o) };
    }
};

template<> struct Kind<Rewound> {
    static constexpr const char *name = "rewound";
    static QJsonObject json(const Rewound &e)
    {
        QJsonObject o { { QStringLiteral("label"), e.label }, { QStringLiteral("line"), e.line },
            { QStringLiteral("replayed_calls"), e.replayedCalls },
            { QStringLiteral("restore_ms"), e.restoreMs } };
        if (!e.diverged.isEmpty())
            o.insert(QStringLiteral("diverged"), e.diverged);
        return o;
    }
    static Rewound read(const QJsonObject &o)
    {
        return { str(o, "label"), integer(o, "line"), integer(o, "replayed_calls"),
            o.value(QStringLiteral("restore_ms")).toInteger(), str(o, "diverged") };
    }
};

template<> struct Kind<CoverageCollected> {
    static constexpr const char *name = "coverage_collected";
    static QJsonObject json(const CoverageCollected &e) { return e.summary; }
    static CoverageCollected read(const QJsonObject &o)
    {
        QJsonObject summary = o;
        summary.remove(QStringLiteral("type"));
        summary.remove(QStringLiteral("t"));
        return { summary };
    }
};
template<> struct Kind<Finished> {
    static constexpr const char *name = "finished";
    static QJsonObject json(const Finished &e)
    {
        const ScriptResult &r = e.result;
        return { { QStringLiteral("outcome"), ScriptResult::outcomeName(r.outcome) },
            { QStringLiteral("message"), r.message }, { QStringLiteral("file"), r.file },
            { QStringLiteral("line"), r.line }, { QStringLiteral("traceback"), r.traceback },
            { QStringLiteral("skipped"), QJsonArray::fromStringList(r.skipped) },
            { QStringLiteral("replaced"), QJsonArray::fromStringList(r.replaced) } };
    }
    static Finished read(const QJsonObject &o)
    {
        ScriptResult r;
        r.outcome
            = ScriptResult::outcomeNamed(str(o, "outcome")).value_or(ScriptResult::Outcome::Failed);
        r.message = str(o, "message");
        r.file = str(o, "file");
        r.line = integer(o, "line");
        r.traceback = str(o, "traceback");
        for (const QJsonValue &skipped : o.value(QStringLiteral("skipped")).toArray())
            r.skipped << skipped.toString();
        for (const QJsonValue &replaced : o.value(QStringLiteral("replaced")).toArray())
            r.replaced << replaced.toString();
        return { r };
    }
};

// Tries every alternative of the variant for the type name.
template<std::size_t I = 0>
std::optional<Event> readAlternative(const QString &type, const QJsonObject &o)
{
    if constexpr (I < std::variant_size_v<Event>) {
        using T = std::variant_alternative_t<I, Event>;
        if (type == QLatin1String(Kind<T>::name))
            return Event { Kind<T>::read(o) };
        return readAlternative<I + 1>(type, o);
    } else {
        return std::nullopt;
    }
}

} // namespace

QString event::MachineAdded::text() const
{
    QStringList numbers;
    for (int vlan : vlans)
        numbers << QString::number(vlan);
    const QString where = vlans.isEmpty() ? QStringLiteral("no VLAN")
        : vlans.size() == 1               ? QStringLiteral("VLAN ") + numbers.first()
                            : QStringLiteral("VLANs ") + numbers.join(QStringLiteral(", "));
    return QStringLiteral("added machine %1 (%2 MiB, %3%4, %5)")
        .arg(machine)
        .arg(memoryMiB)
        .arg(init, graphics ? QStringLiteral(", graphics") : QString(), where);
}

QString event::Rewound::text() const
{
    QString text = QStringLiteral("rewound to checkpoint %1 (line %2): %3 call(s) before it "
                                  "answered from the last run, the machines restored in %4 ms")
                       .arg(label)
                       .arg(line)
                       .arg(replayedCalls)
                       .arg(restoreMs);
    if (!diverged.isEmpty())
        text += QStringLiteral("; ") + diverged;
    return text;
}

QString eventTypeName(const Event &event)
{
    return std::visit(
        [](const auto &e) { return QLatin1String(Kind<std::decay_t<decltype(e)>>::name); }, event);
}

QJsonObject eventFields(const Event &event)
{
    return std::visit(
        [](const auto &e) { return Kind<std::decay_t<decltype(e)>>::json(e); }, event);
}

QJsonObject toJson(const RecordedEvent &recorded)
{
    QJsonObject o = eventFields(recorded.event);
    o.insert(QStringLiteral("type"), eventTypeName(recorded.event));
    o.insert(QStringLiteral("t"), recorded.t);
    return o;
}

std::optional<RecordedEvent> eventFromJson(const QJsonObject &object)
{
    std::optional<Event> event
        = readAlternative(object.value(QStringLiteral("type")).toString(), object);
    if (!event)
        return std::nullopt;
    return RecordedEvent { object.value(QStringLiteral("t")).toInteger(), std::move(*event) };
}

quint64 EventLog::nextId()
{
    // Unique in the process, not per log: a property's example networks have logs of their own
    // whose actions reach the same action log (ids that restarted per example showed 238
    // actions as 16 rows).
    static std::atomic<quint64> next { 1 };
    return next++;
}

} // namespace vivarium
