#include "ui/run/propertystatus.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace vivarium {

PropertyStatus::PropertyStatus(QWidget *parent)
    : QWidget(parent)
    , m_progress(new QLabel(this))
    , m_open(new QPushButton(tr("Open the Minimal Failing Case"), this))
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_progress);
    layout->addWidget(m_open);
    m_open->setObjectName(QStringLiteral("openMinimalCase"));
    m_open->setFlat(true);
    connect(m_open, &QPushButton::clicked, this, [this] {
        if (!m_minimalCase.isEmpty())
            emit openRequested(m_minimalCase);
    });
    clear();
}

QString PropertyStatus::progressText() const
{
    return m_progress->text();
}

void PropertyStatus::showProgress(const QString &text)
{
    m_progress->setText(text);
    m_progress->setVisible(!text.isEmpty());
    setVisible(!text.isEmpty() || !m_minimalCase.isEmpty());
}

void PropertyStatus::showFalsified(const QString &property, const QString &regressionTest)
{
    m_minimalCase = regressionTest;
    m_open->setToolTip(tr("Property %1 was falsified: open %2, the network and steps it shrank "
                          "to, to step through it")
                           .arg(property, QFileInfo(regressionTest).fileName()));
    m_open->show();
    show();
}

void PropertyStatus::clear()
{
    m_minimalCase.clear();
    m_progress->clear();
    m_progress->hide();
    m_open->hide();
    hide();
}

} // namespace vivarium
