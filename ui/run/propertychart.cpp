#include "ui/run/propertychart.h"

#include <QPainter>
#include <algorithm>

namespace vivarium {

PropertyChart::PropertyChart(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("propertyChart"));
    setMinimumHeight(90);
}

void PropertyChart::clear()
{
    m_examples.clear();
    update();
}

void PropertyChart::add(const Example &example)
{
    m_examples << example;
    update();
}

void PropertyChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const QFontMetrics metrics(font());
    const int margin = metrics.height() + 4;
    const QRect plot = rect().adjusted(margin * 2, 6, -8, -margin);
    p.setPen(palette().color(QPalette::Mid));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    p.setPen(palette().color(QPalette::Text));
    if (m_examples.isEmpty()) {
        p.drawText(plot, Qt::AlignCenter, tr("no example has ended yet"));
        return;
    }
    const qint64 spanMs = std::max<qint64>(1000, m_examples.last().endMs);
    int most = 1;
    for (const Example &e : m_examples)
        most = std::max(most, e.steps);
    p.drawText(QRect(0, plot.top(), margin * 2 - 4, metrics.height()), Qt::AlignRight,
        QString::number(most));
    p.drawText(QRect(0, plot.bottom() - metrics.height(), margin * 2 - 4, metrics.height()),
        Qt::AlignRight, QStringLiteral("0"));
    p.drawText(QRect(plot.left(), plot.bottom() + 2, plot.width(), metrics.height()),
        Qt::AlignRight, tr("%1 s, %2 examples").arg(spanMs / 1000).arg(m_examples.size()));
    const int barWidth = std::clamp(plot.width() / int(m_examples.size() + 1), 2, 12);
    for (const Example &e : m_examples) {
        const int x
            = plot.left() + int(double(e.endMs) / double(spanMs) * (plot.width() - barWidth));
        const int height = std::max(2, int(double(e.steps) / most * plot.height()));
        const QColor colour = !e.passed            ? QColor(0xc0, 0x1c, 0x28)
            : e.phase == QLatin1String("generate") ? QColor(0x35, 0x84, 0xe4)
                                                   : QColor(0xe6, 0x61, 0x00);
        p.fillRect(QRect(x, plot.bottom() - height, barWidth - 1, height), colour);
    }
}

} // namespace vivarium
