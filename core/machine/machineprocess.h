#pragma once

#include "core/machine/backdoorframe.h"
#include "core/machine/machinebackend.h"
#include "core/machine/sharedlimit.h"
#include "core/network/remotehost.h"
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

// One QEMU process and its sockets (QMP, serial, backdoor, shell). Lives on an I/O thread and
// never blocks: it turns bytes into signals and requests into bytes. Machine drives it.
class MachineProcess : public MachineBackend {
    Q_OBJECT

public:
    MachineProcess(QString name, QString qemu, QStringList arguments, QString qmpSocket,
        QString serialSocket, QString backdoorSocket, QString shellSocket, QString logDir,
        QObject *parent = nullptr);
    // QEMU's VLAN NICs: each port is handed to QEMU as descriptor NicPort::fd, closed when
    // QEMU ends.
    ~MachineProcess() override;

    void setNicPorts(QList<NicPort> ports) { m_nicPorts = std::move(ports); }
    // QEMU on another host (docs/scale-out.md): the command is ssh running it through
    // host-exec, which joins its NICs there and says when its sockets exist; then each pair
    // (here, there) is forwarded and the sockets here are connected as for a local QEMU.
    // Ending the machine closes ssh's input, on which host-exec ends QEMU and then itself.
    void setRemote(RemoteHost *host, QList<std::pair<QString, QString>> forwards)
    {
        m_remote = host;
        m_forwards = std::move(forwards);
    }
    // What QEMU's host share shows the guest (its secrets hidden); null: all of the host.
    void setHostView(std::shared_ptr<const HostView> view) { m_hostView = std::move(view); }
    // Starts QEMU paused, connects every socket, then lets the guest run: started() or failed().
    // With a snapshot of the machine's disk, QEMU loads it before the guest's CPUs ever run and
    // leaves them stopped for the caller to continue (a machine restored without a boot).
    void start(const QString &snapshot = {}) override;
    void kill() override;
    void fail(const QString &reason) override;
    void writeSerial(const QByteArray &bytes) override;
    void writeShell(const QByteArray &bytes) override;
    void qmp(
        const QString &command, const QJsonObject &arguments, QmpClient::Callback done) override;
    qint64 pid() const override;

protected:
    QIODevice *backdoorChannel() const override;

private:
    void connectSockets();
    void onRemoteOutput(); // host-exec's "vivarium-ready": forward, then connect
    void loadOnStart(); // loadvm, CPUs left stopped: started() or failed()
    void onBackdoorData();

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
    RemoteHost *m_remote = nullptr;
    QList<std::pair<QString, QString>> m_forwards;
    QByteArray m_remoteOutput; // host-exec's output of this start, until it said ready
    bool m_remoteReady = false;
};

} // namespace vivarium
