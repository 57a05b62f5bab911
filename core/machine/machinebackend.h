#pragma once

#include "core/machine/backdoorframe.h"
#include "core/machine/sharedlimit.h"
#include "core/qemu/qmpclient.h"

#include <QIODevice>
#include <QJsonObject>
#include <QObject>

namespace vivarium {

// Where one VLAN NIC of a machine joins its switch: a port opened at each start (the switch
// directory and the port's socket), and, for QEMU, the descriptor number it inherits it as.
struct NicPort {
    QString switchDir;
    QString socketPath;
    int fd = -1;
    int vlan = 0;
    QString interface; // "eth1": a container's tap device of this name
    QString mac;
};

// What runs one machine: a QEMU process (MachineProcess) or a Linux container
// (ContainerProcess). Machine is the one face the script API, the reports and the workbench
// see; it drives a backend through these calls and learns of it through these signals. A
// backend lives on the I/O thread and never blocks.
//
// qmp() is QEMU's machine protocol. The commands Machine sends to machines of every kind have
// the same effect on a backend without QEMU: "quit" (power off now), "stop" and "cont" (hold
// and continue every process), "set_link" (a NIC's cable), "send-key" of ctrl-alt-delete (a
// clean reboot by the machine's init). Any other command fails naming the kind. Likewise
// qmpEvent carries, besides QEMU's own events, the two Machine acts on from every kind:
// "RESET" (a new boot began) and "VSERPORT_CHANGE" of the port "backdoor-port" (the backdoor
// agent opened or closed its channel).
class MachineBackend : public QObject {
    Q_OBJECT

public:
    using QObject::QObject;

    // Starts the machine: started() or failed(). With a snapshot, from it (QEMU only), its
    // CPUs left stopped for the caller to continue.
    virtual void start(const QString &snapshot = {}) = 0;
    virtual void kill() = 0;
    // Ends the machine for a reason that failed() carries to Machine (a disk error, say).
    virtual void fail(const QString &reason) = 0;
    // A command frame to the agent, and the kill of the command it runs; nothing while no agent
    // is connected.
    void sendCommand(quint32 id, const QByteArray &command);
    void cancelCommand(quint32 id);
    virtual void writeSerial(const QByteArray &bytes) = 0;
    virtual void writeShell(const QByteArray &bytes) = 0;
    virtual void qmp(const QString &command, const QJsonObject &arguments, QmpClient::Callback done)
        = 0;
    // The process that is the machine on the host (QEMU, the container's launcher); 0 if none.
    virtual qint64 pid() const = 0;
    // Fails the machine when the host directory it writes into directly (its /vivarium and
    // /tmp/shared: 9p for a VM, a bind mount for a container) grows past limitBytes, measured
    // each second while it runs (SharedLimit). Before the move to the I/O thread.
    void setSharedLimit(const QString &directory, qint64 limitBytes);

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
    // timestampUs: when the event was made (wall clock), which may be well before it comes:
    // QEMU holds back a VSERPORT_CHANGE for up to a second after the last one.
    void qmpEvent(const QString &name, const QJsonObject &data, qint64 timestampUs);
    // The machine could not start, its channels could not be reached, or fail() was called;
    // it has been killed.
    void failed(const QString &reason);
    // The machine ended; stderrTail holds the last messages of its host process.
    void exited(int exitCode, bool crashed, const QString &stderrTail);

protected:
    // Bytes from the backdoor channel, as frames and corruption to the signals above.
    void deliverBackdoor(BackdoorDecoder &decoder, const QByteArray &bytes);
    // The channel to the agent (a virtio port's socket, a container's unix socket), or null.
    virtual QIODevice *backdoorChannel() const = 0;

    SharedLimit *m_sharedLimit = nullptr; // started and stopped with the machine
};

// A reply of the kind QmpClient gives, for a backend that answers without QEMU.
QmpMessage qmpReply(const QString &error = {});

} // namespace vivarium
