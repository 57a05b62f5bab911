#pragma once

#include "core/network/linkstate.h"
#include "core/spec/testspec.h"

#include <QObject>
#include <QPointF>

namespace vivarium {

// What the topology graph shows, without drawing: machines and VLAN switches as nodes, NICs as
// edges, with their live state. Built from the test file; kept current by the run's events
// (machine states, link changes) and by the script's pause; emits a signal per change.
class TopologyModel : public QObject {
    Q_OBJECT

public:
    struct Node {
        enum class Kind { Machine, Vlan };
        Kind kind = Kind::Machine;
        QString id; // the machine's name, or "vlan<N>"
        QString label;
        // Machines: not started, stopped, booting, ready, crashed; VLANs: up, down.
        // "not started" until the run reports a state: a machine that never ran is neither
        // stopped nor crashed.
        QString state = QStringLiteral("not started");
        QPointF position; // set by a layout or a drag
        // What runs the machine, shown as an icon on its box: "vm" (QEMU) for every machine
        // today; a second kind of machine gets its own value and icon here.
        QString machineKind = QStringLiteral("vm");
        // The [hosts.NAME] the machine runs on; empty for this host (docs/scale-out.md).
        QString host;
    };
    struct Edge {
        QString machine;
        int vlan = 0;
        QString interface;
        bool up = false;
        bool blocked = false;
        QString impairment; // "100 ms · 5 % loss", or empty
        bool capturing = false;
    };

    explicit TopologyModel(const TestSpec &spec, QObject *parent = nullptr);

    const QList<Node> &nodes() const { return m_nodes; }
    const QList<Edge> &edges() const { return m_edges; }
    const Node *node(const QString &id) const;
    const Edge *edge(const QString &machine, int vlan) const;

    // From the run: Machine states ("off", "booting", "ready", "failed") with their detail
    // ("crashed" for an "off" that Crash caused), link changes.
    void setMachineState(const QString &machine, const QString &state, const QString &detail);
    void setLink(const LinkState &link);
    void setVlanUp(int vlan, bool up);
    // What the script does ("Script paused at line 3", or empty when none runs): shown beside
    // the machines, never as their state.
    void setScriptState(const QString &text);
    QString scriptState() const { return m_scriptState; }
    bool isBlocked(const QString &machine) const; // any of its links
    void setPosition(const QString &id, QPointF position);
    // A machine the script added: its node beside its first VLAN's, its NICs (ethK for its
    // K-th VLAN) and any VLAN new to the graph. Emits nodesAdded.
    void addMachine(const QString &machine, const QList<int> &vlans);

    // Positions as {"id": [x, y]}, and back (unknown ids are ignored).
    QJsonObject positions() const;
    void restorePositions(const QJsonObject &positions);

signals:
    void nodeChanged(const QString &id);
    void edgeChanged(const QString &machine, int vlan);
    void scriptStateChanged(const QString &text);
    void nodesAdded();

private:
    Node *findNode(const QString &id);
    QString m_scriptState;
    QList<Node> m_nodes;
    QList<Edge> m_edges;
};

QString vlanNodeId(int vlan);

} // namespace vivarium
