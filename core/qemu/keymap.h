#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace vivarium {

// Translations from the key names test scripts use (NixOS / QEMU sendkey names such as
// "ctrl-alt-delete", "alt-f2", "ret") and from typed characters to QMP qcodes.
namespace keymap {

// "ctrl-alt-delete" -> {"ctrl", "alt", "delete"}; nullopt names the first unknown key in error.
std::optional<QStringList> qcodesForCombo(const QString &combo, QString *error = nullptr);
// The key combos that type one character ('A' -> "shift-a", '\n' -> "ret"); empty if none.
QString comboForChar(QChar c);
// Every qcode QEMU 7.2 accepts for send-key.
const QStringList &knownQcodes();

} // namespace keymap
} // namespace vivarium
