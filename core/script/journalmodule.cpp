// The `_vivarium` functions behind checkpoints and rewinds (docs/workbench.md, "Checkpoints"):
// the call journal driver.py writes each driver call into, the replay that answers a rewound
// run's calls from the last run's journal, and checkpoint(). The replay's decisions are
// driver.py's (_Journaled); what touches the machines or the journal is here.
// clang-format off
#include "core/script/pythonmodule.h"
#include <pybind11/stl.h>
// clang-format on

#include "core/script/calljournal.h"
#include "core/script/runtimenetworks.h"
#include "core/script/scriptengine.h"
#include "core/util/textformat.h"

#include <QElapsedTimer>

namespace py = pybind11;

namespace vivarium::python {

namespace {

QByteArray bytes(const py::bytes &b)
{
    return QByteArray::fromStdString(std::string(b));
}

// Why the running machines cannot be checkpointed now, or empty.
QString checkpointObstacle(ScriptEngine *e, QStringList *running)
{
    for (Machine *m : e->run()->machines()) {
        if (!m->isRunning())
            continue;
        if (const QString obstacle = m->snapshotObstacle(); !obstacle.isEmpty())
            return formatText(u"machine %1 cannot be snapshotted: %2", m->name(), obstacle);
        *running << m->name();
    }
    if (!e->networks()->labels().isEmpty())
        return QStringLiteral("the script's own networks (vivarium.stateful) are not part of one");
    return {};
}

// Takes the network back to checkpoint without the GIL: its machines restored together, those
// that were not running then powered off. Returns why it could not (restoreAll refuses before
// it touches a machine where it can), or empty; *ms: how long it took.
QString restoreCheckpoint(ScriptEngine *e, const Checkpoint &checkpoint, qint64 *ms)
{
    const std::shared_ptr<const CallJournal> recorded = e->recorded();
    py::gil_scoped_release release;
    QElapsedTimer clock;
    clock.start();
    try {
        e->run()->rewindTo(
            checkpoint.snapshot, formatText(u"not running at checkpoint %1", checkpoint.label));
    } catch (const MachineError &error) {
        return QString::fromStdString(error.what());
    }
    *ms = clock.elapsed();
    // The last run's checkpoints after this one cannot be gone back to again (this run's
    // journal has those before it, and its own): their snapshots go, so a day of rewinds does
    // not fill the machines' disks.
    for (const Checkpoint &later : recorded ? recorded->checkpoints() : QList<Checkpoint>()) {
        if (later.index > checkpoint.index)
            e->run()->dropNetworkSnapshot(later.snapshot);
    }
    return {};
}

// The rewound run reached its checkpoint: the machines go back to it and the script on live.
void arrive(ScriptEngine *e, const Checkpoint &checkpoint)
{
    qint64 ms = 0;
    const QString failure = restoreCheckpoint(e, checkpoint, &ms);
    e->endReplay();
    if (!failure.isEmpty())
        raiseMachineError(formatText(
            u"Run from Here: the machines could not go back to checkpoint %1 (line %2): %3",
            checkpoint.label, checkpoint.line, failure));
    e->run()->events()->post(
        event::Rewound { checkpoint.label, checkpoint.line, checkpoint.index, ms, {} });
    e->announceCheckpoint(checkpoint);
}

// checkpoint(label): the network snapshotted now, when checkpoints are on and it can be; why
// not is said in the log once a run. Never fails the script: a checkpoint is the workbench's.
bool takeCheckpoint(const std::string &label, bool atSubtest)
{
    using Mode = ScriptEngine::Checkpoints;
    ScriptEngine *e = engine();
    const Mode mode = e ? e->checkpoints() : Mode::Off;
    if (mode == Mode::Off || (atSubtest && mode != Mode::AtSubtests))
        return false;
    const std::shared_ptr<CallJournal> journal = e->journal();
    QStringList running;
    QString why = checkpointObstacle(e, &running);
    if (why.isEmpty() && running.isEmpty())
        return false; // nothing runs: the start of the script is the checkpoint
    const ScriptLocation here = ScriptLocation::current();
    Checkpoint checkpoint { journal->size(), qs(label),
        QStringLiteral("checkpoint-%1").arg(journal->takeCheckpointNumber()), here.file, here.line,
        running };
    QElapsedTimer clock;
    clock.start();
    if (why.isEmpty()) {
        py::gil_scoped_release release;
        try {
            e->run()->snapshotAll(checkpoint.snapshot);
        } catch (const MachineError &error) {
            why = QString::fromStdString(error.what());
        }
    }
    if (!why.isEmpty()) {
        if (journal->firstRefusal())
            e->run()->events()->post(event::Log {
                formatText(u"no checkpoints in this run (line %1): %2", here.line, why) });
        return false;
    }
    journal->addCheckpoint(checkpoint);
    e->run()->events()->post(event::CheckpointTaken { checkpoint.label, checkpoint.snapshot,
        checkpoint.file, checkpoint.line, checkpoint.index, running, clock.elapsed() });
    e->announceCheckpoint(checkpoint);
    return true;
}

} // namespace

void defineJournal(py::module_ &m)
{
    // Only where a run can go back (the workbench): vivarium-test keeps no journal.
    m.def("journaling", [] {
        ScriptEngine *e = engine();
        return e && (e->checkpoints() != ScriptEngine::Checkpoints::Off || e->replaying());
    });
    m.def("journal_size", [] {
        ScriptEngine *e = engine();
        return e && e->journal() ? e->journal()->size() : 0;
    });
    m.def("journal_append",
        [](const std::string &function, const std::string &key, const py::bytes &arguments,
            const py::bytes &value, const std::string &errorType, const std::string &message) {
            ScriptEngine *e = engine();
            if (!e || !e->journal())
                return;
            const ScriptLocation here = ScriptLocation::current();
            e->journal()->append({ qs(function), qs(key), bytes(arguments), bytes(value),
                qs(errorType), qs(message), here.file, here.line, e->inConsole() });
        });
    m.def("replaying", [] {
        ScriptEngine *e = engine();
        return e && e->replaying();
    });
    // The last run's call at index: (function, key, value, error type, message, by hand), or
    // None.
    m.def("journal_recorded", [](int index) -> py::object {
        ScriptEngine *e = engine();
        const std::shared_ptr<const CallJournal> recorded = e ? e->recorded() : nullptr;
        const std::optional<JournalEntry> entry = recorded ? recorded->entry(index) : std::nullopt;
        if (!entry)
            return py::none();
        return py::make_tuple(ss(entry->function), ss(entry->key),
            py::bytes(entry->value.constData(), entry->value.size()), ss(entry->errorType),
            ss(entry->errorMessage), entry->byHand);
    });
    // The call at index was answered from the last run: it joins this run's journal, and at
    // the rewind's checkpoint the machines go back to it.
    m.def("journal_replayed", [](int index) {
        ScriptEngine *e = requireEngine();
        if (e->stopRequested())
            raiseStopped();
        const std::shared_ptr<const CallJournal> recorded = e->recorded();
        e->journal()->append(*recorded->entry(index));
        const std::optional<Checkpoint> checkpoint = recorded->checkpointAt(index);
        if (!checkpoint)
            return;
        e->journal()->addCheckpoint(*checkpoint);
        if (index == e->rewindTarget())
            arrive(e, *checkpoint);
        else
            e->announceCheckpoint(*checkpoint);
    });
    // The script went another way than the last run at call index: the machines go back to
    // the last checkpoint before it, and the calls answered since then are returned to be run
    // again live ((function, pickled arguments), ...). Without such a checkpoint the run
    // cannot go on from the machines as they are: vivarium.MachineError says so.
    m.def("rewind_diverged", [](int index, const std::string &call, const std::string &expected) {
        ScriptEngine *e = requireEngine();
        const std::shared_ptr<const CallJournal> recorded = e->recorded();
        const ScriptLocation here = ScriptLocation::current();
        const QString where
            = formatText(u"at line %1 the script calls %2 where the last run called %3", here.line,
                qs(call), qs(expected));
        const std::optional<Checkpoint> checkpoint = e->journal()->lastCheckpointBefore(index);
        e->endReplay();
        if (!checkpoint)
            raiseMachineError(
                formatText(u"Run from Here: %1, before any checkpoint, so it cannot go on from the "
                           u"machines as they are: run the test from the start",
                    where));
        qint64 ms = 0;
        if (const QString failure = restoreCheckpoint(e, *checkpoint, &ms); !failure.isEmpty())
            raiseMachineError(formatText(u"Run from Here: %1; the machines could not go back "
                                         u"to checkpoint %2 before it: %3",
                where, checkpoint->label, failure));
        py::list again;
        for (int i = checkpoint->index + 1; i < index; ++i) {
            const JournalEntry entry = *recorded->entry(i);
            again.append(py::make_tuple(ss(entry.function),
                py::bytes(entry.arguments.constData(), entry.arguments.size())));
        }
        e->run()->events()->post(event::Rewound { checkpoint->label, checkpoint->line, index, ms,
            formatText(u"%1: went on live from checkpoint %2, running the %3 call(s) "
                       u"after it again",
                where, checkpoint->label, py::len(again)) });
        return again;
    });
    m.def("checkpoint", &takeCheckpoint);
}

} // namespace vivarium::python
