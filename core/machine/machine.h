#pragma once

#include "core/event/events.h"
#include "core/event/machineerror.h"
#include "core/guest/hostshare.h"
#include "core/screen/needle.h"
#include "core/screen/ocr.h"
#include "core/screen/screenvideo.h"
#include "core/spec/livespec.h"

#include <QByteArray>
#include <QImage>
#include <QJsonObject>
#include <QMap>
#include <QPointer>
#include <QRegularExpression>
#include <QVariantMap>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

class QThread;

namespace vivarium {

class MachineBackend;
class Network;
class RemoteHost;
struct QemuLaunch;
struct LinkUpdate;

struct CommandResult {
    int status = 0;
    QByteArray stdoutBytes;
    QByteArray stderrBytes;
};

// Where a machine runs and writes.
struct MachineContext {
    const LiveSpec *spec = nullptr; // the test, with the machines the script added
    GuestArtifacts artifacts;
    QString accel = QStringLiteral("tcg");
    QString runDir; // private: the machine's directory and sockets go below it
    QString outDir; // logs, screenshots, copied files
    QThread *ioThread = nullptr;
    EventLog *events = nullptr;
    Network *network = nullptr; // null: no VLAN NICs
    QMap<QString, RemoteHost *> hosts; // the other hosts of the run, by name
    bool video = false; // record a graphical machine's screen into outDir/video/NAME.mp4
};

// One virtual machine with the NixOS test driver's methods. Thread-safe: the methods block the
// calling thread (the script's), never the I/O thread. Default timeouts are NixOS's (900 s).
class Machine {
public:
    enum class State { Off, Booting, Ready, Failed };
    static constexpr double defaultTimeout = 900;

    Machine(MachineSpec spec, MachineContext context);
    ~Machine();
    Machine(const Machine &) = delete;
    Machine &operator=(const Machine &) = delete;

    const MachineSpec &spec() const { return m_spec; }
    QString name() const { return m_spec.name; }
    State state() const;
    bool isUp() const;
    bool isRunning() const; // QEMU runs (booting, ready, or paused)
    MachinePaths paths() const { return m_paths; }
    // Boot time of the last start, until the backdoor answered; 0 if not ready yet.
    double readySeconds() const;
    qint64 qemuPid() const; // 0 when QEMU is not running

    void start();
    // The API's wait_for_ready: an action in the log even when the machine is up already.
    void waitForReady(double timeout = defaultTimeout);
    // What other calls do first: waits (as a wait_for_ready action) only when not up yet.
    void ensureReady(double timeout = defaultTimeout);
    CommandResult execute(const QString &command, double timeout = defaultTimeout);
    QString succeed(const QString &command, double timeout = defaultTimeout);
    QString fail(const QString &command, double timeout = defaultTimeout);
    QString waitUntilSucceeds(const QString &command, double timeout = defaultTimeout);
    QString waitUntilFails(const QString &command, double timeout = defaultTimeout);
    void waitForFile(const QString &path, double timeout = defaultTimeout);
    void waitForOpenPort(int port, const QString &address = QStringLiteral("localhost"),
        double timeout = defaultTimeout);
    void waitForClosedPort(int port, const QString &address = QStringLiteral("localhost"),
        double timeout = defaultTimeout);
    void waitForOpenUnixSocket(
        const QString &path, bool datagram = false, double timeout = defaultTimeout);
    QMap<QString, QString> getUnitInfo(const QString &unit);
    QString getUnitProperty(const QString &unit, const QString &property);
    void requireUnitState(const QString &unit, const QString &state = QStringLiteral("active"));
    void waitForUnit(const QString &unit, double timeout = defaultTimeout);
    CommandResult systemctl(const QString &arguments);
    QString waitForConsoleText(const QString &regex, double timeout = defaultTimeout);
    QString getConsoleLog() const;
    void sendConsole(const QString &text);
    // Raw bytes to the serial console and to the hvc0 shell, not reported as actions (what a
    // user types into the workbench's terminals). Nothing happens while QEMU is not running.
    void writeSerial(const QByteArray &bytes);
    void writeShell(const QByteArray &bytes);
    // A guest terminal's size ("hvc0": the Shell, "ttyS0": the serial console; its shell gets
    // SIGWINCH), set over the backdoor so nothing shows in it; not reported as an action.
    // Waits for the machine to be ready.
    void resizeTerminal(const QString &device, int rows, int cols);
    void shutdown(double timeout = defaultTimeout);
    // Kills QEMU at once; reason is the detail of the "off" state it ends in ("crashed"; a
    // stop by the user is stop() below).
    void crash(const QString &reason = QStringLiteral("crashed"));
    // The same hard power-off, by the user or the end of a run (the workbench's Stop, Stop
    // All, dropping a test): logged as stop(), the machine "stopped", never "crashed".
    void stop();
    void reboot();
    // Vivarium's own: QEMU stops the guest's CPUs (QMP stop) and lets them run again (cont).
    // While paused the guest neither runs nor answers: commands fail at once, saying so.
    void pause();
    void resume();
    bool isPaused() const;
    void waitForShutdown(double timeout = defaultTimeout);
    QString sendMonitorCommand(const QString &command);
    // Snapshots of a running root = "image" machine (docs/script-api.md, "Snapshots"): the
    // guest's memory, devices and disks, and the host's view of it (state, link settings,
    // block state). Taking one under an existing name replaces it. Neither may happen while a
    // command runs on the machine; a machine on the host's 9p root refuses, saying why.
    void snapshot(const QString &name);
    // hostClock: the guest's clock jumps to the host's after the restore (else it is the
    // snapshot's, as the rest of the guest is).
    void restore(const QString &name, bool hostClock = false);
    QStringList snapshots() const;
    void deleteSnapshot(const QString &name);
    // The same without an action of their own, for a network-wide snapshot (TestRun), which
    // stops every machine's CPUs first and continues them after.
    void saveSnapshot(const QString &name);
    void loadSnapshot(const QString &name);
    // A machine that is off starts from its snapshot: QEMU loads it before the guest runs (no
    // boot), and leaves its CPUs stopped for continueCpus().
    void startFromSnapshot(const QString &name);
    void stopCpus();
    void continueCpus(); // not one the user paused
    void setClockToHost(); // the guest's clock to the host's time (after a restore)
    // Why the machine can never be snapshotted, or empty.
    QString snapshotObstacle() const;
    QJsonObject qmp(const QString &command, const QJsonObject &arguments = {}, double timeout = 60);
    // QMP events since the machine was created ({"event", "data", "timestamp"}), by index: how
    // many there are, and the one at *next once it arrived (then *next moves on).
    qsizetype qmpEventCount() const;
    QJsonObject nextQmpEvent(qsizetype *next, double timeout);
    void sendKey(const QString &key);
    void sendChars(const QString &text, double delaySeconds = 0.01);
    // The screen (machinescreen.cpp). A region is (x, y, width, height) on the screen; null:
    // all of it. A threshold is a similarity from 0 to 1; NaN: the needle's own levels.
    QString screenshot(const QString &name);
    // The screen's width and height in pixels now (the guest can change its mode).
    QSize screenSize();
    // The screen now (QMP screendump), not reported as an action; null without graphics.
    QImage grabScreen(double timeout = 60);
    void waitForX(double timeout = defaultTimeout);
    // The names of the X windows on DISPLAY=:0: all of xwininfo's tree, as NixOS's driver reads
    // them, or only those mapped on the screen (what a user waiting for a window means: an
    // xterm is named before it is mapped, and a click then lands beside it).
    enum class Windows { All, Visible };
    QStringList windowNames(Windows which = Windows::All);
    QString getScreenText(const QRect &region = {});
    QStringList getScreenTextVariants(const QRect &region = {});
    void waitForText(const QString &regex, double timeout = defaultTimeout);
    QList<QRect> findText(const QString &regex, const QRect &region = {});
    // {x, y, width, height (of the first match area), similarity, click}; empty: no match.
    QVariantMap matchScreen(const QString &needle, double threshold);
    QVariantMap waitForScreen(const QString &needle, double timeout, double threshold);
    void mouseMove(int x, int y);
    void mouseClick(int x, int y, const QString &button = QStringLiteral("left"));
    QList<QRect> clickText(const QString &regex, double timeout = defaultTimeout);
    QVariantMap clickNeedle(const QString &needle, double timeout, double threshold);
    void forwardPort(int hostPort, int guestPort);
    // Takes every VLAN link of the machine down (up), as if its cables were pulled; eth0 stays.
    void block();
    void unblock();
    // Vivarium's own: impair this machine's link on vlan; capture its NIC there (returns the
    // pcap file's path).
    void setLink(int vlan, const LinkUpdate &update);
    QString capture(int vlan);
    void stopCapture(int vlan);
    void copyFromHost(const QString &source, const QString &target);
    QString copyFromMachine(const QString &source, const QString &targetDir = {});

    // Makes every blocked call return with MachineError::Cancelled (the Stop button, the
    // global timeout); clearCancel() lets calls run again.
    void cancel();
    void clearCancel();

private:
    struct Pending {
        QByteArray out, err;
        int status = 0;
        bool done = false;
        bool reset = false; // the guest was reset or powered off before the command ended
        bool agentGone = false; // the agent closed its port (died, was killed) meanwhile
        // What the agent says it sent (-1: not told); a difference means output was lost.
        qint64 sentOut = -1, sentErr = -1;
        QString corrupted; // the channel carried bytes that were not frames meanwhile
    };
    // Runs body as one reported action: started and finished events with timing and result.
    void action(
        const QString &name, const ActionArguments &arguments, const std::function<void()> &body);
    // The same for a body with a result.
    template<typename T>
    T actionResult(
        const QString &name, const ActionArguments &arguments, const std::function<T()> &body)
    {
        T result {};
        action(name, arguments, [&] {
            result = body();
            actionOutput() = outputValue(result);
        });
        return result;
    }
    // Waits until ready() holds, the call is cancelled or time runs out; with Death::Ends also
    // until the machine dies. ready() is not called again once it held.
    enum class Death { Ends, Ignored };
    void waitUntil(std::unique_lock<std::mutex> &lock, const std::function<bool()> &ready,
        double timeout, const QString &what, Death death = Death::Ends);
    // The pause between two polls of a condition in the guest; throws when cancelled.
    void pollPause();
    QString retryCommand(const QString &command, bool wantSuccess, double timeout);
    // A command on the backdoor, not reported as an action of its own.
    CommandResult runCommand(const QString &command, double timeout);
    QMap<QString, QString> unitInfo(const QString &unit);
    void pressKey(const QString &key);
    QString succeedBody(const QString &command, double timeout);
    // copy_from_host to a machine without a share: the archive at path into a new file in the
    // guest's /tmp, whose path it returns.
    QString sendArchive(const QString &path);
    QString failBody(const QString &command, double timeout);
    void invoke(std::function<void()> call) const;
    void connectProcess(MachineBackend *process);
    void onSerial(const QByteArray &bytes);
    void powerOff(const QString &actionName, const QString &reason); // crash() and stop()
    void onExited(int code, bool crashed, const QString &stderrTail);
    void setState(State state, const QString &detail = {});
    QString deathMessage() const;
    // What runs the machine on the host, for messages: "QEMU" or "the container".
    QString hostProgram() const;
    void requireSystemd(const QString &what) const;
    void setLinksUp(bool up);
    // A file the running action wrote, for its event (the calling thread's).
    static QString &actionArtifact();
    // What the running action gave back, for its event (the calling thread's).
    static QJsonValue &actionOutput();
    static QJsonValue outputValue(const QString &text);
    static QJsonValue outputValue(const CommandResult &command);
    static QJsonValue outputValue(const QMap<QString, QString> &values);
    static QJsonValue outputValue(const QSize &size);
    static QJsonValue outputValue(const QStringList &texts);
    static QJsonValue outputValue(const QList<QRect> &boxes);
    static QJsonValue outputValue(const QVariantMap &values);
    // Screens (machinescreen.cpp).
    QImage requireScreen(const char *what);
    QString outputPath(const QString &dir, const QString &name) const;
    void savePng(const QImage &image, const QString &path) const;
    ocr::Reading readScreen(const QImage &screen, ocr::Variant variant, const QRect &region);
    QRegularExpression screenPattern(const QString &regex) const;
    QList<QRect> textBoxes(const QImage &screen, const QRegularExpression &pattern,
        const QRect &region, bool firstOnly);
    QRect waitForTextBox(const QString &regex, double timeout);
    Needle needle(const QString &path) const;
    std::optional<NeedleMatch> matchOnce(
        const Needle &needle, double threshold, NeedleMatch *best, QImage *screen);
    NeedleMatch waitForNeedle(const QString &needle, double timeout, double threshold);
    void pointerTo(int x, int y);
    void pressButton(const QString &button);
    // Moves, clicks and waits until the guest has drawn what the click did.
    void clickAt(int x, int y, const QString &button);
    void startVideo();

    MachineSpec m_spec;
    MachineContext m_context;
    MachinePaths m_paths;
    MachineBackend *m_process = nullptr; // owned; deleted on the I/O thread
    std::unique_ptr<ScreenVideo> m_video; // from the first start on, with graphics and video on

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::mutex m_commandMutex; // one backdoor command at a time
    State m_state = State::Off;
    quint64 m_generation = 0; // counts starts and resets
    bool m_qemuRunning = false;
    bool m_expectExit = false;
    bool m_rebooting = false; // ctrl-alt-delete sent: the old backdoor is not the new boot's
    bool m_paused = false; // pause() stopped the guest's CPUs
    QString m_exitReason; // why QEMU was ended on purpose: the detail of the state "off"
    bool m_cancelled = false;
    QString m_error;
    // The serial console's last bytes (the serial log file has all of them): what
    // wait_for_console_text and get_console_log read.
    static constexpr qsizetype consoleKeptBytes = 16 * 1024 * 1024;
    // What of a console line the reports show, and how much of each console they hold.
    static constexpr qsizetype consoleLineChars = 4096;
    static constexpr qint64 consoleEventBudget = 32 * 1024 * 1024;
    struct SnapshotRecord {
        State state = State::Off;
        double readySeconds = 0;
        QMap<int, LinkSettings> links; // VLAN -> settings
        bool blocked = false;
    };
    void checkSnapshotName(const QString &name) const;
    // The snapshot's record; throws naming the snapshots the machine has when it has not this.
    SnapshotRecord snapshotRecord(const QString &name) const;
    QString monitor(const QString &commandLine); // an HMP command's reply, trimmed
    // savevm/delvm NAME; throws "snapshot NAME was not <done>" with QEMU's reason.
    void snapshotCommand(const QString &verb, const QString &name, const QString &done);
    // The command lock, held while a snapshot is taken or restored; throws why it cannot be.
    std::unique_lock<std::mutex> snapshotLock(const QString &what, const QString &name);
    QMap<QString, SnapshotRecord> m_snapshots;
    bool m_restoring = false; // loadvm's reset and port events are not the guest's doing
    // When the last loadvms ran (wall-clock µs, start and end): a backdoor port event QEMU made
    // in one is loadvm's own, also when QEMU's rate limit delivers it after the restore.
    QList<std::pair<qint64, qint64>> m_restoreWindows;
    // Starts QEMU or the container; with a snapshot, from it (startFromSnapshot), else booting.
    void launch(const QString &snapshot);
    // The QEMU process, made at the first start (later starts launch the same command).
    void makeQemuProcess(const TestSpec &test, const GuestArtifacts &artifacts,
        const QString &stage2, const QString &rootImage, const QString &rootImageFormat);
    // A container machine's backend (core/container/machinecontainer.cpp).
    MachineBackend *containerBackend(const TestSpec &test, const QString &stage2);
    // After a loadvm: the machine's host side as the snapshot's record has it.
    void applySnapshotRecord(const QString &name, const SnapshotRecord &record);
    // A load that began at startUs (wall clock) is over: its window is remembered.
    void endRestore(qint64 startUs);
    // The root image a root = "image" machine boots from, built first when the host changed,
    // and its format (*format: "raw", or "qcow2" for a machine's own image of that kind).
    QString ensureRootImage(QString *format);
    // A machine on another host (machineremote.cpp): the host, where its files go there, the
    // files of this start sent, and its QEMU over the host's connection.
    RemoteHost *remoteHost() const;
    MachinePaths remotePaths(const RemoteHost &host) const;
    void sendFilesTo(RemoteHost &host, const MachinePaths &there, const QString &rootImage);
    MachineBackend *remoteQemuProcess(
        RemoteHost &host, const QemuLaunch &launch, const MachinePaths &there);
    void trimConsole();
    QByteArray m_console;
    qint64 m_consoleDropped = 0; // bytes trimmed from m_console's front so far
    qint64 m_consoleEventBytes = 0;
    qsizetype m_lineStart = 0; // where the console's unfinished line starts
    qsizetype m_consoleCursor = 0;
    qsizetype m_fatalScan = 0; // where the search for fatal boot messages goes on
    QHash<quint32, Pending> m_commands;
    QList<QJsonObject> m_qmpEvents;
    quint32 m_nextCommand = 1;
    qint64 m_startMs = 0;
    double m_readySeconds = 0;
    qint64 m_qemuPid = 0;
    quint64 m_qemuStarts = 0; // QEMUs that started (the guest running or held for a restore)
};

QString machineStateName(Machine::State state);
// Text for an error message, cut after limit characters.
QString shortened(const QString &text, int limit = 400);

} // namespace vivarium
