#include "core/report/reports.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>

namespace vivarium {

namespace {

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

QString seconds(qint64 ms)
{
    return QString::number(double(ms) / 1000.0, 'f', 1) + QStringLiteral(" s");
}

// The machines of an example's network (its JSON: {name: keys}).
int machineCount(const QString &network)
{
    return int(QJsonDocument::fromJson(network.toUtf8()).object().size());
}

QString stepList(const QStringList &steps)
{
    if (steps.isEmpty())
        return QStringLiteral("<p>no steps</p>");
    QString html = QStringLiteral("<ol>");
    for (const QString &step : steps)
        html += QStringLiteral("<li><code>%1</code></li>").arg(esc(step));
    return html + QStringLiteral("</ol>");
}

// One property as the events tell it.
struct Property {
    event::PropertyStarted started;
    std::optional<event::PropertyFinished> finished;
    QList<event::PropertyExample> examples;
};

QString exampleBlock(const event::PropertyExample &e)
{
    return QStringLiteral("<details class=\"example%1\"><summary>example %2 (%3): %4, %5 "
                          "step(s), %6%10</summary><p>network <code>%7</code></p>%8%9</details>\n")
        .arg(e.passed ? QString() : QStringLiteral(" fail"))
        .arg(e.example)
        .arg(esc(e.phase), e.passed ? QStringLiteral("passed") : QStringLiteral("failed"))
        .arg(e.steps.size())
        .arg(seconds(e.durationMs), esc(e.network), stepList(e.steps),
            e.message.isEmpty() ? QString() : QStringLiteral("<pre>%1</pre>").arg(esc(e.message)),
            e.coverage.isEmpty() ? QString() : QStringLiteral(", coverage ") + esc(e.coverage));
}

QString section(const Property &p, const QDir &reportDir)
{
    const event::PropertyStarted &s = p.started;
    const bool passed = p.finished && p.finished->passed;
    QString verdict = !p.finished ? QStringLiteral("did not finish")
        : passed                  ? QStringLiteral("passed")
                                  : QStringLiteral("falsified");
    QString html
        = QStringLiteral("<section class=\"property\"><h3>%1: <span class=\"%2\">%3</span>"
                         "</h3>\n<p>%4 example(s) run of %5, up to %6 step(s) each, %7%8")
              .arg(esc(s.name), passed ? QStringLiteral("passed") : QStringLiteral("failed"),
                  verdict)
              .arg(p.examples.size())
              .arg(s.examples)
              .arg(s.steps)
              .arg(s.seed.isEmpty() ? esc(s.mode) : QStringLiteral("seed ") + esc(s.seed),
                  p.finished ? QStringLiteral(", ") + seconds(p.finished->durationMs) : QString());
    html += QStringLiteral(".</p>\n");
    // Each rule's figures over the search, and what was never tested.
    if (p.finished && !p.finished->rules.isEmpty()) {
        html += QStringLiteral("<h4>Rules</h4><ul class=\"rules\">");
        for (const QString &line : p.finished->rules)
            html += QStringLiteral("<li%1>%2</li>")
                        .arg(line.startsWith(QLatin1String("warning:"))
                                ? QStringLiteral(" class=\"warning\"")
                                : QString(),
                            esc(line));
        html += QStringLiteral("</ul>\n");
    }
    if (p.finished && !p.finished->passed) {
        const event::PropertyFinished &f = *p.finished;
        html += QStringLiteral("<pre>%1</pre>").arg(esc(f.message));
        if (!f.steps.isEmpty()) {
            html += QStringLiteral("<h4>Minimal failing case</h4><p>network <code>%1</code></p>%2")
                        .arg(esc(f.network), stepList(f.steps));
        }
        if (!f.regressionTest.isEmpty())
            html += QStringLiteral("<p>Regression test: <a href=\"%1\">%2</a> (replay it with "
                                   "vivarium-test, open it in the workbench)</p>\n")
                        .arg(esc(reportDir.relativeFilePath(f.regressionTest)),
                            esc(f.regressionTest));
        // The shrink sequence: the first failure, then every failing example shrinking found.
        QString shrinking;
        int failing = 0;
        for (const event::PropertyExample &e : p.examples) {
            if (!e.passed) {
                ++failing;
                shrinking
                    += QStringLiteral("<li>example %1 (%2): %3 machine(s) in <code>%4</code>, "
                                      "%5 step(s)</li>")
                           .arg(e.example)
                           .arg(esc(e.phase))
                           .arg(machineCount(e.network))
                           .arg(esc(e.network))
                           .arg(e.steps.size());
            }
        }
        if (failing > 0)
            html += QStringLiteral("<details><summary>Shrinking: %1 failing example(s), from the "
                                   "first to the minimal</summary><ol>%2</ol></details>\n")
                        .arg(failing)
                        .arg(shrinking);
    }
    QString examples;
    for (const event::PropertyExample &e : p.examples)
        examples += exampleBlock(e);
    if (!examples.isEmpty())
        html += QStringLiteral("<details><summary>All %1 example(s)</summary>%2</details>\n")
                    .arg(p.examples.size())
                    .arg(examples);
    return html + QStringLiteral("</section>\n");
}

} // namespace

QString propertySections(const QList<RecordedEvent> &events, const QString &reportPath)
{
    QList<Property> properties;
    QMap<QString, int> open; // a running property's name -> its index
    for (const RecordedEvent &recorded : events) {
        const Event &e = recorded.event;
        if (const auto *started = std::get_if<event::PropertyStarted>(&e)) {
            open[started->name] = int(properties.size());
            properties.append({ *started, std::nullopt, {} });
        } else if (const auto *example = std::get_if<event::PropertyExample>(&e)) {
            if (open.contains(example->property))
                properties[open.value(example->property)].examples.append(*example);
        } else if (const auto *finished = std::get_if<event::PropertyFinished>(&e)) {
            if (open.contains(finished->name))
                properties[open.take(finished->name)].finished = *finished;
        }
    }
    if (properties.isEmpty())
        return {};
    const QDir reportDir = QFileInfo(reportPath).absoluteDir();
    QString html = QStringLiteral("<h2>Properties</h2>\n");
    for (const Property &p : std::as_const(properties))
        html += section(p, reportDir);
    return html;
}

} // namespace vivarium
