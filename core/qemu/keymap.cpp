#include "core/qemu/keymap.h"

#include <QHash>

namespace vivarium::keymap {

const QStringList &knownQcodes()
{
    static const QStringList codes = [] {
        QStringList list = QStringLiteral(
            "unmapped shift shift_r alt alt_r ctrl ctrl_r menu esc 1 2 3 4 5 6 7 8 9 0 minus "
            "equal backspace tab q w e r t y u i o p ret a s d f g h j k l z x c v b n m "
            "bracket_left bracket_right semicolon apostrophe grave_accent backslash comma dot "
            "slash asterisk spc caps_lock f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 num_lock "
            "scroll_lock kp_divide kp_multiply kp_subtract kp_add kp_enter kp_decimal sysrq "
            "kp_0 kp_1 kp_2 kp_3 kp_4 kp_5 kp_6 kp_7 kp_8 kp_9 less print home pgup pgdn end "
            "left up down right insert delete stop again props undo front copy open paste find "
            "cut lf help meta_l meta_r compose pause ro hiragana henkan yen muhenkan "
            "katakanahiragana kp_comma kp_equals power sleep wake audionext audioprev audiostop "
            "audioplay audiomute volumeup volumedown mediaselect mail calculator computer "
            "ac_home ac_back ac_forward ac_refresh ac_bookmarks lang1 lang2 f13 f14 f15 f16 "
            "f17 f18 f19 f20 f21 f22 f23 f24")
                               .split(QLatin1Char(' '));
        return list;
    }();
    return codes;
}

namespace {

// Names QEMU's HMP sendkey accepts besides the qcodes themselves.
const QHash<QString, QString> &aliases()
{
    static const QHash<QString, QString> table {
        { QStringLiteral("enter"), QStringLiteral("ret") },
        { QStringLiteral("return"), QStringLiteral("ret") },
        { QStringLiteral("space"), QStringLiteral("spc") },
        { QStringLiteral("escape"), QStringLiteral("esc") },
        { QStringLiteral("del"), QStringLiteral("delete") },
        { QStringLiteral("control"), QStringLiteral("ctrl") },
        { QStringLiteral("page_up"), QStringLiteral("pgup") },
        { QStringLiteral("page_down"), QStringLiteral("pgdn") },
        { QStringLiteral("super"), QStringLiteral("meta_l") },
        { QStringLiteral("win"), QStringLiteral("meta_l") },
        { QStringLiteral("backtab"), QStringLiteral("tab") },
    };
    return table;
}

} // namespace

std::optional<QStringList> qcodesForCombo(const QString &combo, QString *error)
{
    QStringList result;
    if (combo.isEmpty()) {
        if (error)
            *error = QStringLiteral("empty key name");
        return std::nullopt;
    }
    // "-" separates keys; a key that is itself "-" is spelled "minus".
    const QStringList parts = combo.split(QLatin1Char('-'));
    for (const QString &raw : parts) {
        const QString part = raw.toLower();
        QString code = aliases().value(part, part);
        if (!knownQcodes().contains(code)) {
            if (error)
                *error = QStringLiteral("unknown key '%1' in \"%2\"").arg(raw, combo);
            return std::nullopt;
        }
        result.append(code);
    }
    return result;
}

QString comboForChar(QChar c)
{
    static const QHash<QChar, QString> table = [] {
        QHash<QChar, QString> t;
        for (char ch = 'a'; ch <= 'z'; ++ch) {
            t.insert(QLatin1Char(ch), QString(QLatin1Char(ch)));
            t.insert(QLatin1Char(char(ch - 'a' + 'A')), QStringLiteral("shift-") + QLatin1Char(ch));
        }
        for (char ch = '0'; ch <= '9'; ++ch)
            t.insert(QLatin1Char(ch), QString(QLatin1Char(ch)));
        const char *pairs[][2] = {
            { "\n", "ret" },
            { "\r", "ret" },
            { "\t", "tab" },
            { " ", "spc" },
            { "\b", "backspace" },
            { "\x1b", "esc" },
            { "!", "shift-1" },
            { "@", "shift-2" },
            { "#", "shift-3" },
            { "$", "shift-4" },
            { "%", "shift-5" },
            { "^", "shift-6" },
            { "&", "shift-7" },
            { "*", "shift-8" },
            { "(", "shift-9" },
            { ")", "shift-0" },
            { "-", "minus" },
            { "_", "shift-minus" },
            { "=", "equal" },
            { "+", "shift-equal" },
            { "[", "bracket_left" },
            { "{", "shift-bracket_left" },
            { "]", "bracket_right" },
            { "}", "shift-bracket_right" },
            { ";", "semicolon" },
            { ":", "shift-semicolon" },
            { "'", "apostrophe" },
            { "\"", "shift-apostrophe" },
            { "`", "grave_accent" },
            { "~", "shift-grave_accent" },
            { "\\", "backslash" },
            { "|", "shift-backslash" },
            { ",", "comma" },
            { "<", "shift-comma" },
            { ".", "dot" },
            { ">", "shift-dot" },
            { "/", "slash" },
            { "?", "shift-slash" },
        };
        for (const auto &pair : pairs)
            t.insert(QLatin1Char(pair[0][0]), QString::fromLatin1(pair[1]));
        return t;
    }();
    return table.value(c);
}

} // namespace vivarium::keymap
