#pragma once

#include <QString>
#include <QStringList>

namespace vivarium {

// A VLAN port that Vivarium's host-exec joins on another host and hands to the program it runs
// there as descriptor fd (QEMU's NIC): the switch's directory and our socket, both over there.
struct RemotePort {
    QString switchDir;
    QString socketPath;
    int fd = -1;
};

// Another host that a run's machines and network reach (SshHost: one ssh connection). Each
// process of the run there is started through it and ends with the local process that
// stands for it; its sockets reach this host as forwarded unix sockets.
class RemoteHost {
public:
    virtual ~RemoteHost() = default;

    virtual QString name() const = 0; // the test file's [hosts.NAME]
    // "host NAME (user@address)": how messages name it.
    virtual QString label() const = 0;
    // The run's directory there: every process of the run there names it.
    virtual QString runDirectory() const = 0;
    // ssh's arguments over the shared connection, up to and including the destination.
    virtual QStringList sshArguments() const = 0;
    // ssh's arguments that run command (program and arguments) there through Vivarium's
    // host-exec: it ends when the local ssh does, joins ports first, and prints
    // "vivarium-ready" once readyPath exists (docs/scale-out.md).
    virtual QStringList execArguments(const QStringList &command,
        const QList<RemotePort> &ports = {}, const QString &readyPath = {}) const = 0;
    // Connections to localSocket reach remoteSocket there: a connection made before the
    // program there has made its socket is closed at once (callers retry, or wait for it to
    // say it is up). False with a message.
    virtual bool forwardSocket(
        const QString &localSocket, const QString &remoteSocket, QString *error)
        = 0;
    // Runs a shell line there, input on its standard input: false with a message naming the
    // host and what it said.
    virtual bool run(const QString &command, QString *output, QString *error, int timeoutS = 60,
        const QByteArray &input = {})
        = 0;
};

} // namespace vivarium
