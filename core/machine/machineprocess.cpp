#include "core/machine/machineprocess.h"

#include "core/util/childprocess.h"
#include "core/util/localconnect.h"

#include <QLocalSocket>
#include <utility>

namespace vivarium {

MachineProcess::MachineProcess(QString name, QString qemu, QStringList arguments, QString qmpSocket,
    QString serialSocket, QString backdoorSocket, QString shellSocket, QString logDir,
    QObject *parent)
    : MachineBackend(parent)
    , m_name(std::move(name))
    , m_qemu(std::move(qemu))
    , m_arguments(std::move(arguments))
    , m_qmpPath(std::move(qmpSocket))
    , m_serialPath(std::move(serialSocket))
    , m_backdoorPath(std::move(backdoorSocket))
    , m_shellPath(std::move(shellSocket))
    , m_serialLog(logDir + QLatin1Char('/') + m_name + QStringLiteral(".serial.log"))
    , m_qemuLog(logDir + QLatin1Char('/') + m_name + QStringLiteral(".qemu.log"))
{
}

MachineProcess::~MachineProcess()
{
    kill();
}

qint64 MachineProcess::pid() const
{
    return m_process ? m_process->processId() : 0;
}

void MachineProcess::start(const QString &snapshot)
{
    m_loadOnStart = snapshot;
    // A remote QEMU's sockets here are the connection's forwards, made once and kept.
    if (!m_remote) {
        for (const QString &path : { m_qmpPath, m_serialPath, m_backdoorPath, m_shellPath })
            QFile::remove(path);
    }
    m_remoteOutput.clear();
    m_remoteReady = false;
    m_failed = false;
    m_decoder = BackdoorDecoder();
    m_stderrTail.clear();
    m_serialLog.open(QIODevice::WriteOnly | QIODevice::Append);
    m_qemuLog.open(QIODevice::WriteOnly | QIODevice::Append);
    m_qemuLog.write(
        QStringLiteral("$ %1 %2\n").arg(m_qemu, m_arguments.join(QLatin1Char(' '))).toUtf8());
    m_qemuLog.flush();

    // QEMU's VLAN NICs: one fresh switch port each, inherited as a fixed descriptor.
    m_ports.clear();
    QList<std::pair<int, int>> inherited;
    for (const NicPort &nic : std::as_const(m_nicPorts)) {
        auto port = std::make_unique<VdePort>();
        QString error;
        if (!port->open(nic.switchDir, nic.socketPath, m_name, &error)) {
            m_ports.clear();
            m_qemuLog.write(
                QStringLiteral("[cannot join the VLAN switch: %1]\n").arg(error).toUtf8());
            m_qemuLog.close();
            m_serialLog.close();
            m_failed = true;
            emit failed(QStringLiteral("cannot join the VLAN switch: ") + error);
            emit exited(-1, false, {});
            return;
        }
        inherited.append({ port->dataSocket(), nic.fd });
        m_ports.push_back(std::move(port));
    }

    m_process = new QProcess(this);
    std::shared_ptr<const HostView> view = m_hostView;
    dieWithParent(m_process, inherited, [view] {
        if (view)
            view->applyInChild();
    });
    connect(m_process, &QProcess::readyReadStandardError, this, [this] {
        const QByteArray bytes = m_process->readAllStandardError();
        m_qemuLog.write(bytes);
        m_qemuLog.flush();
        m_stderrTail.append(bytes);
        m_stderrTail = m_stderrTail.right(4096);
        // KVM can fail after the guest started; QEMU then pauses instead of exiting.
        if (m_stderrTail.contains("KVM internal error"))
            fail(QStringLiteral("QEMU stopped with a KVM internal error: KVM does not work on this "
                                "host; run with --accel tcg (or VIVARIUM_ACCEL=tcg)"));
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            fail(QStringLiteral("cannot start %1: %2").arg(m_qemu, m_process->errorString()));
    });
    connect(m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        m_stderrTail += m_process->readAllStandardError();
        m_qemuLog.write(QStringLiteral("[QEMU exited: %1 %2]\n")
                            .arg(status == QProcess::CrashExit ? QStringLiteral("killed")
                                                               : QStringLiteral("status"))
                            .arg(code)
                            .toUtf8());
        m_qemuLog.close();
        m_serialLog.close();
        m_ports.clear(); // the switches free QEMU's ports
        const QString tail = QString::fromUtf8(m_stderrTail).trimmed();
        m_process->deleteLater();
        m_process = nullptr;
        // host-exec says how QEMU ended over there: 128 + the signal that killed it; ssh's own
        // failure (the connection went) is 255.
        bool killed = status == QProcess::CrashExit;
        if (m_remote && code > 128 && code < 255)
            killed = true;
        for (QObject *socket : { static_cast<QObject *>(m_qmp), static_cast<QObject *>(m_serial),
                 static_cast<QObject *>(m_backdoor), static_cast<QObject *>(m_shell) }) {
            if (socket)
                socket->deleteLater();
        }
        m_qmp = nullptr;
        m_serial = m_backdoor = m_shell = nullptr;
        if (m_sharedLimit)
            m_sharedLimit->stop();
        emit exited(code, killed,
            m_remote && code == 255
                ? QStringLiteral("its connection to %1 ended%2")
                      .arg(m_remote->label(),
                          tail.isEmpty() ? QString() : QStringLiteral(": ") + tail)
                : tail);
    });
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    if (m_remote) { // its input stays open: QEMU ends there when it closes
        connect(
            m_process, &QProcess::readyReadStandardOutput, this, &MachineProcess::onRemoteOutput);
    } else {
        m_process->setStandardInputFile(QProcess::nullDevice());
        m_process->setStandardOutputFile(QProcess::nullDevice());
    }
    m_process->start(m_qemu, m_arguments);
    for (const auto &port : m_ports)
        port->releaseDataSocket(); // QEMU holds them now
    if (m_process && !m_remote)
        connectSockets();
}

void MachineProcess::onRemoteOutput()
{
    if (!m_process)
        return;
    const QByteArray bytes = m_process->readAllStandardOutput();
    if (m_remoteReady)
        return; // QEMU's own output after host-exec's line: nothing to act on
    m_remoteOutput = QByteArray(m_remoteOutput + bytes).right(256);
    if (!m_remoteOutput.contains("vivarium-ready\n"))
        return;
    m_remoteReady = true; // said once per start
    for (const auto &[here, there] : std::as_const(m_forwards)) {
        QString error;
        // Quick: the connection's master makes the socket here; nothing goes over the wire.
        if (!m_remote->forwardSocket(here, there, &error)) {
            fail(QStringLiteral("cannot reach QEMU on %1: %2").arg(m_remote->label(), error));
            return;
        }
    }
    connectSockets();
}

void MachineProcess::connectSockets()
{
    auto *qmpSocket = new QLocalSocket(this);
    connectWhenListening(
        qmpSocket, m_qmpPath, QDeadlineTimer(20000), [this, qmpSocket](const QString &error) {
            if (!m_process || m_failed) {
                qmpSocket->deleteLater();
                return;
            }
            if (!error.isEmpty()) {
                fail(QStringLiteral("QEMU did not open its monitor socket: ") + error);
                return;
            }
            m_qmp = new QmpClient(this);
            connect(m_qmp, &QmpClient::event, this, [this](const QmpMessage &m) {
                // A reset ends the agent wherever it was, mid-frame too: the new one starts
                // afresh.
                if (m.event == QLatin1String("RESET"))
                    m_decoder = BackdoorDecoder();
                emit qmpEvent(m.event, m.data, m.timestampUs);
            });
            m_qmp->attach(qmpSocket);
            // QMP's socket is created last: the others exist now.
            m_serial = new QLocalSocket(this);
            m_backdoor = new QLocalSocket(this);
            m_shell = new QLocalSocket(this);
            for (auto [socket, path] :
                { std::pair { m_serial, m_serialPath }, std::pair { m_backdoor, m_backdoorPath },
                    std::pair { m_shell, m_shellPath } }) {
                socket->connectToServer(path);
                if (!socket->waitForConnected(2000)) {
                    fail(QStringLiteral("cannot connect to %1: %2")
                             .arg(path, socket->errorString()));
                    return;
                }
            }
            connect(m_serial, &QLocalSocket::readyRead, this, [this] {
                const QByteArray bytes = m_serial->readAll();
                m_serialLog.write(bytes);
                m_serialLog.flush();
                emit serialData(bytes);
            });
            connect(m_backdoor, &QLocalSocket::readyRead, this, &MachineProcess::onBackdoorData);
            connect(m_shell, &QLocalSocket::readyRead, this,
                [this] { emit shellData(m_shell->readAll()); });
            connect(m_qmp, &QmpClient::ready, this, [this] {
                if (!m_loadOnStart.isEmpty()) {
                    loadOnStart();
                    return;
                }
                m_qmp->execute(QStringLiteral("cont"), {}, [this](const QmpMessage &reply) {
                    if (reply.kind == QmpMessage::Kind::Error) {
                        fail(QStringLiteral("QEMU refused to run the guest: ") + reply.errorDesc);
                        return;
                    }
                    if (m_sharedLimit)
                        m_sharedLimit->start();
                    emit started();
                });
            });
        });
}

void MachineProcess::loadOnStart()
{
    const QString name = std::exchange(m_loadOnStart, QString());
    // HMP answers nothing when loadvm worked, and QEMU's reason when it did not.
    m_qmp->execute(QStringLiteral("human-monitor-command"),
        QJsonObject {
            { QStringLiteral("command-line"), QString(QStringLiteral("loadvm ") + name) } },
        [this, name](const QmpMessage &reply) {
            QString why = reply.kind == QmpMessage::Kind::Error ? reply.errorDesc
                                                                : reply.result.toString().trimmed();
            if (!why.isEmpty()) {
                fail(QStringLiteral("QEMU could not start from snapshot %1: %2")
                         .arg(name,
                             why.remove(QLatin1Char(0x0d))
                                 .replace(QLatin1Char(0x0a), QStringLiteral("; "))));
                return;
            }
            if (m_sharedLimit)
                m_sharedLimit->start();
            emit started();
        });
}

void MachineProcess::onBackdoorData()
{
    deliverBackdoor(m_decoder, m_backdoor->readAll());
}

QIODevice *MachineProcess::backdoorChannel() const
{
    return m_backdoor;
}

void MachineProcess::writeSerial(const QByteArray &bytes)
{
    if (m_serial)
        m_serial->write(bytes);
}

void MachineProcess::writeShell(const QByteArray &bytes)
{
    if (m_shell)
        m_shell->write(bytes);
}

void MachineProcess::qmp(
    const QString &command, const QJsonObject &arguments, QmpClient::Callback done)
{
    if (!m_qmp) {
        QmpMessage reply;
        reply.kind = QmpMessage::Kind::Error;
        reply.errorClass = QStringLiteral("Disconnected");
        reply.errorDesc = QStringLiteral("QEMU is not running");
        done(reply);
        return;
    }
    m_qmp->execute(command, arguments, std::move(done));
}

void MachineProcess::kill()
{
    if (m_remote && m_process && m_process->state() != QProcess::NotRunning) {
        // host-exec ends QEMU there, waits for it, then ends: the disk is free for a next start.
        m_process->closeWriteChannel();
        if (m_process->waitForFinished(10000))
            return;
    }
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

void MachineProcess::fail(const QString &reason)
{
    if (m_failed)
        return;
    m_failed = true;
    emit failed(reason);
    kill();
}

} // namespace vivarium
