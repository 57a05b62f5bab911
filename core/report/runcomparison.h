#pragma once

#include "core/event/actionevent.h"
#include "core/event/events.h"

#include <QList>
#include <QString>

namespace vivarium {

// One step of a run as the comparison sees it: a driver call or a subtest, at its script line.
struct RunStep {
    QString file;
    int line = 0;
    QString call; // web.succeed, or subtest "name": what aligns
    QString what; // web.succeed("curl ..."), or subtest "name": with the arguments
    ActionEvent::Result result = ActionEvent::Result::Ok;
    QString message; // the error
    QString output; // what the call gave back, cut (ActionEvent::output as text)
    QString outputDigest; // of the whole output
    qint64 durationMs = 0;
    bool subtest = false;

    // Two steps are the same step of the script when they are the same call at the same line
    // (with other arguments they are the same step, differing).
    QString alignmentKey() const;
    // The steps of a run, in the order they started.
    static QList<RunStep> of(const QList<RecordedEvent> &events);
};

// Two runs of one test side by side, aligned by script line (the shortest edit script between
// their step sequences: a step only one run took sits beside a gap), the first row where they
// differ (a step only one took, another result, other output or another error) and the steps
// whose durations changed most: what a user looks at for a flaky test.
struct RunComparison {
    struct Row {
        int a = -1; // index into stepsA, -1: run A has no such step here
        int b = -1;
        QString difference; // empty when the two agree
    };
    struct DurationChange {
        int row = 0;
        qint64 aMs = 0;
        qint64 bMs = 0;
    };
    QList<RunStep> stepsA;
    QList<RunStep> stepsB;
    QList<Row> rows;
    // Index into rows: the first call that differs (a subtest's result follows from its calls:
    // it is the first difference only when no call differs), -1 when none does.
    int firstDifference = -1;
    QList<DurationChange> durationChanges; // the largest changes first, at most maxChanges
    static constexpr int maxChanges = 10;

    static RunComparison compare(QList<RunStep> a, QList<RunStep> b);
    // Both runs' events.jsonl; false with *error when one cannot be read.
    static bool compareRuns(const QString &directoryA, const QString &directoryB,
        RunComparison *comparison, QString *error);
    // The comparison as text (vivarium-test --compare): the first difference and the changes.
    QString summary() const;
};

} // namespace vivarium
