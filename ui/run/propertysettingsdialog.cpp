#include "ui/run/propertysettingsdialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSpinBox>

namespace vivarium {

namespace {

QSpinBox *countBox(
    const std::optional<int> &current, const std::optional<int> &test, int most, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(0, most);
    // 0 is "unset": what the test file or the script says.
    box->setSpecialValueText(
        test ? QObject::tr("the test's (%1)").arg(*test) : QObject::tr("the script's"));
    box->setValue(current.value_or(0));
    return box;
}

} // namespace

PropertySettingsDialog::PropertySettingsDialog(
    const PropertySettings &current, const PropertySettings &test, QWidget *parent)
    : QDialog(parent)
    , m_examples(countBox(current.examples, test.examples, 100000, this))
    , m_steps(countBox(current.steps, test.steps, 1000, this))
    , m_seed(new QLineEdit(this))
    , m_derandomize(new QCheckBox(tr("the same examples every run (no seed)"), this))
{
    setObjectName(QStringLiteral("propertySettings"));
    setWindowTitle(tr("Property settings"));
    m_examples->setObjectName(QStringLiteral("examples"));
    m_steps->setObjectName(QStringLiteral("steps"));
    m_seed->setObjectName(QStringLiteral("seed"));
    m_derandomize->setObjectName(QStringLiteral("derandomize"));
    m_seed->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("-?[0-9]{0,18}")), m_seed));
    m_seed->setPlaceholderText(
        test.seed ? tr("the test's (%1)").arg(*test.seed) : tr("a new one each run (logged)"));
    if (current.seed)
        m_seed->setText(QString::number(*current.seed));
    m_derandomize->setChecked(current.derandomize.value_or(false));
    auto *form = new QFormLayout(this);
    form->addRow(new QLabel(tr("For the script's vivarium.stateful properties, over the test "
                               "file's [property]; from the next Run on fresh machines."),
        this));
    form->addRow(tr("Examples:"), m_examples);
    form->addRow(tr("Steps per example:"), m_steps);
    form->addRow(tr("Seed:"), m_seed);
    form->addRow(QString(), m_derandomize);
    auto *buttons = new QDialogButtonBox(
        QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::Reset, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons->button(QDialogButtonBox::Reset), &QPushButton::clicked, this, [this] {
        m_examples->setValue(0);
        m_steps->setValue(0);
        m_seed->clear();
        m_derandomize->setChecked(false);
    });
    form->addRow(buttons);
}

PropertySettings PropertySettingsDialog::settings() const
{
    PropertySettings s;
    if (m_examples->value() > 0)
        s.examples = m_examples->value();
    if (m_steps->value() > 0)
        s.steps = m_steps->value();
    bool ok = false;
    const qint64 seed = m_seed->text().toLongLong(&ok);
    if (ok)
        s.seed = seed;
    if (m_derandomize->isChecked())
        s.derandomize = true;
    return s;
}

} // namespace vivarium
