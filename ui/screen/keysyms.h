#pragma once

#include <QString>

namespace vivarium {

// The X keysym (what VNC sends) for a Qt key and the text it typed; 0 when there is none.
// Printable characters come from the text (so the keyboard layout is the user's), the rest
// from the key.
quint32 keysymFor(int qtKey, const QString &text);

} // namespace vivarium
