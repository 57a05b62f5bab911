// Links edited from the topology graph, on a real network (vde_switch and wirefilter, no
// guests): the impairment dialog starts from the link's settings and applies live, to a link or
// a whole VLAN; captures start and stop from the link's menu; a right-click on a link's line
// asks for that link's menu.
#include "ui/mainwindow.h"
#include "ui/topology/linkdialog.h"
#include "ui/topology/topologymenus.h"
#include "ui/topology/topologymodel.h"
#include "ui/topology/topologyview.h"
#include "ui/workbench.h"

#include <QApplication>
#include <QContextMenuEvent>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QMenu>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

QAction *actionNamed(QMenu *menu, const QString &prefix)
{
    for (QAction *action : menu->actions()) {
        if (action->text().startsWith(prefix))
            return action;
    }
    return nullptr;
}

void clickButton(LinkDialog *dialog, QDialogButtonBox::StandardButton which)
{
    dialog->findChild<QDialogButtonBox *>()->button(which)->click();
}

} // namespace

class TestLinkEditing : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeTest()
    {
        QFile py(m_dir.filePath("t.py"));
        py.open(QIODevice::WriteOnly);
        py.close();
        QFile toml(m_dir.filePath("t.toml"));
        toml.open(QIODevice::WriteOnly);
        toml.write("script = \"t.py\"\n[machines.a]\n[machines.b]\n"
                   "[vlans.1]\ndelay_ms = 20\n");
        toml.close();
        return m_dir.filePath("t.toml");
    }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void impairmentDialogAppliesLive()
    {
        MainWindow window(writeTest());
        TopologyMenus *menus = window.topologyMenus();
        LinkDialog *dialog = menus->openImpairmentDialog("a", 1);
        QCOMPARE(dialog->findChild<QDoubleSpinBox *>("delay")->value(), 20.0); // the test file's
        dialog->findChild<QDoubleSpinBox *>("delay")->setValue(100);
        dialog->findChild<QDoubleSpinBox *>("loss")->setValue(5);
        clickButton(dialog, QDialogButtonBox::Apply);
        QTRY_COMPARE_WITH_TIMEOUT(
            window.topology()->edge("a", 1)->impairment, QString("100 ms · 5 % loss"), 15000);
        const LinkState applied = window.workbench()->run()->network()->link("a", 1);
        QCOMPARE(applied.settings.delayMs, 100.0);
        QCOMPARE(applied.settings.loss, 0.05);
        QVERIFY(applied.filterRunning); // a real wirefilter took the values
        QCOMPARE(window.topology()->edge("b", 1)->impairment, QString("20 ms")); // untouched
        QVERIFY(dialog->isVisible()); // Apply keeps it open to try other values

        // The whole VLAN: OK applies and closes.
        LinkDialog *vlan = menus->openImpairmentDialog({}, 1);
        clickButton(vlan, QDialogButtonBox::Reset); // "No Impairment"
        QCOMPARE(vlan->findChild<QDoubleSpinBox *>("delay")->value(), 0.0);
        clickButton(vlan, QDialogButtonBox::Ok);
        QTRY_VERIFY_WITH_TIMEOUT(window.topology()->edge("a", 1)->impairment.isEmpty()
                && window.topology()->edge("b", 1)->impairment.isEmpty(),
            15000);
    }

    void captureStartsAndStopsFromTheMenu()
    {
        MainWindow window(writeTest());
        TopologyMenus *menus = window.topologyMenus();
        std::unique_ptr<QMenu> menu(menus->linkMenu("b", 1));
        QVERIFY(!actionNamed(menu.get(), "Open in Wireshark")->isEnabled()); // nothing yet
        actionNamed(menu.get(), "Start Capture")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.topology()->edge("b", 1)->capturing, 15000);
        const QString pcap = menus->captureOf("b", 1);
        QVERIFY(QFileInfo(pcap).isFile());
        QVERIFY(pcap.endsWith("b-vlan1.pcap"));
        menu.reset(menus->linkMenu("b", 1));
        QVERIFY(actionNamed(menu.get(), "Copy Capture File Path")->isEnabled());
        QCOMPARE(actionNamed(menu.get(), "Open in Wireshark")->isEnabled(),
            !TopologyMenus::wiresharkProgram().isEmpty());
        actionNamed(menu.get(), "Stop Capture")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!window.topology()->edge("b", 1)->capturing, 15000);
        QCOMPARE(menus->captureOf("b", 1), pcap); // still there to open

        // A VLAN capture from the VLAN's menu.
        menu.reset(menus->linkMenu({}, 1));
        actionNamed(menu.get(), "Start Capture")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(menus->isCapturing({}, 1), 15000);
        QVERIFY(menus->captureOf({}, 1).endsWith("vlan1.pcap"));
    }

    void rightClickOnALinkAsksForItsMenu()
    {
        MainWindow window(writeTest());
        window.resize(1400, 900);
        TopologyView *view = window.topologyView();
        disconnect(view, &TopologyView::linkMenuRequested, nullptr, nullptr);
        QSignalSpy spy(view, &TopologyView::linkMenuRequested);
        const QPoint centre = view->edgeCentre("b", 1);
        QContextMenuEvent event(
            QContextMenuEvent::Mouse, centre + QPoint(2, 2), view->viewport()->mapToGlobal(centre));
        QApplication::sendEvent(view->viewport(), &event);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toString(), QString("b"));
        QCOMPARE(spy.at(0).at(1).toInt(), 1);
    }
};

QTEST_MAIN(TestLinkEditing)
#include "tst_linkediting.moc"
