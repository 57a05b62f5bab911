#pragma once

#include <QList>
#include <QWidget>

namespace vivarium {

// The search of a property over time, drawn small: a bar per example at the time it ended, as
// tall as its steps, blue while searching, red for a failing one, orange for a shrink try that
// passed; so a user sees examples come, how long they are, and the failing case get shorter as
// the shrink goes on. Plain painting: a bar per example needs no charting library.
class PropertyChart : public QWidget {
    Q_OBJECT

public:
    struct Example {
        qint64 endMs = 0; // since the property started
        int steps = 0;
        QString phase; // generate, shrink, final
        bool passed = true;
    };

    explicit PropertyChart(QWidget *parent = nullptr);
    void clear();
    void add(const Example &example);
    const QList<Example> &examples() const { return m_examples; }
    QSize sizeHint() const override { return { 360, 120 }; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<Example> m_examples;
};

} // namespace vivarium
