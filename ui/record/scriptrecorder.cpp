#include "ui/record/scriptrecorder.h"

#include "core/qemu/keymap.h"

#include <QRegularExpression>

namespace vivarium {

ScriptRecorder::ScriptRecorder(QObject *parent)
    : QObject(parent)
{
    m_idle.setSingleShot(true);
    m_idle.setInterval(2000);
    connect(&m_idle, &QTimer::timeout, this, &ScriptRecorder::flush);
}

void ScriptRecorder::setRecording(bool on)
{
    if (!on)
        flush();
    m_recording = on;
}

QString ScriptRecorder::variableFor(const QString &machine)
{
    QString name = machine;
    return name.replace(QLatin1Char('-'), QLatin1Char('_'));
}

QString ScriptRecorder::pythonString(const QString &text)
{
    QString out = QStringLiteral("\"");
    for (const QChar c : text) {
        switch (c.unicode()) {
        case '\\':
            out += QLatin1String("\\\\");
            break;
        case '"':
            out += QLatin1String("\\\"");
            break;
        case '\n':
            out += QLatin1String("\\n");
            break;
        case '\t':
            out += QLatin1String("\\t");
            break;
        case '\r':
            out += QLatin1String("\\r");
            break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
            else
                out += c;
        }
    }
    return out + QLatin1Char('"');
}

QString ScriptRecorder::regexEscape(const QString &text)
{
    static const QString special = QStringLiteral("()[]{}?*+-|^$\\.&~# \t\n\r\v\f");
    QString out;
    for (const QChar c : text) {
        if (special.contains(c))
            out += QLatin1Char('\\');
        out += c;
    }
    return out;
}

QString ScriptRecorder::keyName(int qtKey, Qt::KeyboardModifiers modifiers)
{
    static const QHash<int, QString> named = [] {
        QHash<int, QString> t {
            { Qt::Key_Return, QStringLiteral("ret") },
            { Qt::Key_Enter, QStringLiteral("kp_enter") },
            { Qt::Key_Backspace, QStringLiteral("backspace") },
            { Qt::Key_Tab, QStringLiteral("tab") },
            { Qt::Key_Backtab, QStringLiteral("tab") },
            { Qt::Key_Escape, QStringLiteral("esc") },
            { Qt::Key_Delete, QStringLiteral("delete") },
            { Qt::Key_Insert, QStringLiteral("insert") },
            { Qt::Key_Home, QStringLiteral("home") },
            { Qt::Key_End, QStringLiteral("end") },
            { Qt::Key_PageUp, QStringLiteral("pgup") },
            { Qt::Key_PageDown, QStringLiteral("pgdn") },
            { Qt::Key_Left, QStringLiteral("left") },
            { Qt::Key_Right, QStringLiteral("right") },
            { Qt::Key_Up, QStringLiteral("up") },
            { Qt::Key_Down, QStringLiteral("down") },
            { Qt::Key_Space, QStringLiteral("spc") },
            { Qt::Key_Print, QStringLiteral("print") },
            { Qt::Key_SysReq, QStringLiteral("sysrq") },
            { Qt::Key_Pause, QStringLiteral("pause") },
            { Qt::Key_Menu, QStringLiteral("menu") },
        };
        for (int f = 1; f <= 12; ++f)
            t.insert(Qt::Key_F1 + f - 1, QStringLiteral("f%1").arg(f));
        return t;
    }();
    QString key = named.value(qtKey);
    if (key.isEmpty() && qtKey > 0x20 && qtKey < 0x7f)
        key = keymap::comboForChar(QChar(qtKey).toLower());
    if (key.isEmpty())
        return {};
    QString prefix;
    if (modifiers & Qt::ControlModifier)
        prefix += QLatin1String("ctrl-");
    if (modifiers & Qt::AltModifier)
        prefix += QLatin1String("alt-");
    if (modifiers & Qt::MetaModifier)
        prefix += QLatin1String("meta_l-");
    if ((modifiers & Qt::ShiftModifier) && !key.startsWith(QLatin1String("shift-")))
        prefix += QLatin1String("shift-");
    return prefix + key;
}

QString ScriptRecorder::commandAfterPrompt(const QStringList &rows, int enterRow, int cols)
{
    static const QRegularExpression prompt(QStringLiteral("^[^@\\s]+@[^:\\s]+:[^#]*# "));
    for (qsizetype i = qMin<qsizetype>(enterRow, rows.size() - 1); i >= 0; --i) {
        const QRegularExpressionMatch match = prompt.match(rows.at(i));
        if (!match.hasMatch())
            continue;
        QString command = rows.at(i).mid(match.capturedLength());
        for (qsizetype j = i + 1; j < rows.size() && rows.at(j - 1).size() >= cols; ++j)
            command += rows.at(j);
        return command.trimmed();
    }
    return {};
}

QString ScriptRecorder::typedText(int qtKey, const QString &text, Qt::KeyboardModifiers modifiers)
{
    if (modifiers & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier))
        return {};
    if (qtKey == Qt::Key_Return || qtKey == Qt::Key_Enter)
        return QStringLiteral("\n");
    if (qtKey == Qt::Key_Tab)
        return QStringLiteral("\t");
    if (!text.isEmpty() && text.at(0).unicode() >= 0x20 && text.at(0).unicode() != 0x7f)
        return text;
    return {};
}

void ScriptRecorder::keyTyped(
    const QString &machine, int qtKey, const QString &text, Qt::KeyboardModifiers modifiers)
{
    if (!m_recording)
        return;
    switch (qtKey) {
    case Qt::Key_Shift:
    case Qt::Key_Control:
    case Qt::Key_Alt:
    case Qt::Key_AltGr:
    case Qt::Key_Meta:
    case Qt::Key_CapsLock:
        return; // only with another key
    default:
        break;
    }
    if (machine != m_typingMachine)
        flush();
    const bool plain = !(modifiers & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier));
    const QString typed = typedText(qtKey, text, modifiers);
    if (plain && qtKey == Qt::Key_Backspace && !m_typed.isEmpty()
        && !m_typed.endsWith(QLatin1Char('\n'))) {
        m_typed.chop(1);
        m_idle.start();
        return;
    }
    if (!typed.isEmpty()) {
        m_typingMachine = machine;
        m_typed += typed;
        if (typed == QLatin1String("\n"))
            flush();
        else
            m_idle.start();
        return;
    }
    const QString name = keyName(qtKey, modifiers);
    if (name.isEmpty())
        return;
    flush();
    emitLine(machine, QStringLiteral("send_key(%1)").arg(pythonString(name)));
}

void ScriptRecorder::shellCommand(const QString &machine, const QString &command, int status)
{
    const QString trimmed = command.trimmed();
    if (!m_recording || trimmed.isEmpty())
        return;
    flush();
    emitLine(machine,
        QStringLiteral("%1(%2)").arg(
            status == 0 ? QStringLiteral("succeed") : QStringLiteral("fail"),
            pythonString(trimmed)));
}

void ScriptRecorder::serialSelection(const QString &machine, const QString &text)
{
    if (!m_recording)
        return;
    flush();
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        const QString trimmed = line.trimmed();
        if (!trimmed.isEmpty())
            emitLine(machine,
                QStringLiteral("wait_for_console_text(%1)")
                    .arg(pythonString(regexEscape(trimmed))));
    }
}

void ScriptRecorder::screenshotTaken(const QString &machine, const QString &name)
{
    if (!m_recording)
        return;
    flush();
    emitLine(machine, QStringLiteral("screenshot(%1)").arg(pythonString(name)));
}

void ScriptRecorder::mouseClicked(const QString &machine, int x, int y, const QString &button)
{
    if (!m_recording)
        return;
    flush();
    emitLine(machine,
        button == QLatin1String("left")
            ? QStringLiteral("mouse_click(%1, %2)").arg(x).arg(y)
            : QStringLiteral("mouse_click(%1, %2, %3)").arg(x).arg(y).arg(pythonString(button)));
}

void ScriptRecorder::windowWaited(const QString &machine, const QString &window)
{
    if (!m_recording || window.isEmpty())
        return;
    flush();
    emitLine(machine,
        QStringLiteral("wait_for_window(%1)")
            .arg(pythonString(QLatin1Char('^') + regexEscape(window) + QLatin1Char('$'))));
}

void ScriptRecorder::textWaited(const QString &machine, const QString &text)
{
    // Line by line (the OCR's lines end with \n, which \s+ matches), each line's spaces as one.
    QStringList lines;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        if (const QString simple = line.simplified(); !simple.isEmpty())
            lines.append(regexEscape(simple));
    }
    if (!m_recording || lines.isEmpty())
        return;
    flush();
    emitLine(machine,
        QStringLiteral("wait_for_text(%1)").arg(pythonString(lines.join(QStringLiteral("\\s+")))));
}

void ScriptRecorder::regionWaited(const QString &machine, const QString &needle)
{
    if (!m_recording || needle.isEmpty())
        return;
    flush();
    emitLine(machine, QStringLiteral("wait_for_screen(%1)").arg(pythonString(needle)));
}

void ScriptRecorder::flush()
{
    m_idle.stop();
    if (m_typed.isEmpty())
        return;
    const QString typed = std::exchange(m_typed, QString());
    emitLine(m_typingMachine, QStringLiteral("send_chars(%1)").arg(pythonString(typed)));
}

void ScriptRecorder::emitLine(const QString &machine, const QString &call)
{
    emit lineRecorded(variableFor(machine) + QLatin1Char('.') + call);
}

} // namespace vivarium
