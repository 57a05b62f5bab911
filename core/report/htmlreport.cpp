#include "core/coverage/coveragecollector.h"
#include "core/report/reports.h"
#include "core/util/textformat.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QSaveFile>

namespace vivarium {

namespace {

const char *const style = R"css(
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5em 3em; color: #222; }
header { position: sticky; top: 0; background: #fff; padding: .6em 0; border-bottom: 1px solid #ddd; }
h1 { font-size: 1.3em; margin: .2em 0; }
.coverage { margin: .3em 0; } .coverage-problem { color: #8a5a00; }
.passed { color: #17702c; } .failed, .timedout, .stopped { color: #b3261e; }
input#filter { width: 30em; padding: .3em; }
table { border-collapse: collapse; width: 100%; }
td { padding: .15em .5em; vertical-align: top; border-bottom: 1px solid #f0f0f0; }
td.time, td.duration { color: #777; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.fail td { background: #fdecea; } tr.log td { color: #444; font-style: italic; }
tr.link td { color: #5b3f99; } tr.state td { color: #777; }
details.subtest { margin: .4em 0; border-left: 3px solid #ccc; padding-left: .6em; }
details.subtest.fail { border-color: #b3261e; }
summary { cursor: pointer; font-weight: 600; }
section.property { border-left: 3px solid #17702c; padding-left: .6em; margin: .6em 0; }
section.property:has(span.failed) { border-color: #b3261e; }
ul.rules li.warning { color: #8a5a00; }
details.example { margin-left: 1em; } details.example.fail summary { color: #b3261e; }
pre { background: #f7f7f7; padding: .5em; overflow-x: auto; margin: .2em 0; }
pre.script span { display: block; } pre.script span.failing { background: #f9d0cc; font-weight: bold; }
pre.script span::before { content: attr(data-line); display: inline-block; width: 3em; color: #999; }
img.shot { max-width: 480px; border: 1px solid #ccc; display: block; margin: .3em 0; }
.hidden { display: none; }
aside.videos { position: fixed; right: 1em; bottom: 1em; width: 440px; background: #fff;
  border: 1px solid #ccc; box-shadow: 0 2px 8px #0003; padding: .4em; z-index: 2; }
aside.videos video { width: 100%; display: block; } aside.videos figcaption { font-weight: 600; }
aside.videos figure { margin: 0 0 .4em; }
body.with-videos tr[data-t] { cursor: pointer; } body.with-videos { margin-right: 470px; }
)css";

const char *const script = R"js(
document.getElementById('filter').addEventListener('input', function (e) {
  const needle = e.target.value.toLowerCase();
  document.querySelectorAll('tr[data-text]').forEach(function (row) {
    row.classList.toggle('hidden', needle !== '' && !row.dataset.text.includes(needle));
  });
  document.querySelectorAll('details').forEach(function (d) { if (needle) d.open = true; });
});
// Clicking a row of the timeline shows that moment in every machine's video.
document.querySelectorAll('tr[data-t]').forEach(function (row) {
  row.addEventListener('click', function (e) {
    if (e.target.closest('a')) return;
    document.querySelectorAll('video[data-start]').forEach(function (v) {
      const at = (Number(row.dataset.t) - Number(v.dataset.start)) / 1000;
      v.pause();
      v.currentTime = Math.max(0, isFinite(v.duration) ? Math.min(at, v.duration) : at);
    });
  });
});
)js";

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

QString clock(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss.zzz"));
}

QString imageTag(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return esc(path);
    return QStringLiteral("<img class=\"shot\" alt=\"%1\" src=\"data:image/png;base64,%2\">")
        .arg(esc(path), QString::fromLatin1(file.readAll().toBase64()));
}

QString row(const QString &kind, qint64 t, const QString &duration, const QString &body,
    const QString &searchText)
{
    return formatText(u"<tr class=\"%1\" data-t=\"%6\" data-text=\"%2\"><td "
                      "class=\"time\">%3</td><td class=\"duration\">%4</td><td>%5</td></tr>\n",
        kind, esc(searchText.toLower()), clock(t), duration, body, t);
}

// The header's coverage line (docs/coverage.md): totals, each machine's, the report's links
// (relative, so the output directory moves as a whole) and what went wrong collecting.
QString coverageHeader(const QList<RecordedEvent> &events, const QDir &reportDir)
{
    const std::optional<CoverageResult> collected = lastCoverage(events);
    if (!collected)
        return {};
    const CoverageResult &result = *collected;
    const auto percent = [](double value) {
        return value < 0 ? QStringLiteral("–") : QString::number(value, 'f', 1) + QLatin1Char('%');
    };
    QString html = QStringLiteral("<div class=\"coverage\">Coverage: ");
    if (result.hasData) {
        QStringList machines;
        for (auto it = result.machines.cbegin(); it != result.machines.cend(); ++it)
            machines << esc(it.key()) + QLatin1Char(' ') + percent(it->linePercent());
        html += formatText(u"<b>%1</b> of lines (%2 of %3), %4 of branches; %5",
            percent(result.all.linePercent()), result.all.linesHit, result.all.linesFound,
            percent(result.all.branchPercent()), machines.join(QStringLiteral(", ")));
        const QString dir = reportDir.relativeFilePath(result.directory);
        if (!result.html.isEmpty())
            html += formatText(u" — <a href=\"%1\">report by line and machine</a>",
                esc(reportDir.relativeFilePath(result.html)));
        html += formatText(u", <a href=\"%1/all.info\">all.info</a>, "
                           u"<a href=\"%1/cobertura.xml\">cobertura.xml</a>",
            esc(dir));
    } else {
        html += QStringLiteral("none collected");
    }
    html += QStringLiteral("</div>");
    for (const QString &problem : result.problems)
        html += formatText(u"<div class=\"coverage-problem\">coverage: %1</div>", esc(problem));
    return html;
}

} // namespace

QString writeHtmlReport(const QString &path, const ReportInput &input)
{
    const ScriptResult &result = input.result;
    const QString outcome = result.verdict();
    const QString outcomeClass = result.skipped.isEmpty() && result.replaced.isEmpty()
        ? ScriptResult::outcomeName(result.outcome).remove(QLatin1Char(' '))
        : QStringLiteral("failed"); // a skipped failure is not a pass
    QString html;
    html += QStringLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%1 — "
                           "Vivarium</title><style>%2</style></head><body>\n")
                .arg(esc(input.testName), QString::fromUtf8(style));
    html += QStringLiteral("<header><h1>%1: <span class=\"%2\">%3</span></h1>")
                .arg(esc(input.testName), outcomeClass, esc(outcome));
    for (const QString &skipped : result.skipped)
        html += QStringLiteral("<div class=\"failed\">skipped: %1</div>").arg(esc(skipped));
    for (const QString &replaced : result.replaced)
        html += QStringLiteral("<div class=\"failed\">replaced while running: %1</div>")
                    .arg(esc(replaced));
    if (result.outcome != ScriptResult::Outcome::Passed) {
        html += QStringLiteral("<div class=\"failed\">%1%2</div>")
                    .arg(esc(result.message),
                        result.line > 0 ? formatText(
                            u" — at <a href=\"#line-%1\">%2:%1</a>", result.line, esc(result.file))
                                        : QString());
    }
    html += coverageHeader(input.events, QFileInfo(path).absoluteDir());
    html += QStringLiteral("<input id=\"filter\" placeholder=\"Search actions, logs, "
                           "consoles…\"></header>\n");

    // Each graphical machine's video beside the timeline (a path relative to the report, so
    // the output directory can move as a whole).
    QString videos;
    const QDir reportDir = QFileInfo(path).absoluteDir();
    for (const RecordedEvent &recorded : input.events) {
        if (const auto *video = std::get_if<event::VideoStarted>(&recorded.event))
            videos += formatText(u"<figure><figcaption>%1</figcaption><video controls "
                                 "preload=\"metadata\" muted src=\"%2\" data-start=\"%3\" "
                                 "data-machine=\"%1\"></video></figure>\n",
                esc(video->machine), esc(reportDir.relativeFilePath(video->path)), video->startMs);
    }
    if (!videos.isEmpty()) {
        html.replace(QStringLiteral("<body>"), QStringLiteral("<body class=\"with-videos\">"));
        html += QStringLiteral("<aside class=\"videos\">%1<small>Click a row of the timeline "
                               "to see that moment.</small></aside>\n")
                    .arg(videos);
    }

    // The timeline, subtests nested.
    QMap<QString, QStringList> consoles;
    QString timeline = QStringLiteral("<table>\n");
    QString subtest; // the open subtest's name, or empty
    QString outer; // the timeline up to the open subtest
    for (const RecordedEvent &recorded : input.events) {
        const qint64 t = recorded.t;
        const Event &e = recorded.event;
        if (const auto *console = std::get_if<event::ConsoleLine>(&e)) {
            consoles[console->machine] << clock(t) + QLatin1Char(' ') + console->line;
        } else if (const auto *started = std::get_if<event::SubtestStarted>(&e)) {
            subtest = started->name;
            outer = timeline;
            timeline.clear();
        } else if (const auto *finished = std::get_if<event::SubtestFinished>(&e)) {
            if (subtest.isEmpty())
                continue;
            const QString summary = formatText(u"%1 — %2 (%3 s)", subtest,
                finished->passed ? QStringLiteral("passed")
                                 : QStringLiteral("failed: ") + finished->message,
                fixed(double(finished->durationMs) / 1000.0, 2));
            timeline = outer
                + QStringLiteral("</table>\n<details class=\"subtest%1\" open><summary>%2</summary>"
                                 "<table>\n%3</table></details>\n<table>\n")
                      .arg(finished->passed ? QString() : QStringLiteral(" fail"), esc(summary),
                          timeline);
            subtest.clear();
        } else if (const auto *done = std::get_if<event::ActionFinished>(&e)) {
            const ActionEvent &a = done->action;
            const QString action = a.machine + QLatin1Char('.') + a.action + QLatin1Char('(')
                + a.argumentsText(true) + QLatin1Char(')');
            const bool ok = a.result == ActionEvent::Result::Ok;
            QString body = esc(action);
            if (a.line > 0)
                body += QStringLiteral(" <a href=\"#line-%1\">line %1</a>").arg(a.line);
            if (!ok)
                body += QStringLiteral("<pre>%1</pre>").arg(esc(a.message));
            // What the call gave back, folded: the first 1000 characters (events.jsonl has 4096).
            if (const QString output = a.outputText(); ok && !output.trimmed().isEmpty())
                body += QStringLiteral(
                    "<details class=\"output\"><summary>output</summary><pre>%1%2</pre></details>")
                            .arg(esc(output.left(1000)),
                                output.size() > 1000 ? QStringLiteral("…") : QString());
            if (a.artifact.endsWith(QLatin1String(".png")))
                body += imageTag(a.artifact);
            timeline += row(ok ? QStringLiteral("action") : QStringLiteral("fail"), a.startMs,
                fixed(double(a.durationMs) / 1000.0, 2) + QStringLiteral(" s"), body,
                action + QLatin1Char(' ') + a.message);
        } else if (const auto *log = std::get_if<event::Log>(&e)) {
            timeline += row(QStringLiteral("log"), t, {}, esc(log->text), log->text);
        } else if (const auto *checkpoint = std::get_if<event::CheckpointTaken>(&e)) {
            const QString text = formatText(u"checkpoint %1 (line %2): %3", checkpoint->label,
                checkpoint->line, checkpoint->machines.join(QStringLiteral(", ")));
            timeline += row(QStringLiteral("state"), t,
                fixed(double(checkpoint->durationMs) / 1000.0, 2) + QStringLiteral(" s"), esc(text),
                text);
        } else if (const auto *rewound = std::get_if<event::Rewound>(&e)) {
            timeline += row(QStringLiteral("log"), t, {}, esc(rewound->text()), rewound->text());
        } else if (const auto *state = std::get_if<event::MachineState>(&e)) {
            const QString text = state->machine + QStringLiteral(": ") + state->state
                + QLatin1Char(' ') + state->detail;
            timeline += row(QStringLiteral("state"), t, {}, esc(text), text);
        } else if (const auto *added = std::get_if<event::MachineAdded>(&e)) {
            timeline += row(QStringLiteral("state"), t, {}, esc(added->text()), added->text());
        } else if (const auto *link = std::get_if<event::LinkChanged>(&e)) {
            const QString text = formatText(u"link %1 on VLAN %2: %3, delay %4 ms, loss %5, %6",
                link->machine, link->vlan, link->up ? QStringLiteral("up") : QStringLiteral("down"),
                link->settings.delayMs, link->settings.loss,
                link->blocked ? QStringLiteral("blocked") : QStringLiteral("unblocked"));
            timeline += row(QStringLiteral("link"), t, {}, esc(text), text);
        } else if (const auto *failed = std::get_if<event::NetworkFailed>(&e)) {
            timeline += row(QStringLiteral("fail"), t, {}, esc(failed->message), failed->message);
        }
    }
    if (!subtest.isEmpty()) // the script ended inside it
        timeline = outer
            + QStringLiteral("</table>\n<details class=\"subtest fail\" open><summary>%1 — did not "
                             "finish</summary><table>\n%2</table></details>\n<table>\n")
                  .arg(esc(subtest), timeline);
    timeline += QStringLiteral("</table>\n");
    html += propertySections(input.events, path);
    html += QStringLiteral("<h2>Timeline</h2>\n") + timeline;

    if (!result.traceback.isEmpty())
        html += QStringLiteral("<h2>Traceback</h2><pre>%1</pre>\n").arg(esc(result.traceback));

    if (!input.scriptSource.isEmpty()) {
        html += QStringLiteral("<h2>Script <small>%1</small></h2><pre class=\"script\">")
                    .arg(esc(input.scriptFile));
        const QStringList lines = input.scriptSource.split(QLatin1Char('\n'));
        for (int i = 0; i < lines.size(); ++i) {
            const bool failing = result.line == i + 1 && result.file == input.scriptFile
                && result.outcome != ScriptResult::Outcome::Passed;
            html += formatText(u"<span id=\"line-%1\" data-line=\"%1\"%2>%3</span>", i + 1,
                failing ? QStringLiteral(" class=\"failing\"") : QString(), esc(lines.at(i)));
        }
        html += QStringLiteral("</pre>\n");
    }

    html += QStringLiteral("<h2>Serial consoles</h2>\n");
    for (auto it = consoles.cbegin(); it != consoles.cend(); ++it) {
        html += formatText(
            u"<details><summary>%1 (%2 lines)</summary><table>", esc(it.key()), it.value().size());
        for (const QString &line : it.value())
            html += QStringLiteral("<tr data-text=\"%1\"><td><code>%2</code></td></tr>\n")
                        .arg(esc((it.key() + QLatin1Char(' ') + line).toLower()), esc(line));
        html += QStringLiteral("</table></details>\n");
    }
    html += QStringLiteral("<script>%1</script></body></html>\n").arg(QString::fromUtf8(script));

    // Whole or not at all: a full disk leaves no truncated report that looks like a run's.
    // Unbuffered: a buffered QSaveFile whose last flush failed (ENOSPC) committed a 0-byte file.
    QSaveFile file(path);
    const QByteArray bytes = html.toUtf8();
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered)
        || file.write(bytes) != bytes.size() || !file.commit())
        return formatText(u"cannot write %1: %2", path, file.errorString());
    return {};
}

} // namespace vivarium
