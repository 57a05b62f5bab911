#pragma once

#include "ui/topology/topologymodel.h"

#include <QGraphicsView>
#include <QHash>
#include <QIcon>

class QGraphicsItem;
class QGraphicsLineItem;
class QGraphicsSimpleTextItem;
class QLabel;

namespace vivarium {

// The icon and the words for a machine's kind ("vm"), on its box in the graph.
QIcon kindIcon(const QString &kind);
QString kindDescription(const QString &kind);

// Draws the topology: machines as rounded boxes coloured by state, VLAN switches as bars, NICs as
// lines labelled with their impairment, broken (dashed) when blocked or down, marked when
// capturing. Laid out by Graphviz (neato) unless positions were saved; nodes can be dragged.
class TopologyView : public QGraphicsView {
    Q_OBJECT

public:
    explicit TopologyView(TopologyModel *model, QWidget *parent = nullptr);

    // Positions every node with Graphviz.
    void layoutWithGraphviz();

signals:
    void machineActivated(const QString &machine); // double-click
    void machineMenuRequested(const QString &machine, const QPoint &globalPos);
    void linkMenuRequested(const QString &machine, int vlan, const QPoint &globalPos);
    void vlanMenuRequested(int vlan, const QPoint &globalPos);
    void nodeMoved();

protected:
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override; // the whole graph stays in view

private:
    void rebuild();
    void updateNode(const QString &id);
    void updateEdges();
    void placeEdgeLabels();
    void fitGraph(); // the whole graph, labels included, in view
    QString nodeAt(const QPoint &pos) const;
    // The edge drawn at or within a few pixels of pos (its line or its label); null if none.
    const TopologyModel::Edge *edgeAt(const QPoint &pos) const;

public:
    // Where an edge's middle is on screen, in view coordinates (for tests and menus).
    QPoint edgeCentre(const QString &machine, int vlan) const;

    TopologyModel *m_model;
    QHash<QString, QGraphicsItem *> m_nodes;
    QHash<QString, QGraphicsSimpleTextItem *> m_states;
    QList<QGraphicsLineItem *> m_edgeLines;
    QList<QGraphicsSimpleTextItem *> m_edgeLabels;
    QLabel *m_scriptState = nullptr;
};

QColor stateColour(const QString &state);

} // namespace vivarium
