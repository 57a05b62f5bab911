#include "core/coverage/coveragecollector.h"
#include "core/report/reports.h"
#include "core/util/textformat.h"

#include <QSaveFile>
#include <QXmlStreamWriter>
#include <algorithm>

namespace vivarium {

namespace {

struct Case {
    QString name;
    double seconds = 0;
    bool failed = false;
    QString message;
    QStringList output;
};

// A property's outcome for CI logs: how many examples, the seed, the minimal case.
QStringList propertySummary(const event::PropertyFinished &p)
{
    QStringList lines { formatText(u"property %1 %2: %3 example(s), %4 failing%5", p.name,
        p.passed ? QStringLiteral("passed") : QStringLiteral("falsified"), p.examples, p.failing,
        p.seed.isEmpty() ? QString() : QStringLiteral(", seed ") + p.seed) };
    if (!p.steps.isEmpty()) {
        lines << QStringLiteral("minimal case: network %1").arg(p.network);
        for (const QString &step : p.steps)
            lines << QStringLiteral("  step: ") + step;
    }
    if (!p.regressionTest.isEmpty())
        lines << QStringLiteral("regression test: ") + p.regressionTest;
    return lines;
}

// Splits the events into testcases: each subtest, plus the script outside them when it failed
// there or had no subtests at all.
QList<Case> casesOf(const ReportInput &input)
{
    QList<Case> cases;
    Case outside { input.testName, 0, false, {}, {} };
    Case *current = nullptr;
    qint64 first = 0, last = 0;
    for (const RecordedEvent &recorded : input.events) {
        first = first ? first : recorded.t;
        last = recorded.t;
        const Event &e = recorded.event;
        if (const auto *started = std::get_if<event::SubtestStarted>(&e)) {
            cases.append({ started->name, 0, false, {}, {} });
            current = &cases.last();
        } else if (const auto *finished = std::get_if<event::SubtestFinished>(&e)) {
            if (!current)
                continue;
            current->seconds = double(finished->durationMs) / 1000.0;
            current->failed = !finished->passed;
            current->message = finished->message;
            current = nullptr;
        } else {
            Case &target = current ? *current : outside;
            if (const auto *log = std::get_if<event::Log>(&e))
                target.output << log->text;
            if (const auto *property = std::get_if<event::PropertyFinished>(&e)) {
                // It ends after its subtest (run()'s "property NAME"): into that case.
                const QString name = QStringLiteral("property ") + property->name;
                auto it = std::find_if(
                    cases.rbegin(), cases.rend(), [&](const Case &c) { return c.name == name; });
                (it != cases.rend() ? it->output : target.output) << propertySummary(*property);
            }
            const auto *done = std::get_if<event::ActionFinished>(&e);
            if (done && done->action.result != ActionEvent::Result::Ok)
                target.output << QStringLiteral("%1.%2: %3")
                                     .arg(done->action.machine, done->action.action,
                                         done->action.message);
        }
    }
    const bool failed = input.result.outcome != ScriptResult::Outcome::Passed;
    // Not a pass in CI terms: skipped failures and lines replaced while running (the file on
    // disk does not have them) each make a failed case of their own that names them.
    for (const auto &[what, list] :
        { std::pair { QStringLiteral("skipped failures"), &input.result.skipped },
            std::pair { QStringLiteral("replaced lines"), &input.result.replaced } }) {
        if (failed || list->isEmpty())
            continue;
        cases.append({ formatText(u"%1 (%2)", input.testName, what), 0, true,
            formatText(u"%1: %2", input.result.verdict(), list->join(QStringLiteral("; "))),
            *list });
    }
    const bool failedInSubtest
        = std::any_of(cases.cbegin(), cases.cend(), [](const Case &c) { return c.failed; });
    if (cases.isEmpty() || (failed && !failedInSubtest)) {
        outside.seconds = double(last - first) / 1000.0;
        outside.failed = failed;
        if (!cases.isEmpty())
            outside.name = QStringLiteral("%1 (outside subtests)").arg(input.testName);
        cases.append(outside);
    }
    for (Case &c : cases) {
        if (c.failed && failed) {
            c.message = input.result.message;
            if (input.result.line > 0)
                c.message += formatText(u" (at %1:%2)", input.result.file, input.result.line);
        }
    }
    return cases;
}

// The run's coverage totals as the suite's properties (docs/coverage.md): combined, then each
// machine's, as percentages and counts.
void writeCoverageProperties(QXmlStreamWriter &xml, const QList<RecordedEvent> &events)
{
    const std::optional<CoverageResult> collected = lastCoverage(events);
    if (!collected)
        return;
    const CoverageResult &result = *collected;
    xml.writeStartElement(QStringLiteral("properties"));
    const auto property = [&xml](const QString &name, const QString &value) {
        xml.writeEmptyElement(QStringLiteral("property"));
        xml.writeAttribute(QStringLiteral("name"), name);
        xml.writeAttribute(QStringLiteral("value"), value);
    };
    const auto totals = [&](const QString &prefix, const CoverageTotals &t) {
        if (t.linePercent() >= 0)
            property(prefix + QStringLiteral(".lines.percent"),
                QString::number(t.linePercent(), 'f', 2));
        property(prefix + QStringLiteral(".lines.hit"), QString::number(t.linesHit));
        property(prefix + QStringLiteral(".lines.found"), QString::number(t.linesFound));
        if (t.branchPercent() >= 0)
            property(prefix + QStringLiteral(".branches.percent"),
                QString::number(t.branchPercent(), 'f', 2));
    };
    property(QStringLiteral("coverage.collected"),
        result.hasData ? QStringLiteral("true") : QStringLiteral("false"));
    if (result.hasData) {
        totals(QStringLiteral("coverage"), result.all);
        for (auto it = result.machines.cbegin(); it != result.machines.cend(); ++it)
            totals(QStringLiteral("coverage.") + it.key(), it.value());
        property(QStringLiteral("coverage.report"), result.html);
    }
    xml.writeEndElement();
}

} // namespace

QString writeJunit(const QString &path, const ReportInput &input)
{
    // Whole or not at all, as log.html (made in memory, written unbuffered in one piece).
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return formatText(u"cannot write %1: %2", path, file.errorString());
    QByteArray document;
    const QList<Case> cases = casesOf(input);
    double total = 0;
    int failures = 0;
    for (const Case &c : cases) {
        total += c.seconds;
        failures += c.failed ? 1 : 0;
    }
    QXmlStreamWriter xml(&document);
    xml.setAutoFormatting(true);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeStartElement(QStringLiteral("testsuite"));
    xml.writeAttribute(QStringLiteral("name"), input.testName);
    xml.writeAttribute(QStringLiteral("tests"), QString::number(cases.size()));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("time"), QString::number(total, 'f', 3));
    writeCoverageProperties(xml, input.events);
    for (const Case &c : cases) {
        xml.writeStartElement(QStringLiteral("testcase"));
        xml.writeAttribute(QStringLiteral("classname"), input.testName);
        xml.writeAttribute(QStringLiteral("name"), c.name);
        xml.writeAttribute(QStringLiteral("time"), QString::number(c.seconds, 'f', 3));
        if (c.failed) {
            xml.writeStartElement(QStringLiteral("failure"));
            xml.writeAttribute(QStringLiteral("message"), c.message);
            xml.writeCharacters(
                input.result.traceback.isEmpty() ? c.message : input.result.traceback);
            xml.writeEndElement();
        }
        if (!c.output.isEmpty())
            xml.writeTextElement(QStringLiteral("system-out"), c.output.join(QLatin1Char('\n')));
        xml.writeEndElement();
    }
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndDocument();
    if (xml.hasError() || file.write(document) != document.size() || !file.commit())
        return formatText(u"cannot write %1: %2", path, file.errorString());
    return {};
}

} // namespace vivarium
