// The topology built from a test file: the right nodes and edges, and their state following the
// run's events.
#include "core/spec/specloader.h"
#include "ui/topology/topologymodel.h"
#include "ui/topology/topologyview.h"

#include <QGraphicsPixmapItem>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

class TestTopologyModel : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    TestSpec load(const QByteArray &toml)
    {
        SpecLoader loader;
        loader.setPackageCheck([](const QStringList &) { return QStringList(); });
        auto spec = loader.loadString(toml, m_dir.filePath("t.toml"));
        if (!spec)
            qFatal("%s", qPrintable(loader.errors().join('\n')));
        return *spec;
    }

    const char *demo = "[machines.router]\nvlans = [1, 2]\n[machines.client]\nvlans = [1]\n"
                       "[machines.server]\nvlans = [2]\n[vlans.2]\ndelay_ms = 20\nloss = 0.05\n"
                       "[[link]]\nmachine = \"client\"\nvlan = 1\ncapture = true\n";

private slots:
    void nodesAndEdgesComeFromTheTestFile()
    {
        TopologyModel model(load(demo));
        QStringList ids;
        for (const auto &n : model.nodes())
            ids << n.id;
        QCOMPARE(ids, QStringList({ "client", "router", "server", "vlan1", "vlan2" }));
        QCOMPARE(model.node("vlan2")->kind, TopologyModel::Node::Kind::Vlan);
        QCOMPARE(model.node("vlan2")->label, QString("VLAN 2"));
        QCOMPARE(model.edges().size(), 4);
        QVERIFY(model.edge("router", 1) && model.edge("router", 2));
        QVERIFY(!model.edge("client", 2));
        QCOMPARE(model.edge("router", 2)->interface, QString("eth2"));
        QCOMPARE(model.edge("server", 2)->impairment, QString("20 ms · 5 % loss"));
        QCOMPARE(model.edge("client", 1)->impairment, QString());
        QVERIFY(model.edge("client", 1)->capturing);
        // Never ran: not "stopped", and not "crashed" as a dropped test's machines were drawn.
        QCOMPARE(model.node("client")->state, QString("not started"));
    }

    void machineStatesChangeTheNodes()
    {
        TopologyModel model(load(demo));
        QSignalSpy changed(&model, &TopologyModel::nodeChanged);
        model.setMachineState("client", "booting", "QEMU (tcg)");
        QCOMPARE(model.node("client")->state, QString("booting"));
        model.setMachineState("client", "ready", {});
        model.setMachineState("server", "failed", "QEMU was killed by signal 9 (SIGKILL)");
        QCOMPARE(model.node("server")->state, QString("crashed"));
        QCOMPARE(changed.size(), 3);
        // A paused script is the script's state, not the machines'.
        QSignalSpy script(&model, &TopologyModel::scriptStateChanged);
        model.setScriptState("Script paused at line 3");
        QCOMPARE(model.node("client")->state, QString("ready"));
        QCOMPARE(script.size(), 1);
        QCOMPARE(model.scriptState(), QString("Script paused at line 3"));
        model.setMachineState("client", "ready", {}); // no change, no signal
        QCOMPARE(changed.size(), 3);
        // Crash (on purpose) shows red "crashed"; a shutdown or Stop All, grey "stopped".
        model.setMachineState("client", "off", "crashed");
        QCOMPARE(model.node("client")->state, QString("crashed"));
        QCOMPARE(stateColour("crashed"), QColor(0xd3, 0x2f, 0x2f));
        model.setMachineState("client", "off", "stopped");
        QCOMPARE(model.node("client")->state, QString("stopped"));
    }

    void linkChangesChangeTheEdges()
    {
        const TestSpec spec = load(demo);
        TopologyModel model(spec);
        QSignalSpy changed(&model, &TopologyModel::edgeChanged);
        LinkState link;
        link.machine = "router";
        link.nic = machineNics(spec, "router").at(0);
        link.machineRunning = link.filterRunning = true;
        model.setLink(link);
        QVERIFY(model.edge("router", 1)->up);
        link.blocked = true;
        link.settings.delayMs = 100;
        model.setLink(link);
        QVERIFY(!model.edge("router", 1)->up);
        QVERIFY(model.edge("router", 1)->blocked);
        QCOMPARE(model.edge("router", 1)->impairment, QString("100 ms"));
        link.capturePath = "/tmp/x.pcap";
        model.setLink(link);
        QVERIFY(model.edge("router", 1)->capturing);
        model.setLink(link); // the same again: no signal
        QCOMPARE(changed.size(), 3);
        QCOMPARE(changed.first().at(0).toString(), QString("router"));
        QCOMPARE(changed.first().at(1).toInt(), 1);
    }

    // A machine on another host says so in its box (beside its state) and its tooltip; one
    // here says nothing of a host.
    void aMachineOnAnotherHostShowsItsHost()
    {
        TopologyModel model(load("[hosts.rack2]\nssh = \"10.0.0.12\"\n[machines.db]\n"
                                 "host = \"rack2\"\n[machines.web]\n"));
        QCOMPARE(model.node("db")->host, QString("rack2"));
        QVERIFY(model.node("web")->host.isEmpty());
        TopologyView view(&model);
        view.resize(400, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QStringList texts;
        QString dbTip;
        for (QGraphicsItem *item : view.scene()->items()) {
            if (auto *text = dynamic_cast<QGraphicsSimpleTextItem *>(item))
                texts << text->text();
            if (item->data(0).toString() == "db" && !item->parentItem())
                dbTip = item->toolTip();
        }
        QVERIFY2(texts.contains("not started · on rack2"), qPrintable(texts.join(" | ")));
        QVERIFY2(texts.contains("not started"), qPrintable(texts.join(" | "))); // web
        QVERIFY2(dbTip.contains("on host rack2"), qPrintable(dbTip));
    }

    // A long link label is drawn over the boxes beside it and stays inside the view.
    void linkLabelsAreNeverClipped()
    {
        const TestSpec spec = load(demo);
        TopologyModel model(spec);
        TopologyView view(&model);
        view.resize(320, 420);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        LinkState link;
        link.machine = "router";
        link.nic = machineNics(spec, "router").at(0);
        link.machineRunning = link.filterRunning = true;
        link.blocked = true;
        link.settings.delayMs = 250;
        link.settings.loss = 0.125;
        link.capturePath = "/tmp/x.pcap";
        model.setLink(link);
        const QRectF visible = view.mapToScene(view.viewport()->rect()).boundingRect();
        bool found = false;
        for (QGraphicsItem *item : view.scene()->items()) {
            auto *label = dynamic_cast<QGraphicsSimpleTextItem *>(item);
            if (!label || !label->text().startsWith(link.nic.interface + " · blocked"))
                continue;
            found = true;
            QVERIFY2(visible.contains(label->sceneBoundingRect()), qPrintable(label->text()));
            for (QGraphicsItem *other : view.scene()->collidingItems(label))
                QVERIFY(other->parentItem() || other->zValue() < label->zValue());
        }
        QVERIFY(found);
    }

    // Six machines on one impaired VLAN: their link labels meet near the switch. No label covers
    // another or a box; every machine shows its kind; a long name stays inside its box.
    void labelsNeverOverlap()
    {
        QByteArray toml;
        for (int i = 1; i <= 6; ++i)
            toml += "[machines.m" + QByteArray::number(i) + "]\n";
        toml += "[machines.a-machine-with-a-very-long-name]\n";
        toml += "[vlans.1]\ndelay_ms = 250\njitter_ms = 30\nloss = 0.125\n";
        const TestSpec spec = load(toml);
        TopologyModel model(spec);
        TopologyView view(&model);
        view.resize(900, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QList<QGraphicsSimpleTextItem *> labels;
        QList<QGraphicsRectItem *> boxes;
        int kinds = 0;
        for (QGraphicsItem *item : view.scene()->items()) {
            if (auto *label = dynamic_cast<QGraphicsSimpleTextItem *>(item);
                label && !item->parentItem())
                labels << label;
            if (auto *box = dynamic_cast<QGraphicsRectItem *>(item))
                boxes << box;
            if (dynamic_cast<QGraphicsPixmapItem *>(item) && item->data(0).toString() == "vm") {
                QVERIFY(
                    item->parentItem()->sceneBoundingRect().contains(item->sceneBoundingRect()));
                ++kinds;
            }
            // A machine's title stays in its box.
            if (auto *title = dynamic_cast<QGraphicsSimpleTextItem *>(item);
                title && item->parentItem())
                QVERIFY2(
                    item->parentItem()->sceneBoundingRect().contains(title->sceneBoundingRect()),
                    qPrintable(title->text()));
        }
        QCOMPARE(kinds, 7);
        QCOMPARE(labels.size(), 7);
        QVERIFY(labels.first()->text().contains("250 ms"));
        for (int i = 0; i < labels.size(); ++i) {
            const QRectF r = labels[i]->sceneBoundingRect();
            for (int j = i + 1; j < labels.size(); ++j)
                QVERIFY2(!r.intersects(labels[j]->sceneBoundingRect()),
                    qPrintable(labels[i]->text() + " / " + labels[j]->text()));
            for (QGraphicsRectItem *box : boxes)
                QVERIFY2(!r.intersects(box->sceneBoundingRect()), qPrintable(labels[i]->text()));
        }
    }

    void positionsRoundTrip()
    {
        TopologyModel model(load(demo));
        model.setPosition("router", QPointF(10, 20));
        const QJsonObject saved = model.positions();
        TopologyModel other(load(demo));
        other.restorePositions(saved);
        QCOMPARE(other.node("router")->position, QPointF(10, 20));
        other.restorePositions(QJsonObject { { "ghost", QJsonArray { 1, 2 } } }); // ignored
    }
};

QTEST_MAIN(TestTopologyModel)
#include "tst_topologymodel.moc"
