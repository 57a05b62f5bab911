#include "core/container/containerprocess.h"

#include "core/container/portforward.h"
#include "core/container/tapforwarder.h"
#include "core/qemu/qemucommand.h"
#include "core/util/childprocess.h"
#include "core/util/hostview.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QLocalServer>
#include <QLocalSocket>
#include <QProcess>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <csignal>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vivarium {

namespace {

// Where vivarium-container makes a container's cgroups: the cgroup v1 controllers, the
// delegated v2 directory of a hybrid host ("unified"), and a v2 host's one directory ("").
const QStringList cgroupControllers { QStringLiteral("memory"), QStringLiteral("cpu"),
    QStringLiteral("pids"), QStringLiteral("devices"), QStringLiteral("freezer"),
    QStringLiteral("unified"), QString() };

// A cgroup and those below it (a container's systemd makes its slices there): cgroup
// directories go with rmdir, deepest first, once their processes are gone.
void removeCgroupTree(const QString &path)
{
    for (const QString &below : QDir(path).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        removeCgroupTree(path + QLatin1Char('/') + below);
    QDir().rmdir(path);
}

QString cgroupDir(const QString &controller, const QString &name)
{
    return QStringLiteral("/sys/fs/cgroup/%1/vivarium/%2").arg(controller, name);
}

qint64 nowUs()
{
    return QDateTime::currentMSecsSinceEpoch() * 1000;
}

} // namespace

ContainerProcess::ContainerProcess(
    QString name, ContainerLaunch launch, QString logDir, QObject *parent)
    : MachineBackend(parent)
    , m_name(std::move(name))
    , m_launch(std::move(launch))
    , m_socketPath(m_launch.guestDir + QStringLiteral("/backdoor.sock"))
    , m_serialLog(logDir + QLatin1Char('/') + m_name + QStringLiteral(".serial.log"))
    , m_log(logDir + QLatin1Char('/') + m_name + QStringLiteral(".container.log"))
{
}

ContainerProcess::~ContainerProcess()
{
    kill();
    cleanUp();
}

qint64 ContainerProcess::pid() const
{
    return m_process ? m_process->processId() : 0;
}

bool ContainerProcess::openTerminal(Terminal &terminal, QString *error)
{
    terminal.master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (terminal.master < 0 || ::grantpt(terminal.master) < 0 || ::unlockpt(terminal.master) < 0) {
        *error
            = QStringLiteral("cannot open a pty: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    const char *slave = ::ptsname(terminal.master);
    terminal.slave = slave ? ::open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    // The container's root opens it: the pty is its.
    if (terminal.slave < 0 || ::fchown(terminal.slave, uidBase, uidBase + 5) < 0) {
        *error = QStringLiteral("cannot prepare the pty %1: %2")
                     .arg(QString::fromLocal8Bit(slave), QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    ::fcntl(terminal.master, F_SETFL, ::fcntl(terminal.master, F_GETFL) | O_NONBLOCK);
    terminal.notifier = new QSocketNotifier(terminal.master, QSocketNotifier::Read, this);
    const bool console = &terminal == &m_console;
    connect(terminal.notifier, &QSocketNotifier::activated, this, [this, console] {
        char buffer[65536];
        const int fd = console ? m_console.master : m_shell.master;
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0)
            return;
        const QByteArray bytes(buffer, n);
        if (console) {
            m_serialLog.write(bytes);
            m_serialLog.flush();
            emit serialData(bytes);
        } else {
            emit shellData(bytes);
        }
    });
    return true;
}

void ContainerProcess::closeTerminal(Terminal &terminal)
{
    delete terminal.notifier;
    terminal.notifier = nullptr;
    for (int *fd : { &terminal.master, &terminal.slave }) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
}

void ContainerProcess::startFailed(const QString &reason)
{
    m_log.write(QStringLiteral("[%1]\n").arg(reason).toUtf8());
    cleanUp();
    m_failed = true;
    emit failed(reason);
    emit exited(-1, false, {});
}

void ContainerProcess::start(const QString &snapshot)
{
    if (!snapshot.isEmpty()) {
        emit failed(QStringLiteral("a container has no snapshots"));
        emit exited(-1, false, {});
        return;
    }
    m_failed = false;
    m_started = false;
    m_linkUp.clear(); // a new start's cables are in, as a new QEMU's are (reboots keep them)
    m_decoder = BackdoorDecoder();
    m_stdout.clear();
    m_stderrTail.clear();
    m_serialLog.open(QIODevice::WriteOnly | QIODevice::Append);
    m_log.open(QIODevice::WriteOnly | QIODevice::Append);

    QString error;
    if (!openTerminal(m_console, &error) || !openTerminal(m_shell, &error))
        return startFailed(error);
    QFile::remove(m_socketPath);
    m_server = new QLocalServer(this);
    // Root's on the host, so the container's root's: the machine's directory is an idmapped
    // mount in the container.
    if (!m_server->listen(m_socketPath))
        return startFailed(
            QStringLiteral("cannot listen on %1: %2").arg(m_socketPath, m_server->errorString()));
    QFile::setPermissions(m_socketPath, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    connect(m_server, &QLocalServer::newConnection, this, &ContainerProcess::onBackdoorConnection);

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return startFailed(
            QStringLiteral("socketpair: %1").arg(QString::fromLocal8Bit(strerror(errno))));
    m_control = pair[0];
    m_controlNotifier = new QSocketNotifier(m_control, QSocketNotifier::Read, this);
    connect(m_controlNotifier, &QSocketNotifier::activated, this, &ContainerProcess::onControl);

    QStringList arguments { QStringLiteral("--hostname"), m_launch.hostname,
        QStringLiteral("--lower"), QStringLiteral("/"), QStringLiteral("--disk"), m_launch.disk,
        QStringLiteral("--guest"), m_launch.guestDir, QStringLiteral("--console"),
        QString::fromLocal8Bit(::ptsname(m_console.master)), QStringLiteral("--shell"),
        QString::fromLocal8Bit(::ptsname(m_shell.master)), QStringLiteral("--init"), m_launch.init,
        QStringLiteral("--cgroup"), m_launch.cgroup, QStringLiteral("--uid-base"),
        QString::number(uidBase) };
    // What a VM's guest does not see of the host, nor does a container; and the host's /tmp
    // (other machines' directories), where a VM's guest gets a tmpfs anyway.
    for (const QString &dir :
        HostView::hiddenDirectories() + QStringList { QStringLiteral("/tmp") })
        arguments << QStringLiteral("--hide-dir") << dir;
    for (const QString &file : HostView::hiddenFiles())
        arguments << QStringLiteral("--hide-file") << file;
    if (m_launch.memoryBytes > 0)
        arguments << QStringLiteral("--memory") << QString::number(m_launch.memoryBytes);
    if (m_launch.cpus > 0)
        arguments << QStringLiteral("--cpus") << QString::number(m_launch.cpus);
    for (const NicPort &nic : std::as_const(m_launch.nics))
        arguments << QStringLiteral("--nic") << nic.interface + QLatin1Char('=') + nic.mac;
    m_log.write(QStringLiteral("$ %1 %2\n")
                    .arg(m_launch.launcher, arguments.join(QLatin1Char(' ')))
                    .toUtf8());
    m_log.flush();

    m_process = new QProcess(this);
    dieWithParent(m_process, { { pair[1], 3 } });
    connect(
        m_process, &QProcess::readyReadStandardOutput, this, &ContainerProcess::onLauncherOutput);
    connect(m_process, &QProcess::readyReadStandardError, this, [this] {
        const QByteArray bytes = m_process->readAllStandardError();
        m_log.write(bytes);
        m_log.flush();
        m_stderrTail = QByteArray(m_stderrTail + bytes).right(4096);
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            fail(QStringLiteral("cannot start %1: %2")
                     .arg(m_launch.launcher, m_process->errorString()));
    });
    connect(m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        m_stderrTail += m_process->readAllStandardError();
        m_log.write(QStringLiteral("[container ended: %1 %2]\n")
                        .arg(status == QProcess::CrashExit ? QStringLiteral("killed")
                                                           : QStringLiteral("status"))
                        .arg(code)
                        .toUtf8());
        m_process->deleteLater();
        m_process = nullptr;
        QString tail = QString::fromUtf8(m_stderrTail).trimmed();
        // The launcher's own failure is the reason, not its exit status.
        const qsizetype at = tail.lastIndexOf(QStringLiteral("vivarium-container: "));
        if (at >= 0)
            tail = tail.mid(at + 20);
        cleanUp();
        emit exited(code, status == QProcess::CrashExit, tail);
    });
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    m_process->setStandardInputFile(QProcess::nullDevice());
    m_process->start(m_launch.launcher, arguments);
    ::close(pair[1]);
}

void ContainerProcess::onLauncherOutput()
{
    m_stdout += m_process->readAllStandardOutput();
    for (qsizetype end = m_stdout.indexOf('\n'); end >= 0; end = m_stdout.indexOf('\n')) {
        const QByteArray line = m_stdout.left(end);
        m_stdout.remove(0, end + 1);
        m_log.write("[" + line + "]\n");
        m_log.flush();
        if (line.startsWith("started ")) {
            m_initPid = line.mid(8).toLongLong();
            if (!std::exchange(m_started, true)) {
                if (m_sharedLimit)
                    m_sharedLimit->start();
                emit started();
            }
        } else if (line == "reset") {
            // The container's init rebooted it: a new boot in fresh namespaces, new taps, and
            // no forwarded port (as QEMU's guest loses none, but its network is new).
            qDeleteAll(m_nics);
            m_nics.clear();
            qDeleteAll(m_forwards);
            m_forwards.clear();
            emit qmpEvent(QStringLiteral("RESET"), {}, nowUs());
        }
    }
}

void ContainerProcess::onControl()
{
    // The tap devices of a boot, in the order of the NICs.
    char text[256];
    char control[CMSG_SPACE(sizeof(int) * 16)];
    iovec iov { text, sizeof text };
    msghdr message {};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(m_control, &message, MSG_CMSG_CLOEXEC);
    if (n <= 0) {
        m_controlNotifier->setEnabled(false);
        return;
    }
    QList<int> taps;
    for (cmsghdr *header = CMSG_FIRSTHDR(&message); header;
         header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS)
            continue;
        const int count = int((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count; ++i) {
            int fd;
            memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
            taps << fd;
        }
    }
    qDeleteAll(m_nics);
    m_nics.clear();
    for (qsizetype i = 0; i < taps.size(); ++i) {
        if (i >= m_launch.nics.size()) {
            ::close(taps.at(i));
            continue;
        }
        const NicPort &nic = m_launch.nics.at(i);
        auto port = std::make_unique<VdePort>();
        QString error;
        if (!port->open(nic.switchDir, nic.socketPath, m_name, &error)) {
            for (qsizetype rest = i; rest < taps.size(); ++rest)
                ::close(taps.at(rest));
            fail(QStringLiteral("cannot join the VLAN switch: ") + error);
            return;
        }
        auto *forwarder = new TapForwarder(taps.at(i), std::move(port), this);
        if (i < m_linkUp.size() && !m_linkUp.at(i))
            forwarder->setLinkUp(false);
        m_nics << forwarder;
    }
}

void ContainerProcess::onBackdoorConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        // One agent at a time, as a virtio port opens once: another program of the container
        // cannot speak for it while it runs.
        if (m_backdoor) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        m_backdoor = socket;
        m_decoder = BackdoorDecoder();
        connect(socket, &QLocalSocket::readyRead, this,
            [this, socket] { deliverBackdoor(m_decoder, socket->readAll()); });
        connect(socket, &QLocalSocket::disconnected, this, [this, socket] {
            if (m_backdoor == socket) {
                m_backdoor = nullptr;
                agentPort(false);
            }
            socket->deleteLater();
        });
        agentPort(true);
    }
}

void ContainerProcess::agentPort(bool open)
{
    emit qmpEvent(QStringLiteral("VSERPORT_CHANGE"),
        QJsonObject { { QStringLiteral("id"), QStringLiteral("backdoor-port") },
            { QStringLiteral("open"), open } },
        nowUs());
}

QIODevice *ContainerProcess::backdoorChannel() const
{
    return m_backdoor;
}

void ContainerProcess::writeSerial(const QByteArray &bytes)
{
    if (m_console.master >= 0)
        (void)::write(m_console.master, bytes.constData(), size_t(bytes.size()));
}

void ContainerProcess::writeShell(const QByteArray &bytes)
{
    if (m_shell.master >= 0)
        (void)::write(m_shell.master, bytes.constData(), size_t(bytes.size()));
}

void ContainerProcess::setFrozen(bool frozen, QmpClient::Callback done)
{
    QFile state(
        cgroupDir(QStringLiteral("freezer"), m_launch.cgroup) + QStringLiteral("/freezer.state"));
    if (!state.open(QIODevice::WriteOnly) || state.write(frozen ? "FROZEN" : "THAWED") < 0) {
        done(qmpReply(QStringLiteral("cannot %1 the container (its freezer cgroup %2): %3")
                          .arg(frozen ? QStringLiteral("pause") : QStringLiteral("resume"),
                              state.fileName(), state.errorString())));
        return;
    }
    done(qmpReply());
}

void ContainerProcess::qmp(
    const QString &command, const QJsonObject &arguments, QmpClient::Callback done)
{
    if (!m_process) {
        done(qmpReply(QStringLiteral("the container is not running")));
        return;
    }
    if (command == QLatin1String("quit")) {
        kill();
        done(qmpReply());
    } else if (command == QLatin1String("stop") || command == QLatin1String("cont")) {
        setFrozen(command == QLatin1String("stop"), std::move(done));
    } else if (command == QLatin1String("set_link")) {
        const QString device = arguments.value(QStringLiteral("name")).toString();
        const bool up = arguments.value(QStringLiteral("up")).toBool();
        for (qsizetype i = 0; i < m_launch.nics.size(); ++i) {
            if (nicDeviceId(m_launch.nics.at(i).vlan) != device)
                continue;
            while (m_linkUp.size() <= i)
                m_linkUp << true;
            m_linkUp[i] = up;
            if (i < m_nics.size())
                m_nics.at(i)->setLinkUp(up);
            done(qmpReply());
            return;
        }
        done(qmpReply(QStringLiteral("the container has no NIC %1").arg(device)));
    } else if (command == QLatin1String("human-monitor-command")
        && arguments.value(QStringLiteral("command-line"))
               .toString()
               .startsWith(QLatin1String("hostfwd_add "))) {
        // HMP answers with text: empty when it worked.
        QmpMessage reply;
        reply.result = forwardPort(arguments.value(QStringLiteral("command-line")).toString());
        done(reply);
    } else if (command == QLatin1String("send-key")
        && arguments.value(QStringLiteral("keys"))
                .toArray()
                .last()
                .toObject()
                .value(QStringLiteral("data"))
            == QLatin1String("delete")) {
        // Ctrl+Alt+Delete: SIGINT to the container's init, which reboots cleanly (systemd and
        // the minimal init both take it so).
        ::kill(pid_t(m_process->processId()), SIGINT);
        done(qmpReply());
    } else {
        done(qmpReply(
            QStringLiteral("machine %1 is a container: it has no QEMU (%2)").arg(m_name, command)));
    }
}

QString ContainerProcess::forwardPort(const QString &commandLine)
{
    static const QRegularExpression rule(
        QStringLiteral("^hostfwd_add tcp:127\\.0\\.0\\.1:(\\d+)-:(\\d+)$"));
    const QRegularExpressionMatch match = rule.match(commandLine);
    if (!match.hasMatch())
        return QStringLiteral("a container forwards tcp:127.0.0.1:HOST-:GUEST only");
    const int netns
        = ::open(QStringLiteral("/proc/%1/ns/net").arg(m_initPid).toLocal8Bit().constData(),
            O_RDONLY | O_CLOEXEC);
    if (m_initPid <= 0 || netns < 0)
        return QStringLiteral("the container's network namespace is gone");
    auto *forward = new PortForward(netns, match.captured(2).toInt(), this);
    QString error;
    if (!forward->listen(match.captured(1).toInt(), &error)) {
        delete forward;
        return error;
    }
    m_forwards << forward;
    return {};
}

void ContainerProcess::kill()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        // SIGTERM: the launcher kills the container's init (the kernel ends every process of
        // its PID namespace with it), reaps it and removes its cgroups. Should the launcher
        // not answer, SIGKILL: the init dies with it (its parent-death signal).
        m_process->terminate();
        if (!m_process->waitForFinished(5000) && m_process) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
}

void ContainerProcess::fail(const QString &reason)
{
    if (m_failed)
        return;
    m_failed = true;
    emit failed(reason);
    kill();
}

void ContainerProcess::cleanUp()
{
    if (m_sharedLimit)
        m_sharedLimit->stop();
    qDeleteAll(m_nics);
    m_nics.clear();
    qDeleteAll(m_forwards);
    m_forwards.clear();
    m_initPid = 0;
    // abort() reports the disconnection, whose handler must not see the socket as ours.
    if (QLocalSocket *backdoor = std::exchange(m_backdoor, nullptr)) {
        backdoor->abort();
        backdoor->deleteLater();
    }
    delete m_server;
    m_server = nullptr;
    QFile::remove(m_socketPath);
    delete m_controlNotifier;
    m_controlNotifier = nullptr;
    if (m_control >= 0)
        ::close(m_control);
    m_control = -1;
    closeTerminal(m_console);
    closeTerminal(m_shell);
    // The launcher removes them when it ends; not when it was killed.
    for (const QString &controller : cgroupControllers)
        removeCgroupTree(cgroupDir(controller, m_launch.cgroup));
    m_serialLog.close();
    m_log.close();
}

void ContainerProcess::removeStaleCgroups()
{
    // Names are "PID.MACHINE", PID the Vivarium that made them.
    for (const QString &controller : cgroupControllers) {
        const QString base = QStringLiteral("/sys/fs/cgroup/%1/vivarium").arg(controller);
        for (const QString &name : QDir(base).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            const QString owner = name.section(QLatin1Char('.'), 0, 0);
            if (owner.isEmpty() || QFileInfo::exists(QStringLiteral("/proc/") + owner))
                continue;
            QFile tasks(base + QLatin1Char('/') + name + QStringLiteral("/cgroup.procs"));
            if (tasks.open(QIODevice::ReadOnly)) {
                for (const QByteArray &pid : tasks.readAll().split('\n')) {
                    if (pid.toInt() > 0)
                        ::kill(pid.toInt(), SIGKILL);
                }
            }
            removeCgroupTree(base + QLatin1Char('/') + name);
        }
    }
}

} // namespace vivarium
