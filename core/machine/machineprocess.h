#pragma once

#include "core/machine/backdoorframe.h"
#include "core/machine/sharedlimit.h"
#include "core/network/vdeport.h"
#include "core/qemu/qmpclient.h"
#include "core/util/hostview.h"

#include <QFile>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <memory>
#include <vector>

class QLocalSocket;

namespace vivarium {

// Where one VLAN NIC of QEMU joins its switch: a port opened at each start, handed to QEMU as
// descriptor fd, closed when QEMU ends.
struct NicPort {
    QString switchDir;
    QString socketPath;
    int fd = -1;
};

// One QEMU process and its sockets (QMP, serial, backdoor, shell). Lives on an I/O thread and
// never blocks: it turns bytes into signals and requests into bytes. Machine drives it.
class MachineProcess : public QObject {
    Q_OBJECT

public:
    MachineProcess(QString name, QString qemu, QStringList arguments, QString qmpSocket,
        QString serialSocket, QString backdoorSocket, QString shellSocket, QString logDir,
        QObject *parent = nullptr);
    ~MachineProcess() override;

    void setNicPorts(QList<NicPort> ports) { m_nicPorts = std::move(ports); }
    // What QEMU's host share shows the guest (its secrets hidden); null: all of the host.
    void setHostView(std::shared_ptr<const HostView> view) { m_hostView = std::move(view); }
    // Fails the machine when the host directory it shares with its guest over 9p grows past
    // limitBytes (measured each second while QEMU runs; SharedLimit). Before the move to the
    // I/O thread.
    void setSharedLimit(const QString &directory, qint64 limitBytes);
    // Starts QEMU paused, connects every socket, then lets the guest run: started() or failed().
    // With a snapshot of the machine's disk, QEMU loads it before the guest's CPUs ever run and
    // leaves them stopped for the caller to continue (a machine restored without a boot).
    void start(const QString &snapshot = {});
    void kill();
    // Ends QEMU for a reason that failed() carries to the machine (a disk error, say).
    void fail(const QString &reason);
    void sendCommand(quint32 id, const QByteArray &command);
    void cancelCommand(quint32 id);
    void writeSerial(const QByteArray &bytes);
    void writeShell(const QByteArray &bytes);
    void qmp(const QString &command, const QJsonObject &arguments, QmpClient::Callback done);
    qint64 pid() const;

signals:
    void started();
    void backdoorReady();
    void commandOutput(quint32 id, bool isStderr, const QByteArray &bytes);
    // The agent's counts of what it sent of the command's stdout and stderr.
    void commandExited(quint32 id, int status, qint64 stdoutBytes, qint64 stderrBytes);
    // The backdoor carried bytes that are not frames (what they were, for the message).
    void backdoorCorrupted(const QString &what);
    void serialData(const QByteArray &bytes);
    void shellData(const QByteArray &bytes);
    // timestampUs: when QEMU made the event (wall clock), which may be well before it comes:
    // QEMU holds back a VSERPORT_CHANGE for up to a second after the last one.
    void qmpEvent(const QString &name, const QJsonObject &data, qint64 timestampUs);
    // QEMU could not start, its sockets could not be reached, or fail() was called; QEMU has
    // been killed.
    void failed(const QString &reason);
    // QEMU ended; stderrTail holds its last messages.
    void exited(int exitCode, bool crashed, const QString &stderrTail);

private:
    void connectSockets();
    void loadOnStart(); // loadvm, CPUs left stopped: started() or failed()
    void onBackdoorData();

    SharedLimit *m_sharedLimit = nullptr;
    QString m_name;
    QString m_qemu;
    QStringList m_arguments;
    QString m_qmpPath, m_serialPath, m_backdoorPath, m_shellPath;
    QProcess *m_process = nullptr;
    QmpClient *m_qmp = nullptr;
    QLocalSocket *m_serial = nullptr;
    QLocalSocket *m_backdoor = nullptr;
    QLocalSocket *m_shell = nullptr;
    BackdoorDecoder m_decoder;
    QList<NicPort> m_nicPorts;
    std::shared_ptr<const HostView> m_hostView;
    std::vector<std::unique_ptr<VdePort>> m_ports; // while QEMU runs
    QFile m_serialLog;
    QFile m_qemuLog;
    QByteArray m_stderrTail;
    bool m_failed = false;
    QString m_loadOnStart; // the snapshot start() loads, until it has
};

} // namespace vivarium
