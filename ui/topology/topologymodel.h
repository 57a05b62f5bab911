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
        QString state = QStringLiteral(
            "stopped"); // stopped, booting, ready, crashed, paused; VLANs: up, down
        QPointF position; // set by a layout or a drag
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

    // From the run: Machine states ("off", "booting", "ready", "failed"), link changes.
    void setMachineState(const QString &machine, const QString &state);
    void setLink(const LinkState &link);
    void setVlanUp(int vlan, bool up);
    void setScriptPaused(bool paused); // ready machines show as paused while the script is
    void setPosition(const QString &id, QPointF position);

    // Positions as {"id": [x, y]}, and back (unknown ids are ignored).
    QJsonObject positions() const;
    void restorePositions(const QJsonObject &positions);

signals:
    void nodeChanged(const QString &id);
    void edgeChanged(const QString &machine, int vlan);

private:
    Node *findNode(const QString &id);
    QHash<QString, QString> m_machineStates; // as reported, before pause is applied
    bool m_paused = false;
    QList<Node> m_nodes;
    QList<Edge> m_edges;
};

QString vlanNodeId(int vlan);

} // namespace vivarium
