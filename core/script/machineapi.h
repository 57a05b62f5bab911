#pragma once

#include "core/machine/machine.h"

#include <QMap>
#include <QRect>
#include <QSize>
#include <QString>
#include <QVariant>
#include <functional>
#include <variant>
#include <vector>

namespace vivarium {

// The script API's machine methods that pass straight through to a Machine, one row each: the
// Python name, its arguments with their defaults, the C++ call and the kind of value it gives
// back. The `_vivarium` module dispatches on it and driver.py turns each row into a method of
// Machine, so a new pass-through method is one row here plus its C++ in Machine. driver.py
// defines a method itself only where it is genuinely Python (several commands, user units,
// retries in Python); those call the rows they need by name.
struct ApiArgument {
    // Region: None or (x, y, width, height); OptionalFloat: a number or None (NaN in C++).
    enum class Type { String, Int, Float, Bool, Region, OptionalFloat };
    const char *name;
    Type type;
    // The default when the script leaves the argument out (null: the argument is required).
    // For a Float, a script's None also means the default (NixOS's timeout=None).
    QVariant defaultValue {};
};

// What a row's call gives back, converted to Python by the module.
// An empty QVariantMap is None (match_screen without a match); QList<QRect> is a list of
// (x, y, width, height).
using ApiValue = std::variant<std::monostate, bool, QString, CommandResult, QMap<QString, QString>,
    QSize, QStringList, QList<QRect>, QVariantMap>;

// The arguments of one call, converted to the row's types and defaults applied.
class ApiArguments {
public:
    explicit ApiArguments(QVariantList values)
        : m_values(std::move(values))
    {
    }
    QString string(int i) const { return m_values.at(i).toString(); }
    int integer(int i) const { return m_values.at(i).toInt(); }
    double number(int i) const { return m_values.at(i).toDouble(); }
    bool boolean(int i) const { return m_values.at(i).toBool(); }
    QRect region(int i) const { return m_values.at(i).toRect(); }

private:
    QVariantList m_values;
};

struct ApiMethod {
    const char *name; // the Python method: "wait_for_open_port"
    std::vector<ApiArgument> arguments;
    std::function<ApiValue(Machine &, const ApiArguments &)> call;
    // Reported as a driver call (pauses on failure, steps by action): false for queries that
    // only read state (is_up, get_console_log).
    bool isAction = true;
    // What the call gives back when the user skips its failure: its type's empty value
    // ("" for text, (0, "") for a command).
    ApiValue skipped;
    // What only a VM has that the call needs ("screen", "QEMU monitor", "snapshots"); a
    // container machine refuses the call naming it. Null: every kind has it.
    const char *vmOnly = nullptr;
};

// The message of a call a machine of its kind cannot make, or empty.
QString kindRefusal(const ApiMethod &method, const MachineSpec &machine);

const std::vector<ApiMethod> &machineApi();
const ApiMethod *machineApiMethod(const QString &name);

// restore()'s and restore_all()'s clock argument: true for "host", false for "snapshot";
// anything else is a usage error.
bool hostClock(const QString &clock);

} // namespace vivarium
