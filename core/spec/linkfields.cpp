#include "core/spec/linkfields.h"

#include <QStringList>
#include <cmath>

namespace vivarium {

const std::array<LinkField, 5> &linkFields()
{
    static const std::array<LinkField, 5> fields { {
        { "delay_ms", "ms", 0, LinkSettings::maxDelayMs, false,
            [](const LinkSettings &s) { return s.delayMs; },
            [](LinkSettings &s, double v) { s.delayMs = v; }, &LinkUpdate::delayMs },
        { "jitter_ms", "ms", 0, LinkSettings::maxDelayMs, false,
            [](const LinkSettings &s) { return s.jitterMs; },
            [](LinkSettings &s, double v) { s.jitterMs = v; }, &LinkUpdate::jitterMs },
        { "loss", "", 0, 1, false, [](const LinkSettings &s) { return s.loss; },
            [](LinkSettings &s, double v) { s.loss = v; }, &LinkUpdate::loss },
        { "dup", "", 0, 1, false, [](const LinkSettings &s) { return s.dup; },
            [](LinkSettings &s, double v) { s.dup = v; }, &LinkUpdate::dup },
        // 0 is "unlimited", in the test file as at run time.
        { "bandwidth_kbit", "kbit/s", 0, LinkSettings::maxBandwidthKbit, true,
            [](const LinkSettings &s) { return double(s.bandwidthKbit); },
            [](LinkSettings &s, double v) { s.bandwidthKbit = int(v); },
            &LinkUpdate::bandwidthKbit },
    } };
    return fields;
}

const LinkField *linkField(const QString &key)
{
    for (const LinkField &field : linkFields()) {
        if (key == QLatin1String(field.key))
            return &field;
    }
    return nullptr;
}

QString linkFieldKeys()
{
    QStringList keys;
    for (const LinkField &field : linkFields())
        keys << QLatin1String(field.key);
    return keys.join(QStringLiteral(", "));
}

QString LinkField::check(double value) const
{
    const auto number = [](double v) { return QString::number(v, 'g', 12); };
    // NaN compares false with everything: test for it first, or it passes as "in range".
    if (!std::isfinite(value) || value < min || value > max)
        return QStringLiteral("'%1' must be between %2 and %3, not %4")
            .arg(QLatin1String(key), number(min), number(max), number(value));
    if (integer && value != std::floor(value))
        return QStringLiteral("'%1' must be a whole number, not %2")
            .arg(QLatin1String(key), number(value));
    return {};
}

LinkSettings LinkUpdate::appliedTo(LinkSettings settings) const
{
    for (const LinkField &field : linkFields()) {
        if (const std::optional<double> &value = this->*field.update)
            field.set(settings, *value);
    }
    return settings;
}

bool LinkUpdate::isEmpty() const
{
    for (const LinkField &field : linkFields()) {
        if (this->*field.update)
            return false;
    }
    return true;
}

} // namespace vivarium
