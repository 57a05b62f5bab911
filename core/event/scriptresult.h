#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>
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
    // The failures the user chose to Skip in the workbench ("script.py:3: exit 1 ..."): the
    // script ran to its end, but it did not pass.
    QStringList skipped;
    // The failed calls the user retried as an edited line ("script.py:10: `old` replaced by
    // `new`"): the run went on with text the file on disk does not have, so it is no pass.
    QStringList replaced;

    bool passed() const
    {
        return outcome == Outcome::Passed && skipped.isEmpty() && replaced.isEmpty();
    }
    // "passed", "failed", ... or "passed with 2 skipped failures and 1 replaced line".
    QString verdict() const;
    static QString outcomeName(Outcome outcome);
    static std::optional<Outcome> outcomeNamed(const QString &name);
};

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::ScriptResult)
