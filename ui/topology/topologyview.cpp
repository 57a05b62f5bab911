#include "ui/topology/topologyview.h"

#include <QApplication>
#include <QContextMenuEvent>
#include <QGraphicsPixmapItem>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QLabel>
#include <QPen>
#include <QStyle>
#include <graphviz/gvc.h>

namespace vivarium {

namespace {

constexpr double machineWidth = 120;
constexpr double machineHeight = 46;
constexpr double vlanWidth = 90;
constexpr double vlanHeight = 22;

QString lineKey(const TopologyModel::Edge &e)
{
    return e.machine + QLatin1Char('/') + QString::number(e.vlan);
}

} // namespace

QIcon kindIcon(const QString &kind)
{
    if (kind == QLatin1String("container"))
        return QIcon::fromTheme(QStringLiteral("package-x-generic"),
            QApplication::style()->standardIcon(QStyle::SP_DirIcon));
    return QIcon::fromTheme(
        QStringLiteral("computer"), QApplication::style()->standardIcon(QStyle::SP_ComputerIcon));
}

QString kindDescription(const QString &kind)
{
    if (kind == QLatin1String("vm"))
        return TopologyView::tr("virtual machine (QEMU)");
    if (kind == QLatin1String("container"))
        return TopologyView::tr("container (Linux namespaces on the host)");
    return kind;
}

QColor stateColour(const QString &state)
{
    if (state == QLatin1String("ready") || state == QLatin1String("up"))
        return QColor(0x4c, 0xaf, 0x50);
    if (state == QLatin1String("booting"))
        return QColor(0xff, 0xb3, 0x00);
    if (state == QLatin1String("crashed"))
        return QColor(0xd3, 0x2f, 0x2f);
    return QColor(0x9e, 0x9e, 0x9e); // stopped, down
}

TopologyView::TopologyView(TopologyModel *model, QWidget *parent)
    : QGraphicsView(parent)
    , m_model(model)
{
    setScene(new QGraphicsScene(this));
    setRenderHint(QPainter::Antialiasing);
    setObjectName(QStringLiteral("topology"));
    bool positioned = false;
    for (const auto &n : model->nodes())
        positioned = positioned || !n.position.isNull();
    if (!positioned)
        layoutWithGraphviz();
    rebuild();
    connect(model, &TopologyModel::nodeChanged, this, &TopologyView::updateNode);
    connect(model, &TopologyModel::nodesAdded, this, [this] {
        rebuild();
        fitGraph();
    });
    connect(model, &TopologyModel::edgeChanged, this, [this] {
        updateEdges();
        fitGraph(); // a longer label ("eth1 · blocked · 100 ms · 5 % loss") stays in view
    });
    // The script's state, apart from the machines': a badge in the corner.
    m_scriptState = new QLabel(viewport());
    m_scriptState->setObjectName(QStringLiteral("scriptState"));
    m_scriptState->setStyleSheet(
        QStringLiteral("QLabel { background: #e3ecfa; color: #1a3d7c; border: 1px solid #8fb0e6; "
                       "border-radius: 3px; padding: 2px 6px; }"));
    m_scriptState->move(6, 6);
    m_scriptState->hide();
    connect(model, &TopologyModel::scriptStateChanged, this, [this](const QString &text) {
        m_scriptState->setText(text);
        m_scriptState->adjustSize();
        m_scriptState->setVisible(!text.isEmpty());
    });
}

void TopologyView::layoutWithGraphviz()
{
    GVC_t *gvc = gvContext();
    Agraph_t *graph = agopen(const_cast<char *>("topology"), Agundirected, nullptr);
    agattr(graph, AGRAPH, const_cast<char *>("overlap"), const_cast<char *>("false"));
    agattr(graph, AGNODE, const_cast<char *>("width"), const_cast<char *>("1.6"));
    agattr(graph, AGNODE, const_cast<char *>("height"), const_cast<char *>("0.7"));
    agattr(graph, AGEDGE, const_cast<char *>("len"), const_cast<char *>("1.8"));
    QHash<QString, Agnode_t *> nodes;
    for (const auto &n : m_model->nodes())
        nodes.insert(n.id, agnode(graph, n.id.toUtf8().data(), 1));
    for (const auto &e : m_model->edges())
        agedge(graph, nodes.value(e.machine), nodes.value(vlanNodeId(e.vlan)), nullptr, 1);
    gvLayout(gvc, graph, "neato");
    for (auto it = nodes.cbegin(); it != nodes.cend(); ++it) {
        const pointf p = ND_coord(it.value());
        m_model->setPosition(it.key(), QPointF(p.x * 1.4, -p.y * 1.4));
    }
    gvFreeLayout(gvc, graph);
    agclose(graph);
    gvFreeContext(gvc);
}

void TopologyView::rebuild()
{
    scene()->clear();
    m_nodes.clear();
    m_states.clear();
    m_edgeLines.clear();
    m_edgeLabels.clear();
    for (const auto &e : m_model->edges()) {
        auto *line = scene()->addLine(QLineF());
        line->setData(0, lineKey(e));
        line->setZValue(-1);
        m_edgeLines << line;
        auto *label = scene()->addSimpleText(QString());
        label->setData(0, lineKey(e));
        label->setZValue(2); // over the boxes it runs beside, never under them
        m_edgeLabels << label;
    }
    for (const auto &n : m_model->nodes()) {
        const bool machine = n.kind == TopologyModel::Node::Kind::Machine;
        const QSizeF size
            = machine ? QSizeF(machineWidth, machineHeight) : QSizeF(vlanWidth, vlanHeight);
        QGraphicsRectItem *item
            = scene()->addRect(QRectF(QPointF(-size.width() / 2, -size.height() / 2), size));
        item->setFlag(QGraphicsItem::ItemIsMovable);
        item->setFlag(QGraphicsItem::ItemSendsGeometryChanges);
        item->setData(0, n.id);
        item->setPos(n.position);
        item->setToolTip(n.label);
        auto *title = new QGraphicsSimpleTextItem(item);
        QFont font = title->font();
        font.setBold(machine);
        title->setFont(font);
        // A long name is cut, never drawn over the kind icon or out of its box (the tooltip
        // has it whole).
        title->setText(QFontMetricsF(font).elidedText(
            n.label, Qt::ElideRight, size.width() - (machine ? 2 * 24 : 8)));
        title->setPos(-title->boundingRect().width() / 2,
            machine ? -size.height() / 2 + 4 : -title->boundingRect().height() / 2);
        if (machine) {
            auto *state = new QGraphicsSimpleTextItem(item);
            state->setPos(-size.width() / 2 + 8, 4);
            m_states.insert(n.id, state);
            auto *kind = new QGraphicsPixmapItem(kindIcon(n.machineKind).pixmap(16, 16), item);
            kind->setPos(size.width() / 2 - 20, 4);
            kind->setData(0, n.machineKind);
            kind->setToolTip(kindDescription(n.machineKind));
            item->setToolTip(n.label + QStringLiteral(" — ") + kindDescription(n.machineKind)
                + (n.host.isEmpty() ? QString() : tr(", on host %1").arg(n.host)));
        }
        m_nodes.insert(n.id, item);
        updateNode(n.id);
    }
    updateEdges();
}

void TopologyView::updateNode(const QString &id)
{
    const TopologyModel::Node *n = m_model->node(id);
    auto *item = static_cast<QGraphicsRectItem *>(m_nodes.value(id));
    if (!n || !item)
        return;
    const QColor colour = stateColour(n->state);
    item->setBrush(
        n->kind == TopologyModel::Node::Kind::Machine ? colour.lighter(170) : colour.lighter(150));
    item->setPen(QPen(colour.darker(120), 2));
    // A machine on another host says where beside its state: "ready · on rack2".
    if (auto *state = m_states.value(id))
        state->setText(n->host.isEmpty()
                ? n->state
                : n->state + QStringLiteral(" · ") + tr("on %1").arg(n->host));
    if (item->pos() != n->position)
        item->setPos(n->position);
    updateEdges();
}

void TopologyView::updateEdges()
{
    for (int i = 0; i < m_edgeLines.size() && i < m_model->edges().size(); ++i) {
        const TopologyModel::Edge &e = m_model->edges().at(i);
        QGraphicsItem *from = m_nodes.value(e.machine);
        QGraphicsItem *to = m_nodes.value(vlanNodeId(e.vlan));
        if (!from || !to)
            continue;
        const QLineF line(from->pos(), to->pos());
        m_edgeLines[i]->setLine(line);
        QPen pen(e.up ? QColor(0x37, 0x47, 0x4f) : QColor(0xb0, 0xb0, 0xb0), e.capturing ? 4 : 2);
        if (e.blocked || !e.up)
            pen.setStyle(Qt::DashLine);
        if (e.blocked)
            pen.setColor(QColor(0xd3, 0x2f, 0x2f));
        m_edgeLines[i]->setPen(pen);
        QStringList label { e.interface };
        if (e.blocked)
            label << tr("blocked");
        if (!e.impairment.isEmpty())
            label << e.impairment;
        if (e.capturing)
            label << tr("● capturing");
        m_edgeLabels[i]->setText(label.join(QStringLiteral(" · ")));
    }
    placeEdgeLabels();
}

// Each link's label goes to the first place along its line (the middle, then out towards
// either end, on either side) where it covers no box and no other label: on a busy VLAN the
// labels of its links meet near the switch, and two labels over each other are read as none.
// Where no place is free, the one covering least.
void TopologyView::placeEdgeLabels()
{
    QList<QRectF> taken;
    for (QGraphicsItem *node : std::as_const(m_nodes))
        taken << node->sceneBoundingRect();
    const auto overlap = [&taken](const QRectF &r) {
        qreal area = 0;
        for (const QRectF &t : std::as_const(taken)) {
            const QRectF common = r.intersected(t);
            area += common.width() * common.height();
        }
        return area;
    };
    for (int i = 0; i < m_edgeLabels.size(); ++i) {
        QGraphicsSimpleTextItem *label = m_edgeLabels[i];
        const QLineF line = m_edgeLines[i]->line();
        const QSizeF size = label->boundingRect().size();
        const QLineF normal
            = line.length() > 0 ? line.normalVector().unitVector() : QLineF(0, 0, 0, 1);
        const QPointF away(normal.dx(), normal.dy());
        QPointF best;
        qreal bestOverlap = -1;
        for (const qreal t : { 0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.15, 0.85 }) {
            for (const qreal side : { 1.0, -1.0 }) {
                // Beside the line, not over it: its nearest corner half a line-height away.
                const QPointF centre = line.pointAt(t)
                    + away * side
                        * (qAbs(away.x()) * size.width() + qAbs(away.y()) * size.height() + 6) / 2;
                const QRectF rect(centre - QPointF(size.width() / 2, size.height() / 2), size);
                const qreal covered = overlap(rect.adjusted(-2, -2, 2, 2));
                if (bestOverlap < 0 || covered < bestOverlap) {
                    bestOverlap = covered;
                    best = rect.topLeft();
                }
                if (covered == 0)
                    break;
            }
            if (bestOverlap == 0)
                break;
        }
        label->setPos(best);
        taken << QRectF(best, size);
    }
}

void TopologyView::fitGraph()
{
    const QRectF bounds = scene()->itemsBoundingRect().adjusted(-20, -20, 20, 20);
    fitInView(bounds, Qt::KeepAspectRatio);
    // Never larger than life: small graphs stay readable, not blown up.
    if (transform().m11() > 1.0)
        setTransform(QTransform());
    centerOn(bounds.center());
}

QString TopologyView::nodeAt(const QPoint &pos) const
{
    for (QGraphicsItem *item = itemAt(pos); item; item = item->parentItem()) {
        const QString id = item->data(0).toString();
        if (m_nodes.contains(id))
            return id;
    }
    return {};
}

void TopologyView::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    fitGraph();
}

void TopologyView::mouseDoubleClickEvent(QMouseEvent *event)
{
    const QString id = nodeAt(event->pos());
    const TopologyModel::Node *n = m_model->node(id);
    if (n && n->kind == TopologyModel::Node::Kind::Machine)
        emit machineActivated(id);
    QGraphicsView::mouseDoubleClickEvent(event);
}

void TopologyView::contextMenuEvent(QContextMenuEvent *event)
{
    const QString id = nodeAt(event->pos());
    if (const TopologyModel::Node *n = m_model->node(id)) {
        if (n->kind == TopologyModel::Node::Kind::Machine)
            emit machineMenuRequested(id, event->globalPos());
        else
            emit vlanMenuRequested(id.mid(4).toInt(), event->globalPos());
    } else if (const TopologyModel::Edge *e = edgeAt(event->pos())) {
        emit linkMenuRequested(e->machine, e->vlan, event->globalPos());
    }
}

const TopologyModel::Edge *TopologyView::edgeAt(const QPoint &pos) const
{
    const QPointF at = mapToScene(pos);
    const qreal tolerance = 6 / qMax(0.01, transform().m11()); // pixels, in scene units
    for (int i = 0; i < m_edgeLines.size() && i < m_model->edges().size(); ++i) {
        if (m_edgeLabels[i]->sceneBoundingRect().contains(at))
            return &m_model->edges().at(i);
        const QLineF line = m_edgeLines[i]->line();
        const QPointF d = line.p2() - line.p1();
        const qreal length2 = QPointF::dotProduct(d, d);
        const qreal t = length2 > 0
            ? qBound(0.0, QPointF::dotProduct(at - line.p1(), d) / length2, 1.0)
            : 0.0;
        if (QLineF(at, line.p1() + t * d).length() <= tolerance)
            return &m_model->edges().at(i);
    }
    return nullptr;
}

QPoint TopologyView::edgeCentre(const QString &machine, int vlan) const
{
    for (int i = 0; i < m_edgeLines.size() && i < m_model->edges().size(); ++i) {
        const TopologyModel::Edge &e = m_model->edges().at(i);
        if (e.machine == machine && e.vlan == vlan)
            return mapFromScene(m_edgeLines[i]->line().pointAt(0.5));
    }
    return {};
}

void TopologyView::mouseReleaseEvent(QMouseEvent *event)
{
    QGraphicsView::mouseReleaseEvent(event);
    bool moved = false;
    for (auto it = m_nodes.cbegin(); it != m_nodes.cend(); ++it) {
        const TopologyModel::Node *n = m_model->node(it.key());
        if (n && n->position != it.value()->pos()) {
            m_model->setPosition(it.key(), it.value()->pos());
            moved = true;
        }
    }
    if (moved)
        emit nodeMoved();
}

} // namespace vivarium
