#pragma once

#include <QHash>
#include <QObject>
#include <QTimer>

namespace vivarium {

// Turns what the user does by hand into script lines: keys typed into a Screen become
// `m.send_chars("...")` (typed text coalesced; Backspace takes back what was not written yet)
// or `m.send_key("ctrl-alt-f2")` (special keys by their QEMU names), commands entered in a
// Shell `m.succeed("...")` (or `m.fail("...")` when it exited non-zero), text selected in a Serial
// terminal `m.wait_for_console_text(...)` (escaped as a regex, one wait per line), a screenshot
// `m.screenshot("...")`. Each finished line comes out as lineRecorded; typed text is finished by
// Enter, another kind of event, a pause in typing, or flush().
class ScriptRecorder : public QObject {
    Q_OBJECT

public:
    explicit ScriptRecorder(QObject *parent = nullptr);

    bool isRecording() const { return m_recording; }
    void setRecording(bool on); // turning it off flushes pending text
    // How long typing may pause before the text typed so far becomes a line.
    void setIdleFlush(int milliseconds) { m_idle.setInterval(milliseconds); }

    void keyTyped(
        const QString &machine, int qtKey, const QString &text, Qt::KeyboardModifiers modifiers);
    // A command entered in the Shell and the exit status the shell reported for it: succeed()
    // for 0, fail() for anything else, so the recorded line does what the command did.
    void shellCommand(const QString &machine, const QString &command, int status);
    void serialSelection(const QString &machine, const QString &text);
    void screenshotTaken(const QString &machine, const QString &name);
    // The Screen tab: a click (`m.mouse_click(x, y)`, the button named unless "left"), a window
    // chosen in Wait for Window… (`m.wait_for_window("^NAME$")`), the text of a rectangle
    // (`m.wait_for_text("...")`, escaped as a regex) and a rectangle kept as a needle
    // (`m.wait_for_screen("needles/NAME.json")`).
    void mouseClicked(const QString &machine, int x, int y, const QString &button);
    void windowWaited(const QString &machine, const QString &window);
    void textWaited(const QString &machine, const QString &text);
    void regionWaited(const QString &machine, const QString &needle);
    void flush(); // pending typed text becomes its line now

    // Helpers, public for the tests.
    static QString pythonString(const QString &text); // a double-quoted Python literal
    static QString regexEscape(const QString &text); // as Python's re.escape
    static QString variableFor(const QString &machine); // the script's name for a machine
    // The send_key name for a key with modifiers ("ctrl-alt-f1"); empty if it has none.
    static QString keyName(int qtKey, Qt::KeyboardModifiers modifiers);
    // What a key types as send_chars text ("\n" for Enter, "\t" for Tab, printable
    // characters); empty for a special key or one held with Ctrl/Alt/Meta.
    static QString typedText(int qtKey, const QString &text, Qt::KeyboardModifiers modifiers);
    // The command a shell was given, read from its screen once the Enter has been echoed (so
    // history and completion are seen as the shell saw them): rows are the terminal's lines
    // around the one the cursor was on at Enter (enterRow). The command starts after the last
    // `user@host:dir# ` prompt at or above enterRow and goes on over rows it wrapped into (a
    // row as wide as the terminal, cols). Empty when there is no prompt (input to a program).
    static QString commandAfterPrompt(const QStringList &rows, int enterRow, int cols);

signals:
    void lineRecorded(const QString &line);

private:
    void emitLine(const QString &machine, const QString &call);

    bool m_recording = false;
    QString m_typingMachine;
    QString m_typed;
    QTimer m_idle;
};

} // namespace vivarium
