#include "ui/topology/linkdialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>

namespace vivarium {

namespace {

QDoubleSpinBox *spinBox(double maximum, const QString &suffix, int decimals, QWidget *parent)
{
    auto *box = new QDoubleSpinBox(parent);
    box->setRange(0, maximum);
    box->setDecimals(decimals);
    box->setSuffix(suffix);
    return box;
}

} // namespace

LinkDialog::LinkDialog(const QString &title, const LinkSettings &current, QWidget *parent)
    : QDialog(parent)
    , m_delay(spinBox(LinkSettings::maxDelayMs, QStringLiteral(" ms"), 1, this))
    , m_jitter(spinBox(LinkSettings::maxDelayMs, QStringLiteral(" ms"), 1, this))
    , m_loss(spinBox(100, QStringLiteral(" %"), 2, this))
    , m_dup(spinBox(100, QStringLiteral(" %"), 2, this))
    , m_bandwidth(new QSpinBox(this))
{
    setWindowTitle(title);
    setObjectName(QStringLiteral("linkDialog"));
    m_delay->setObjectName(QStringLiteral("delay"));
    m_jitter->setObjectName(QStringLiteral("jitter"));
    m_loss->setObjectName(QStringLiteral("loss"));
    m_dup->setObjectName(QStringLiteral("dup"));
    m_bandwidth->setObjectName(QStringLiteral("bandwidth"));
    m_bandwidth->setRange(0, LinkSettings::maxBandwidthKbit);
    m_bandwidth->setSuffix(QStringLiteral(" kbit/s"));
    m_bandwidth->setSpecialValueText(tr("unlimited"));
    auto *form = new QFormLayout(this);
    auto *heading = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), this);
    form->addRow(heading);
    form->addRow(tr("Delay"), m_delay);
    form->addRow(tr("Jitter"), m_jitter);
    form->addRow(tr("Loss"), m_loss);
    form->addRow(tr("Duplication"), m_dup);
    form->addRow(tr("Bandwidth"), m_bandwidth);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Apply
            | QDialogButtonBox::Reset | QDialogButtonBox::Cancel,
        this);
    form->addRow(buttons);
    connect(buttons->button(QDialogButtonBox::Apply), &QPushButton::clicked, this,
        [this] { emit applyRequested(update()); });
    connect(buttons->button(QDialogButtonBox::Reset), &QPushButton::clicked, this,
        [this] { setSettings(LinkSettings()); });
    buttons->button(QDialogButtonBox::Reset)->setText(tr("No Impairment"));
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        emit applyRequested(update());
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    setSettings(current);
}

void LinkDialog::setSettings(const LinkSettings &settings)
{
    m_delay->setValue(settings.delayMs);
    m_jitter->setValue(settings.jitterMs);
    m_loss->setValue(settings.loss * 100);
    m_dup->setValue(settings.dup * 100);
    m_bandwidth->setValue(settings.bandwidthKbit);
}

LinkUpdate LinkDialog::update() const
{
    LinkUpdate update;
    update.delayMs = m_delay->value();
    update.jitterMs = m_jitter->value();
    update.loss = m_loss->value() / 100;
    update.dup = m_dup->value() / 100;
    update.bandwidthKbit = m_bandwidth->value();
    return update;
}

} // namespace vivarium
