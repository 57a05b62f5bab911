#pragma once

#include "core/event/events.h"

#include <QList>

namespace vivarium {

// What the end-of-run reports are made of: the recorded events and how the script ended.
struct ReportInput {
    QString testName;
    QString scriptFile;
    QString scriptSource;
    QList<RecordedEvent> events;
    ScriptResult result;
};

// junit.xml: one testcase per subtest (the whole script when it has none), a failure with the
// message, its line and the output of the failing subtest. Returns an error, or empty.
QString writeJunit(const QString &path, const ReportInput &input);
// log.html: one self-contained, searchable page: the outcome and failing line, the script with
// that line marked, nested subtests and actions with durations and results, log lines, link
// changes, screenshots inline, and every machine's serial output. Returns an error, or empty.
QString writeHtmlReport(const QString &path, const ReportInput &input);
// log.html's section of the script's vivarium.stateful properties (empty: none ran): each
// one's settings and outcome, the minimal failing case with its regression test (a link
// relative to reportPath), the shrink sequence, and every example with its steps, collapsed.
QString propertySections(const QList<RecordedEvent> &events, const QString &reportPath);

} // namespace vivarium
