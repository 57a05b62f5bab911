#include "ui/run/propertyview.h"

#include "core/spec/specloader.h"
#include "ui/run/propertychart.h"
#include "ui/topology/topologymodel.h"
#include "ui/topology/topologyview.h"

#include <QDateTime>
#include <QLabel>
#include <QListWidget>
#include <QSplitter>
#include <QVBoxLayout>

namespace vivarium {

namespace {

QString phaseText(const QString &phase)
{
    return phase == QLatin1String("shrink") ? PropertyView::tr("shrinking")
        : phase == QLatin1String("final")   ? PropertyView::tr("replaying the minimal case")
                                            : PropertyView::tr("searching");
}

} // namespace

PropertyView::PropertyView(QWidget *parent)
    : QWidget(parent)
    , m_header(new QLabel(this))
    , m_networkLabel(new QLabel(this))
    , m_steps(new QListWidget(this))
    , m_chart(new PropertyChart(this))
{
    setObjectName(QStringLiteral("propertyView"));
    m_header->setObjectName(QStringLiteral("propertyHeader"));
    m_header->setWordWrap(true);
    m_steps->setObjectName(QStringLiteral("propertySteps"));
    auto *networkWidget = new QWidget(this);
    m_networkBox = new QVBoxLayout(networkWidget);
    m_networkBox->setContentsMargins(0, 0, 0, 0);
    m_networkBox->addWidget(m_networkLabel);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(networkWidget);
    split->addWidget(m_steps);
    split->addWidget(m_chart);
    // The network first: it is what the user looks at; the steps and the chart below it.
    split->setStretchFactor(0, 5);
    split->setStretchFactor(1, 2);
    split->setStretchFactor(2, 2);
    split->setSizes({ 500, 200, 200 });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_header);
    layout->addWidget(split, 1);
    clear();
}

void PropertyView::clear()
{
    delete m_view;
    delete m_model;
    m_steps->clear();
    m_chart->clear();
    m_property.clear();
    m_examplesAsked = m_example = m_ended = m_failing = 0;
    m_phase.clear();
    m_outcome.clear();
    m_networkLabel->setText(tr("No example network yet"));
    m_header->setText(tr("No property has run: a script's vivarium.stateful property shows "
                         "here as it runs (docs/property-based.md)."));
}

void PropertyView::showNetwork(const QString &label, const QString &toml)
{
    delete m_view;
    delete m_model;
    SpecLoader loader;
    const std::optional<TestSpec> spec = loader.loadString(toml.toUtf8(), label);
    if (!spec) {
        m_networkLabel->setText(tr("Network %1 (not drawn: %2)")
                                    .arg(label, loader.errors().join(QStringLiteral("; "))));
        return;
    }
    m_model = new TopologyModel(*spec, this);
    m_view = new TopologyView(m_model, this);
    m_networkBox->addWidget(m_view, 1);
    m_networkLabel->setText(tr("Network %1: %2 machine(s)").arg(label).arg(spec->machines.size()));
}

void PropertyView::setMachineState(
    const QString &machine, const QString &state, const QString &detail)
{
    if (m_model)
        m_model->setMachineState(machine, state, detail);
}

void PropertyView::updateHeader()
{
    QString text = tr("Property %1").arg(m_property);
    if (!m_outcome.isEmpty()) {
        text += QStringLiteral(": ") + m_outcome;
    } else if (m_phase == QLatin1String("generate") || m_phase.isEmpty()) {
        text += tr(": example %1 of %2 (%3)")
                    .arg(m_example)
                    .arg(m_examplesAsked)
                    .arg(phaseText(m_phase));
    } else {
        text += tr(": %1, example %2").arg(phaseText(m_phase)).arg(m_example);
    }
    text += tr(" — %n example(s) ended", nullptr, m_ended);
    if (m_failing > 0)
        text += tr(", %n failing", nullptr, m_failing);
    m_header->setText(text);
}

void PropertyView::onEvent(const Event &event)
{
    if (const auto *started = std::get_if<event::PropertyStarted>(&event)) {
        clear();
        m_property = started->name;
        m_examplesAsked = started->examples;
        m_startMs = QDateTime::currentMSecsSinceEpoch();
        updateHeader();
        emit this->started();
    } else if (const auto *created = std::get_if<event::NetworkCreated>(&event)) {
        showNetwork(created->label, created->toml);
    } else if (const auto *step = std::get_if<event::PropertyStep>(&event)) {
        if (step->example != m_example || step->index == 1)
            m_steps->clear();
        m_example = step->example;
        m_phase = step->phase;
        for (int i = 0; i < m_steps->count(); ++i) {
            QFont font = m_steps->item(i)->font();
            font.setBold(false);
            m_steps->item(i)->setFont(font);
        }
        auto *item = new QListWidgetItem(
            QStringLiteral("%1. %2").arg(step->index).arg(step->step), m_steps);
        QFont font = item->font();
        font.setBold(true); // the step running now
        item->setFont(font);
        m_steps->scrollToItem(item);
        updateHeader();
    } else if (const auto *example = std::get_if<event::PropertyExample>(&event)) {
        ++m_ended;
        if (!example->passed) {
            ++m_failing;
            if (QListWidgetItem *last = m_steps->item(m_steps->count() - 1))
                last->setForeground(QColor(0xc0, 0x1c, 0x28));
        }
        m_chart->add({ QDateTime::currentMSecsSinceEpoch() - m_startMs, int(example->steps.size()),
            example->phase, example->passed });
        updateHeader();
    } else if (const auto *finished = std::get_if<event::PropertyFinished>(&event)) {
        m_outcome = finished->passed ? tr("passed after %n example(s)", nullptr, finished->examples)
                                     : tr("falsified; the minimal case has %n step(s)", nullptr,
                                         int(finished->steps.size()));
        updateHeader();
        // Each rule's figures over the search, below its last example's steps: what the
        // search exercised, and the warnings about what it never did.
        for (const QString &line : finished->rules) {
            auto *item = new QListWidgetItem(line, m_steps);
            if (line.startsWith(QLatin1String("warning:")))
                item->setForeground(QColor(0x8a, 0x5a, 0x00));
        }
    }
}

} // namespace vivarium
