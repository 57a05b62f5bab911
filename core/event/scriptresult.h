#pragma once

#include <QMetaType>
#include <QString>
#include <optional>

namespace vivarium {

// How a script run ended, as the engine, the reports and the programs' exit codes see it.
struct ScriptResult {
    enum class Outcome { Passed, Failed, Stopped, TimedOut };
    Outcome outcome = Outcome::Passed;
    QString message; // what failed: the driver's error, or Python's exception line
    QString file; // the script line that failed
    int line = 0;
    QString traceback; // Python's, when the failure was a Python exception

    bool passed() const { return outcome == Outcome::Passed; }
    static QString outcomeName(Outcome outcome);
    static std::optional<Outcome> outcomeNamed(const QString &name);
};

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::ScriptResult)
