#pragma once

#include <QString>
#include <stdexcept>

namespace vivarium {

// A failed driver call: a command's status, a timeout, a machine that died or never came up, a
// network process that failed. At the ground floor so that every layer can throw and catch it.
class MachineError : public std::runtime_error {
public:
    enum class Kind { Failed, Timeout, Dead, Cancelled, Usage };
    MachineError(Kind kind, const QString &message)
        : std::runtime_error(message.toStdString())
        , m_kind(kind)
    {
    }
    Kind kind() const { return m_kind; }

private:
    Kind m_kind;
};

} // namespace vivarium
