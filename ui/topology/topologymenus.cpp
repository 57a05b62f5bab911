#include "ui/topology/topologymenus.h"

#include "ui/topology/linkdialog.h"
#include "ui/workbench.h"

#include <QApplication>
#include <QClipboard>
#include <QMenu>
#include <QProcess>
#include <QStandardPaths>

namespace vivarium {

TopologyMenus::TopologyMenus(Workbench *workbench, QWidget *window)
    : QObject(window)
    , m_workbench(workbench)
    , m_window(window)
{
    connect(workbench, &Workbench::linkChanged, this, &TopologyMenus::onLinkChanged);
    connect(workbench, &Workbench::vlanChanged, this, &TopologyMenus::onVlanChanged);
}

QString TopologyMenus::key(const QString &machine, int vlan)
{
    return machine + QLatin1Char('/') + QString::number(vlan);
}

void TopologyMenus::onLinkChanged(const LinkState &link)
{
    const QString k = key(link.machine, link.nic.vlan);
    m_capturing[k] = !link.capturePath.isEmpty();
    if (!link.capturePath.isEmpty())
        m_lastCapture[k] = link.capturePath;
}

void TopologyMenus::onVlanChanged(const VlanState &vlan)
{
    const QString k = key({}, vlan.vlan);
    m_capturing[k] = !vlan.capturePath.isEmpty();
    if (!vlan.capturePath.isEmpty())
        m_lastCapture[k] = vlan.capturePath;
}

QString TopologyMenus::captureOf(const QString &machine, int vlan) const
{
    return m_lastCapture.value(key(machine, vlan));
}

bool TopologyMenus::isCapturing(const QString &machine, int vlan) const
{
    return m_capturing.value(key(machine, vlan));
}

QString TopologyMenus::wiresharkProgram()
{
    return QStandardPaths::findExecutable(QStringLiteral("wireshark"));
}

LinkDialog *TopologyMenus::openImpairmentDialog(const QString &machine, int vlan)
{
    delete m_dialog;
    const QString title = machine.isEmpty() ? tr("Every link on VLAN %1").arg(vlan)
                                            : tr("Link of %1 on VLAN %2").arg(machine).arg(vlan);
    m_dialog = new LinkDialog(title, m_workbench->linkSettings(machine, vlan), m_window);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &LinkDialog::applyRequested, this,
        [this, machine, vlan](const LinkUpdate &update) {
            if (machine.isEmpty())
                m_workbench->setVlan(vlan, update);
            else
                m_workbench->setLink(machine, vlan, update);
        });
    m_dialog->show();
    return m_dialog;
}

QMenu *TopologyMenus::linkMenu(const QString &machine, int vlan)
{
    auto *menu = new QMenu(m_window);
    menu->addSection(
        machine.isEmpty() ? tr("VLAN %1").arg(vlan) : tr("%1 on VLAN %2").arg(machine).arg(vlan));
    menu->addAction(machine.isEmpty() ? tr("Impairment of Every Link…") : tr("Impairment…"), this,
        [this, machine, vlan] { openImpairmentDialog(machine, vlan); });
    menu->addSeparator();
    const bool capturing = isCapturing(machine, vlan);
    menu->addAction(capturing ? tr("Stop Capture") : tr("Start Capture"), this,
        [this, machine, vlan, capturing] { m_workbench->setCapture(vlan, machine, !capturing); });
    const QString capture = captureOf(machine, vlan);
    const QString wireshark = wiresharkProgram();
    QAction *open = menu->addAction(
        wireshark.isEmpty() ? tr("Open in Wireshark (not installed)") : tr("Open in Wireshark"),
        this, [wireshark, capture] {
            QProcess::startDetached(wireshark, { QStringLiteral("-r"), capture });
        });
    open->setEnabled(!wireshark.isEmpty() && !capture.isEmpty());
    QAction *copy = menu->addAction(tr("Copy Capture File Path"), this, [this, capture] {
        QApplication::clipboard()->setText(capture);
        emit m_workbench->message(tr("Copied %1").arg(capture));
    });
    copy->setEnabled(!capture.isEmpty());
    return menu;
}

void TopologyMenus::showLinkMenu(const QString &machine, int vlan, const QPoint &globalPos)
{
    QMenu *menu = linkMenu(machine, vlan);
    menu->exec(globalPos);
    delete menu;
}

void TopologyMenus::showVlanMenu(int vlan, const QPoint &globalPos)
{
    showLinkMenu({}, vlan, globalPos);
}

} // namespace vivarium
