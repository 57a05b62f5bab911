// libFuzzer: a guest's terminal output (escape sequences of any kind) into the terminal
// surface the workbench draws, with resizes between pieces.
#include "ui/terminal/terminalsurface.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vivarium::TerminalSurface surface(24, 80);
    surface.setScrollbackLimit(200);
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype chunk = size > 0 ? 1 + data[0] % 128 : 1;
    for (qsizetype at = 0; at < bytes.size(); at += chunk) {
        surface.feed(bytes.mid(at, chunk));
        if (at % 7 == 3)
            surface.resize(1 + data[at] % 60, 1 + data[at] % 200);
    }
    for (int line = 0; line < surface.lineCount(); ++line)
        (void)surface.lineText(line);
    return 0;
}
