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
    if (outcome != Outcome::Passed || skipped.isEmpty())
        return outcomeName(outcome);
    return skipped.size() == 1
        ? QStringLiteral("passed with 1 skipped failure")
        : QStringLiteral("passed with %1 skipped failures").arg(skipped.size());
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
