#include "core/event/scriptresult.h"

namespace vivarium {

QString ScriptResult::outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Passed:
        return QStringLiteral("passed");
    case Outcome::Failed:
        return QStringLiteral("failed");
    case Outcome::Stopped:
        return QStringLiteral("stopped");
    case Outcome::TimedOut:
        return QStringLiteral("timed out");
    }
    return {};
}

QString ScriptResult::verdict() const
{
    if (outcome != Outcome::Passed || (skipped.isEmpty() && replaced.isEmpty()))
        return outcomeName(outcome);
    QStringList parts;
    if (!skipped.isEmpty())
        parts << (skipped.size() == 1 ? QStringLiteral("1 skipped failure")
                                      : QStringLiteral("%1 skipped failures").arg(skipped.size()));
    if (!replaced.isEmpty())
        parts << (replaced.size() == 1 ? QStringLiteral("1 replaced line")
                                       : QStringLiteral("%1 replaced lines").arg(replaced.size()));
    return QStringLiteral("passed with ") + parts.join(QStringLiteral(" and "));
}

std::optional<ScriptResult::Outcome> ScriptResult::outcomeNamed(const QString &name)
{
    for (Outcome o : { Outcome::Passed, Outcome::Failed, Outcome::Stopped, Outcome::TimedOut }) {
        if (outcomeName(o) == name)
            return o;
    }
    return std::nullopt;
}

} // namespace vivarium
