#include "linkstate.h"

#include <QJsonArray>

namespace vivarium {

LinkSettings LinkUpdate::appliedTo(LinkSettings settings) const
{
    settings.delayMs = delayMs.value_or(settings.delayMs);
    settings.jitterMs = jitterMs.value_or(settings.jitterMs);
    settings.loss = loss.value_or(settings.loss);
    settings.dup = dup.value_or(settings.dup);
    settings.bandwidthKbit = bandwidthKbit.value_or(settings.bandwidthKbit);
    return settings;
}

bool LinkUpdate::isEmpty() const
{
    return !delayMs && !jitterMs && !loss && !dup && !bandwidthKbit;
}

QJsonObject LinkState::toJson() const
{
    return {
        { QStringLiteral("machine"), machine },
        { QStringLiteral("vlan"), nic.vlan },
        { QStringLiteral("interface"), nic.interface },
        { QStringLiteral("mac"), nic.mac },
        { QStringLiteral("ipv4"), nic.ipv4 },
        { QStringLiteral("ipv6"), nic.ipv6 },
        { QStringLiteral("up"), up() },
        { QStringLiteral("blocked"), blocked },
        { QStringLiteral("delay_ms"), settings.delayMs },
        { QStringLiteral("jitter_ms"), settings.jitterMs },
        { QStringLiteral("loss"), settings.loss },
        { QStringLiteral("dup"), settings.dup },
        { QStringLiteral("bandwidth_kbit"), settings.bandwidthKbit },
        { QStringLiteral("capture"), capturePath },
    };
}

QJsonObject VlanState::toJson() const
{
    return {
        { QStringLiteral("vlan"), vlan },
        { QStringLiteral("machines"), QJsonArray::fromStringList(machines) },
        { QStringLiteral("up"), switchRunning },
        { QStringLiteral("capture"), capturePath },
    };
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
