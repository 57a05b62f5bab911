#include "ui/topology/topologymodel.h"

#include <QJsonArray>
#include <QJsonObject>

namespace vivarium {

namespace {

// The graph's words for the machine states the core reports: a machine that died or was
// crashed on purpose is "crashed", one shut down or stopped is "stopped". Only the machine's
// own state: the script's (paused, running) is shown apart.
QString displayState(const QString &state, const QString &detail)
{
    if (state == QLatin1String("failed"))
        return QStringLiteral("crashed");
    if (state == QLatin1String("off"))
        return detail == QLatin1String("crashed") ? QStringLiteral("crashed")
                                                  : QStringLiteral("stopped");
    return state;
}

} // namespace

QString vlanNodeId(int vlan)
{
    return QStringLiteral("vlan%1").arg(vlan);
}

TopologyModel::TopologyModel(const TestSpec &spec, QObject *parent)
    : QObject(parent)
{
    for (const MachineSpec &m : spec.machines) {
        Node node;
        node.kind = Node::Kind::Machine;
        node.id = m.name;
        node.label = m.name;
        node.machineKind
            = m.kind == MachineKind::Container ? QStringLiteral("container") : QStringLiteral("vm");
        if (m.onOtherHost())
            node.host = m.host;
        m_nodes << node;
        for (const NicAddress &nic : machineNics(spec, m.name)) {
            Edge edge;
            edge.machine = m.name;
            edge.vlan = nic.vlan;
            edge.interface = nic.interface;
            const LinkSettings settings = spec.linkSettings(m.name, nic.vlan);
            edge.impairment = describeImpairment(settings);
            edge.capturing = settings.capture;
            m_edges << edge;
        }
    }
    for (auto it = spec.vlans.cbegin(); it != spec.vlans.cend(); ++it) {
        Node node;
        node.kind = Node::Kind::Vlan;
        node.id = vlanNodeId(it.key());
        node.label = QStringLiteral("VLAN %1").arg(it.key());
        node.state = QStringLiteral("down");
        m_nodes << node;
    }
}

const TopologyModel::Node *TopologyModel::node(const QString &id) const
{
    for (const Node &n : m_nodes) {
        if (n.id == id)
            return &n;
    }
    return nullptr;
}

TopologyModel::Node *TopologyModel::findNode(const QString &id)
{
    for (Node &n : m_nodes) {
        if (n.id == id)
            return &n;
    }
    return nullptr;
}

const TopologyModel::Edge *TopologyModel::edge(const QString &machine, int vlan) const
{
    for (const Edge &e : m_edges) {
        if (e.machine == machine && e.vlan == vlan)
            return &e;
    }
    return nullptr;
}

void TopologyModel::setMachineState(
    const QString &machine, const QString &state, const QString &detail)
{
    Node *n = findNode(machine);
    if (!n || n->kind != Node::Kind::Machine)
        return;
    const QString shown = displayState(state, detail);
    if (n->state == shown)
        return;
    n->state = shown;
    emit nodeChanged(machine);
}

void TopologyModel::setScriptState(const QString &text)
{
    if (m_scriptState == text)
        return;
    m_scriptState = text;
    emit scriptStateChanged(text);
}

bool TopologyModel::isBlocked(const QString &machine) const
{
    return std::any_of(m_edges.cbegin(), m_edges.cend(),
        [&](const Edge &e) { return e.machine == machine && e.blocked; });
}

void TopologyModel::setLink(const LinkState &link)
{
    for (Edge &e : m_edges) {
        if (e.machine != link.machine || e.vlan != link.nic.vlan)
            continue;
        Edge updated = e;
        updated.up = link.up();
        updated.blocked = link.blocked;
        updated.impairment = describeImpairment(link.settings);
        updated.capturing = !link.capturePath.isEmpty();
        if (updated.up == e.up && updated.blocked == e.blocked && updated.impairment == e.impairment
            && updated.capturing == e.capturing)
            return;
        e = updated;
        emit edgeChanged(e.machine, e.vlan);
        return;
    }
}

void TopologyModel::setVlanUp(int vlan, bool up)
{
    Node *n = findNode(vlanNodeId(vlan));
    const QString state = up ? QStringLiteral("up") : QStringLiteral("down");
    if (!n || n->state == state)
        return;
    n->state = state;
    emit nodeChanged(n->id);
}

void TopologyModel::addMachine(const QString &machine, const QList<int> &vlans)
{
    if (findNode(machine))
        return;
    // Beside its first VLAN, below the machines already there, so it neither hides another
    // box nor waits for a layout the user may have arranged by hand.
    QPointF position(0, 0);
    if (!vlans.isEmpty()) {
        if (const Node *vlan = findNode(vlanNodeId(vlans.first())))
            position = vlan->position;
    }
    qreal lowest = position.y();
    for (const Node &n : std::as_const(m_nodes))
        lowest = std::max(lowest, n.position.y());
    Node node;
    node.id = machine;
    node.label = machine;
    node.position = QPointF(position.x(), lowest + 90);
    m_nodes << node;
    for (qsizetype i = 0; i < vlans.size(); ++i) {
        if (!findNode(vlanNodeId(vlans.at(i)))) {
            Node vlan;
            vlan.kind = Node::Kind::Vlan;
            vlan.id = vlanNodeId(vlans.at(i));
            vlan.label = QStringLiteral("VLAN %1").arg(vlans.at(i));
            vlan.state = QStringLiteral("down");
            vlan.position = node.position + QPointF(200, 0);
            m_nodes << vlan;
        }
        Edge edge;
        edge.machine = machine;
        edge.vlan = vlans.at(i);
        edge.interface = QStringLiteral("eth%1").arg(i + 1); // as machineNics names them
        m_edges << edge;
    }
    emit nodesAdded();
}

void TopologyModel::setPosition(const QString &id, QPointF position)
{
    if (Node *n = findNode(id)) {
        n->position = position;
        emit nodeChanged(id);
    }
}

QJsonObject TopologyModel::positions() const
{
    QJsonObject result;
    for (const Node &n : m_nodes)
        result.insert(n.id, QJsonArray { n.position.x(), n.position.y() });
    return result;
}

void TopologyModel::restorePositions(const QJsonObject &positions)
{
    for (auto it = positions.begin(); it != positions.end(); ++it) {
        const QJsonArray xy = it.value().toArray();
        if (xy.size() == 2)
            setPosition(it.key(), QPointF(xy.at(0).toDouble(), xy.at(1).toDouble()));
    }
}

} // namespace vivarium
