#pragma once

#include "core/machine/backdoorframe.h"
#include "core/machine/machinebackend.h"

#include <QFile>
#include <QList>
#include <QStringList>
#include <memory>

class QLocalServer;
class QLocalSocket;
class QProcess;
class QSocketNotifier;

namespace vivarium {

class PortForward;
class TapForwarder;

// How a container machine is made: everything vivarium-container is given.
struct ContainerLaunch {
    QString launcher; // the vivarium-container program
    QString hostname;
    QString disk; // the machine's ext4 disk (its overlay's upper layer)
    QString guestDir; // /vivarium in the container
    QString init; // the container's PID 1
    QString cgroup; // its cgroups' name (below vivarium/ in each controller)
    qint64 memoryBytes = 0;
    int cpus = 0;
    QList<NicPort> nics;
};

// One container machine (kind = "container"): vivarium-container and what joins it to
// Vivarium — the console and shell as ptys, the backdoor as a unix socket in the machine's
// directory (the agent inside connects to /vivarium/backdoor.sock; one connection at a time,
// as a virtio port can be opened once), its NICs as taps joined to the VLAN switches.
class ContainerProcess : public MachineBackend {
    Q_OBJECT

public:
    // The container's root is this host user on the host (its IDs are uidBase..+65535).
    static constexpr uint uidBase = 1000000000;

    ContainerProcess(
        QString name, ContainerLaunch launch, QString logDir, QObject *parent = nullptr);
    ~ContainerProcess() override;

    void start(const QString &snapshot = {}) override;
    void kill() override;
    void fail(const QString &reason) override;
    void writeSerial(const QByteArray &bytes) override;
    void writeShell(const QByteArray &bytes) override;
    void qmp(
        const QString &command, const QJsonObject &arguments, QmpClient::Callback done) override;
    qint64 pid() const override;

    // The cgroup directories of containers whose Vivarium is gone (killed before it could
    // remove them): removed, their processes killed first.
    static void removeStaleCgroups();

protected:
    QIODevice *backdoorChannel() const override;

private:
    struct Terminal {
        int master = -1;
        int slave = -1; // held open, so the master never reads EIO between boots
        QSocketNotifier *notifier = nullptr;
    };
    bool openTerminal(Terminal &terminal, QString *error);
    void closeTerminal(Terminal &terminal);
    void onLauncherOutput();
    void onControl();
    void onBackdoorConnection();
    void agentPort(bool open);
    void setFrozen(bool frozen, QmpClient::Callback done);
    void cleanUp();
    void startFailed(const QString &reason);

    QString m_name;
    ContainerLaunch m_launch;
    QString m_socketPath;
    QProcess *m_process = nullptr;
    Terminal m_console, m_shell;
    QLocalServer *m_server = nullptr;
    QLocalSocket *m_backdoor = nullptr;
    BackdoorDecoder m_decoder;
    int m_control = -1; // our end of the launcher's descriptor 3
    QSocketNotifier *m_controlNotifier = nullptr;
    QList<TapForwarder *> m_nics; // in the order of m_launch.nics
    QList<bool> m_linkUp;
    QList<PortForward *> m_forwards; // forward_port's, while the container runs
    qint64 m_initPid = 0; // the container's init, as the host sees it
    // forward_port: "hostfwd_add tcp:127.0.0.1:HOST-:GUEST", as QEMU's monitor takes it.
    QString forwardPort(const QString &commandLine);
    QFile m_serialLog;
    QFile m_log;
    QByteArray m_stdout;
    QByteArray m_stderrTail;
    bool m_started = false;
    bool m_failed = false;
};

} // namespace vivarium
