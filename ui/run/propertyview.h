#pragma once

#include "core/event/events.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QListWidget;
class QVBoxLayout;

namespace vivarium {

class PropertyChart;
class TopologyModel;
class TopologyView;

// A property run, live: which property, which example of how many and in which phase; the
// example's network as it is made (its machines and VLANs in their states, as the Topology
// draws the test's); the example's steps with the one running marked; and the search so far
// (PropertyChart). Fed the run's property and network events and every machine state.
class PropertyView : public QWidget {
    Q_OBJECT

public:
    explicit PropertyView(QWidget *parent = nullptr);

    void clear(); // a new run
    void onEvent(const Event &event);
    void setMachineState(const QString &machine, const QString &state, const QString &detail);

    QLabel *header() const { return m_header; }
    QListWidget *steps() const { return m_steps; }
    PropertyChart *chart() const { return m_chart; }
    TopologyModel *network() const { return m_model; }

signals:
    void started(); // a property began: the view is worth showing

private:
    void showNetwork(const QString &label, const QString &toml);
    void updateHeader();

    QLabel *m_header;
    QLabel *m_networkLabel;
    QVBoxLayout *m_networkBox;
    QListWidget *m_steps;
    PropertyChart *m_chart;
    QPointer<TopologyModel> m_model;
    QPointer<TopologyView> m_view;
    QString m_property;
    int m_examplesAsked = 0;
    int m_example = 0;
    int m_ended = 0;
    int m_failing = 0;
    QString m_phase;
    qint64 m_startMs = 0;
    QString m_outcome; // when the property ended
};

} // namespace vivarium
