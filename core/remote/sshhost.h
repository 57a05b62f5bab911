#pragma once

#include "core/network/remotehost.h"
#include "core/spec/testspec.h"

#include <QObject>
#include <QStringList>
#include <QTemporaryDir>

class QProcess;

namespace vivarium {

// One [hosts.NAME] host of a run, over one ssh connection that every later command and socket
// forward shares (OpenSSH's ControlMaster; docs/scale-out.md). The connection's own session is
// the run's presence on the host: it makes the run's directory there, reports what the host
// lacks, and when it ends (the run ended, Vivarium was killed, the link was lost) kills
// every process that names that directory and removes it. A later run on the host removes
// what an earlier one could not (its session's lock is free).
//
// Logs in with keys only (BatchMode): a host that would ask for a password is refused, with
// a message that says so.
class SshHost : public QObject, public RemoteHost {
    Q_OBJECT

public:
    // requiredFiles: paths the host must have (Vivarium's guest artifacts); hostExec: where
    // the host has vivarium-host-exec (required too, when given).
    SshHost(
        HostSpec spec, QStringList requiredFiles, QString hostExec = {}, QObject *parent = nullptr);
    ~SshHost() override;

    const HostSpec &spec() const { return m_spec; }
    // Connects, makes the run's directory and checks the host: false with one message naming
    // the host and what is wrong. Blocks up to timeoutS.
    bool connectHost(int timeoutS, QString *error);
    // The run's directory on the host (valid after connectHost).
    QString runDirectory() const override { return m_runDir; }
    QString name() const override { return m_spec.name; }
    // ssh's arguments up to and including the destination, over the shared connection: append
    // "--" and a command.
    QStringList sshArguments() const override;
    QStringList execArguments(const QStringList &command, const QList<RemotePort> &ports = {},
        const QString &readyPath = {}) const override;
    // Runs command (a shell line) on the host: its exit status 0 or a message naming the host.
    bool run(const QString &command, QString *output, QString *error, int timeoutS = 60,
        const QByteArray &input = {}) override;
    bool forwardSocket(
        const QString &localSocket, const QString &remoteSocket, QString *error) override;
    // Ends the session: the host cleans up. Blocks up to a few seconds.
    void disconnectHost();
    bool isConnected() const { return m_master != nullptr && m_lostReason.isEmpty(); }
    QString lostReason() const { return m_lostReason; }
    QString label() const override;

signals:
    // The connection ended while the run needed it (the host went down, its sshd was killed,
    // the link broke): reason names the host.
    void lost(const QString &reason);

private:
    bool run(
        const QString &command, QString *output, QString *error, int timeoutS, QIODevice *input);
    QString sessionScript() const;
    QString sshFailure(const QString &stderrText) const;

    HostSpec m_spec;
    QStringList m_requiredFiles;
    QString m_hostExec;
    QTemporaryDir m_controlDir; // the shared connection's socket: short path, this run's
    QString m_control;
    QProcess *m_master = nullptr;
    QString m_runDir;
    QString m_lostReason;
};

} // namespace vivarium
