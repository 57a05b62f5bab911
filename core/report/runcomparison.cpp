#include "core/report/runcomparison.h"

#include "core/report/eventrecorder.h"

#include <QFileInfo>
#include <QHash>
#include <algorithm>
#include <dtl/dtl.hpp>
#include <string>
#include <vector>

namespace vivarium {

namespace {

QString resultText(ActionEvent::Result result)
{
    return ActionEvent::resultName(result);
}

// Why two aligned steps differ, or empty.
QString difference(const RunStep &a, const RunStep &b)
{
    if (a.what != b.what)
        return QStringLiteral("other arguments");
    if (a.result != b.result)
        return QStringLiteral("%1 in run A, %2 in run B")
            .arg(resultText(a.result), resultText(b.result));
    if (a.result != ActionEvent::Result::Ok && a.message != b.message)
        return QStringLiteral("another error");
    if (a.outputDigest != b.outputDigest)
        return QStringLiteral("other output");
    return {};
}

} // namespace

QString RunStep::alignmentKey() const
{
    return QString::number(line) + QLatin1Char(' ') + QFileInfo(file).fileName() + QLatin1Char(' ')
        + call;
}

QList<RunStep> RunStep::of(const QList<RecordedEvent> &events)
{
    QList<RunStep> steps;
    QHash<quint64, qsizetype> actionAt; // action id -> its step
    QList<qsizetype> openSubtests;
    for (const RecordedEvent &recorded : events) {
        const Event &e = recorded.event;
        if (const auto *started = std::get_if<event::ActionStarted>(&e)) {
            RunStep step;
            step.file = started->action.file;
            step.line = started->action.line;
            step.call = started->action.machine + QLatin1Char('.') + started->action.action;
            step.what = QStringLiteral("%1(%2)").arg(
                step.call, started->action.argumentsText(false, 200));
            step.result = ActionEvent::Result::Running;
            actionAt.insert(started->action.id, steps.size());
            steps << step;
        } else if (const auto *finished = std::get_if<event::ActionFinished>(&e)) {
            const qsizetype at = actionAt.value(finished->action.id, -1);
            if (at < 0)
                continue;
            RunStep &step = steps[at];
            step.result = finished->action.result;
            step.message = finished->action.message;
            step.output = finished->action.outputText();
            step.outputDigest = finished->action.outputDigest;
            step.durationMs = finished->action.durationMs;
        } else if (const auto *subtest = std::get_if<event::SubtestStarted>(&e)) {
            RunStep step;
            step.file = subtest->file;
            step.line = subtest->line;
            step.what = QStringLiteral("subtest \"%1\"").arg(subtest->name);
            step.call = step.what;
            step.subtest = true;
            step.result = ActionEvent::Result::Running;
            openSubtests << steps.size();
            steps << step;
        } else if (const auto *done = std::get_if<event::SubtestFinished>(&e)) {
            if (openSubtests.isEmpty())
                continue;
            RunStep &step = steps[openSubtests.takeLast()];
            step.result = done->passed ? ActionEvent::Result::Ok : ActionEvent::Result::Failed;
            step.message = done->message;
            step.durationMs = done->durationMs;
        }
    }
    return steps;
}

RunComparison RunComparison::compare(QList<RunStep> a, QList<RunStep> b)
{
    RunComparison c;
    c.stepsA = std::move(a);
    c.stepsB = std::move(b);
    std::vector<std::string> keysA, keysB;
    for (const RunStep &step : std::as_const(c.stepsA))
        keysA.push_back(step.alignmentKey().toStdString());
    for (const RunStep &step : std::as_const(c.stepsB))
        keysB.push_back(step.alignmentKey().toStdString());
    dtl::Diff<std::string, std::vector<std::string>> diff(keysA, keysB);
    diff.compose();
    // Indexes in the edit script are 1-based.
    for (const auto &[key, info] : diff.getSes().getSequence()) {
        Row row;
        if (info.type == dtl::SES_COMMON) {
            row.a = int(info.beforeIdx - 1);
            row.b = int(info.afterIdx - 1);
            row.difference = difference(c.stepsA.at(row.a), c.stepsB.at(row.b));
        } else if (info.type == dtl::SES_DELETE) {
            row.a = int(info.beforeIdx - 1);
            row.difference = QStringLiteral("only in run A");
        } else {
            row.b = int(info.afterIdx - 1);
            row.difference = QStringLiteral("only in run B");
        }
        c.rows << row;
    }
    for (const bool subtests : { false, true }) {
        for (int i = 0; i < c.rows.size() && c.firstDifference < 0; ++i) {
            const Row &row = c.rows.at(i);
            const RunStep &step = row.a >= 0 ? c.stepsA.at(row.a) : c.stepsB.at(row.b);
            if (!row.difference.isEmpty() && step.subtest == subtests)
                c.firstDifference = i;
        }
    }
    for (int i = 0; i < c.rows.size(); ++i) {
        const Row &row = c.rows.at(i);
        if (row.a >= 0 && row.b >= 0)
            c.durationChanges << DurationChange { i, c.stepsA.at(row.a).durationMs,
                c.stepsB.at(row.b).durationMs };
    }
    std::stable_sort(c.durationChanges.begin(), c.durationChanges.end(),
        [](const DurationChange &x, const DurationChange &y) {
            return std::abs(x.bMs - x.aMs) > std::abs(y.bMs - y.aMs);
        });
    if (c.durationChanges.size() > maxChanges)
        c.durationChanges.resize(maxChanges);
    return c;
}

bool RunComparison::compareRuns(
    const QString &directoryA, const QString &directoryB, RunComparison *comparison, QString *error)
{
    QList<RunStep> steps[2];
    const QString directories[2] = { directoryA, directoryB };
    for (int i = 0; i < 2; ++i) {
        const QString path = directories[i] + QStringLiteral("/events.jsonl");
        if (!QFileInfo::exists(path)) {
            *error = QStringLiteral("%1 is not a run's directory: it has no events.jsonl")
                         .arg(directories[i]);
            return false;
        }
        QString readError;
        steps[i] = RunStep::of(EventRecorder::read(path, &readError));
        if (!readError.isEmpty()) {
            *error = readError;
            return false;
        }
    }
    *comparison = compare(steps[0], steps[1]);
    return true;
}

QString RunComparison::summary() const
{
    QString text
        = QStringLiteral("%1 steps in run A, %2 in run B\n").arg(stepsA.size()).arg(stepsB.size());
    const auto where = [](const RunStep &step) {
        return QStringLiteral("%1:%2 %3")
            .arg(QFileInfo(step.file).fileName())
            .arg(step.line)
            .arg(step.what);
    };
    if (firstDifference < 0) {
        text += QStringLiteral("the runs took the same steps with the same results\n");
    } else {
        const Row &row = rows.at(firstDifference);
        const RunStep &step = row.a >= 0 ? stepsA.at(row.a) : stepsB.at(row.b);
        text += QStringLiteral("first difference, step %1: %2: %3\n")
                    .arg(firstDifference + 1)
                    .arg(where(step), row.difference);
        const auto side = [&](const char *name, int index, const QList<RunStep> &steps) {
            if (index < 0)
                return QStringLiteral("  run %1: -\n").arg(QLatin1String(name));
            const RunStep &s = steps.at(index);
            QString detail
                = s.result == ActionEvent::Result::Ok ? s.output.left(200) : s.message.left(200);
            detail.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
            return QStringLiteral("  run %1: %2 %3\n")
                .arg(QLatin1String(name), resultText(s.result), detail);
        };
        text += side("A", row.a, stepsA) + side("B", row.b, stepsB);
    }
    if (!durationChanges.isEmpty())
        text += QStringLiteral("durations that changed most:\n");
    for (const DurationChange &change : durationChanges) {
        const Row &row = rows.at(change.row);
        text += QStringLiteral("  %1 ms -> %2 ms  %3\n")
                    .arg(change.aMs)
                    .arg(change.bMs)
                    .arg(where(stepsA.at(row.a)));
    }
    return text;
}

} // namespace vivarium
