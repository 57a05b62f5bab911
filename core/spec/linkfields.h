#pragma once

#include "core/spec/testspec.h"

#include <QString>
#include <array>
#include <optional>

namespace vivarium {

// A change to some of a link's values; what is unset stays as it is.
struct LinkUpdate {
    std::optional<double> delayMs {};
    std::optional<double> jitterMs {};
    std::optional<double> loss {};
    std::optional<double> dup {};
    std::optional<double> bandwidthKbit {};

    LinkSettings appliedTo(LinkSettings settings) const;
    bool isEmpty() const;
};

// One impairment setting of a link. The test-file key is also the script's keyword argument
// (set_link(delay_ms=...)), the key in events.jsonl and in link(); its range is the one the
// loader, LinkSettings::validate() and the running network all enforce. Every place that lists
// the settings goes through this table.
struct LinkField {
    const char *key; // "delay_ms"
    const char *unit; // for messages and the workbench: "ms", "", "kbit/s"
    double min;
    double max;
    bool integer; // whole numbers only
    double (*get)(const LinkSettings &);
    void (*set)(LinkSettings &, double);
    std::optional<double> LinkUpdate::*update;

    // Empty when value is allowed, else what is wrong with it, naming the key.
    QString check(double value) const;
};

const std::array<LinkField, 5> &linkFields();
// The field with this key, or null.
const LinkField *linkField(const QString &key);
// "delay_ms, jitter_ms, loss, dup, bandwidth_kbit", for messages.
QString linkFieldKeys();

} // namespace vivarium
