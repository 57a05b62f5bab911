#pragma once

#include <QElapsedTimer>
#include <QTabWidget>
#include <optional>

class QPlainTextEdit;

namespace vivarium {

class HistoryLineEdit;
class Machine;
class ScreenView;
class ScreenWaits;
class TerminalSurface;
class TerminalView;
class Workbench;

// One machine's consoles: Serial and Shell terminals (the serial console and the hvc0 root
// shell, both sized to their views), the Screen, and the QEMU monitor (HMP commands with
// history). Bytes come from and go to the Workbench; the panel never touches a socket. When the
// machine goes away, its terminals say so in a banner.
class MachinePanel : public QTabWidget {
    Q_OBJECT

public:
    MachinePanel(const QString &machine, Workbench *workbench, QWidget *parent = nullptr);

    QString machine() const { return m_machine; }
    TerminalView *serialView() const { return m_serialView; }
    TerminalView *shellView() const { return m_shellView; }
    ScreenView *screenView() const { return m_screenView; }
    // A screenshot into the run's output directory, named after the machine and the time; the
    // status bar says where it went.
    void takeScreenshot();
    // The Screen's Send Key entries ("ctrl-alt-f2", ...), each checked against a guest.
    static QStringList sendKeyCombos();
    // A rectangle dragged on a picture of size `from`, on the same screen at size `to`.
    static QRect mapRegion(const QRect &region, const QSize &from, const QSize &to);
    void sendKeyCombo(const QString &combo);

signals:
    // What the user does by hand, for the recorder.
    void keyTyped(const QString &machine, int qtKey, const QString &text,
        Qt::KeyboardModifiers modifiers); // in the Screen
    // A command entered in the Shell, once the shell said how it ended.
    void shellCommandEntered(const QString &machine, const QString &command, int status);
    void serialTextSelected(const QString &machine, const QString &text);
    void screenshotTaken(const QString &machine, const QString &name);
    // In the Screen: a click, and the waits chosen from it (ScreenWaits).
    void mouseClicked(const QString &machine, int x, int y, const QString &button);
    void windowWaitChosen(const QString &machine, const QString &window);
    void textWaitChosen(const QString &machine, const QString &text);
    void regionWaitChosen(const QString &machine, const QString &needle);

private:
    QWidget *monitorTab();
    QWidget *screenTab(bool graphics);
    void attachScreen(); // once the machine's run exists
    Machine *machineObject() const; // null before the run exists
    void onShellInput(const QByteArray &bytes);
    void onShellOutput(const QByteArray &bytes);
    void resizeTerminal(const QString &device, int rows, int cols);
    void onMachineState(const QString &state, const QString &detail);
    void detachScreen(); // the session (and its machine) went away
    void pollScreen(); // a screen dump when VNC is off or silent
    void offerScreenRegion(const QRect &region); // a Ctrl+drag on the Screen
    void sendKeyOverQmp(int qtKey, const QString &text, Qt::KeyboardModifiers modifiers);
    void sendQueuedKeys();
    void onScreenClicked(int x, int y, const QString &button);

    QString m_machine;
    Workbench *m_workbench;
    TerminalSurface *m_serial;
    TerminalSurface *m_shell;
    TerminalView *m_serialView;
    TerminalView *m_shellView;
    QWidget *m_screenBox = nullptr;
    ScreenView *m_screenView = nullptr;
    ScreenWaits *m_screenWaits = nullptr;
    QPlainTextEdit *m_monitorOutput = nullptr;
    HistoryLineEdit *m_monitorInput = nullptr;
    QElapsedTimer m_upSince; // since the machine was last ready
    bool m_grabbing = false; // a screen dump is on its way
    QList<QStringList> m_keysToSend; // {key name, ""} or {"", character}, in typing order
    bool m_sendingKeys = false;
    int m_enterLine = -1; // the Shell line Enter was pressed on, until the guest echoes it
    QString m_enteredCommand; // read from the echo, until the shell reports its exit status
    std::optional<int> m_commandStatus; // reported while the last output was fed
};

} // namespace vivarium
