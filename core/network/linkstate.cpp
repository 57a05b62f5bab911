#include "core/network/linkstate.h"

namespace vivarium {

event::LinkChanged LinkState::toEvent() const
{
    return { machine, nic.vlan, nic.interface, nic.mac, nic.ipv4, nic.ipv6, up(), blocked, settings,
        capturePath };
}

event::VlanChanged VlanState::toEvent() const
{
    return { vlan, machines, switchRunning, capturePath };
}

QStringList wirefilterCommands(const LinkSettings &s)
{
    const auto number = [](double value) { return QString::number(value, 'g', 10); };
    // Delay with jitter is "delay+jitter": uniform over [delay - jitter, delay + jitter].
    QString delay = QStringLiteral("delay LR ") + number(s.delayMs);
    if (s.jitterMs > 0)
        delay += QLatin1Char('+') + number(s.jitterMs);
    return {
        delay,
        QStringLiteral("loss LR ") + number(s.loss * 100),
        QStringLiteral("dup LR ") + number(s.dup * 100),
        // wirefilter counts bytes per second; 0 is unlimited.
        QStringLiteral("bandwidth LR ") + QString::number(qint64(s.bandwidthKbit) * 125),
    };
}

QString describeImpairment(const LinkSettings &s)
{
    QStringList parts;
    if (s.delayMs > 0 || s.jitterMs > 0) {
        QString delay = QString::number(s.delayMs, 'g', 6) + QStringLiteral(" ms");
        if (s.jitterMs > 0)
            delay += QStringLiteral(" ± ") + QString::number(s.jitterMs, 'g', 6);
        parts << delay;
    }
    if (s.loss > 0)
        parts << QString::number(s.loss * 100, 'g', 6) + QStringLiteral(" % loss");
    if (s.dup > 0)
        parts << QString::number(s.dup * 100, 'g', 6) + QStringLiteral(" % dup");
    if (s.bandwidthKbit > 0)
        parts << QString::number(s.bandwidthKbit) + QStringLiteral(" kbit/s");
    return parts.join(QStringLiteral(" · "));
}

} // namespace vivarium
