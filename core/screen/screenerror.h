#pragma once

#include <QString>
#include <stdexcept>

namespace vivarium {

// What the screen readers (OCR, needles) could not do, said for the user: a needle file that
// is not JSON, an area outside the screen, OCR data not installed. The machine turns it into
// a MachineError naming itself.
class ScreenError : public std::runtime_error {
public:
    explicit ScreenError(const QString &message)
        : std::runtime_error(message.toStdString())
        , m_message(message)
    {
    }
    const QString &message() const { return m_message; }

private:
    QString m_message;
};

} // namespace vivarium
