#include "ui/screen/keysyms.h"

#include <QHash>

namespace vivarium {

quint32 keysymFor(int qtKey, const QString &text)
{
    static const QHash<int, quint32> special = {
        { Qt::Key_Return, 0xff0d },
        { Qt::Key_Enter, 0xff8d },
        { Qt::Key_Backspace, 0xff08 },
        { Qt::Key_Tab, 0xff09 },
        { Qt::Key_Backtab, 0xfe20 },
        { Qt::Key_Escape, 0xff1b },
        { Qt::Key_Delete, 0xffff },
        { Qt::Key_Insert, 0xff63 },
        { Qt::Key_Home, 0xff50 },
        { Qt::Key_End, 0xff57 },
        { Qt::Key_Left, 0xff51 },
        { Qt::Key_Up, 0xff52 },
        { Qt::Key_Right, 0xff53 },
        { Qt::Key_Down, 0xff54 },
        { Qt::Key_PageUp, 0xff55 },
        { Qt::Key_PageDown, 0xff56 },
        { Qt::Key_Shift, 0xffe1 },
        { Qt::Key_Control, 0xffe3 },
        { Qt::Key_Meta, 0xffeb },
        { Qt::Key_Alt, 0xffe9 },
        { Qt::Key_AltGr, 0xfe03 },
        { Qt::Key_CapsLock, 0xffe5 },
        { Qt::Key_NumLock, 0xff7f },
        { Qt::Key_ScrollLock, 0xff14 },
        { Qt::Key_Pause, 0xff13 },
        { Qt::Key_Print, 0xff61 },
        { Qt::Key_Menu, 0xff67 },
        { Qt::Key_Space, 0x20 },
    };
    if (const auto it = special.constFind(qtKey); it != special.cend())
        return it.value();
    if (qtKey >= Qt::Key_F1 && qtKey <= Qt::Key_F24)
        return 0xffbe + quint32(qtKey - Qt::Key_F1);
    const QList<uint> ucs = text.toUcs4();
    if (ucs.size() == 1 && ucs.first() >= 0x20 && ucs.first() != 0x7f) {
        const uint c = ucs.first();
        return c < 0x100 ? c : 0x01000000 | c; // Latin-1 keysyms are the code points
    }
    // Control combinations carry control characters as text: use the key itself.
    if (qtKey >= Qt::Key_A && qtKey <= Qt::Key_Z)
        return quint32('a' + (qtKey - Qt::Key_A));
    if (qtKey >= 0x20 && qtKey < 0x7f)
        return quint32(qtKey);
    return 0;
}

} // namespace vivarium
