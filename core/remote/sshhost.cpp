#include "core/remote/sshhost.h"

#include "core/util/childprocess.h"
#include "core/util/textformat.h"

#include <QDeadlineTimer>
#include <QProcess>

namespace vivarium {

namespace {

// The last lines ssh printed, for a message.
QString lastLines(const QString &text)
{
    QStringList lines = text.trimmed().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    return lines.mid(-3).join(QStringLiteral(" / "));
}

// A command as a message shows it: its first line, cut at 80 characters.
QString shortCommand(const QString &command)
{
    const QString line = command.section(QLatin1Char('\n'), 0, 0);
    return line.size() > 80 || line.size() < command.size() ? line.left(80) + QStringLiteral("...")
                                                            : line;
}

// What the host must have to run a network's machines (docs/scale-out.md).
const char *const requiredPrograms
    = "qemu-system-x86_64 vde_switch wirefilter vde_plug flock pkill";

} // namespace

SshHost::SshHost(HostSpec spec, QStringList requiredFiles, QString hostExec, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_requiredFiles(std::move(requiredFiles))
    , m_hostExec(std::move(hostExec))
    , m_controlDir(QStringLiteral("/tmp/vivarium-ssh-XXXXXX"))
    , m_control(m_controlDir.filePath(QStringLiteral("c")))
{
    if (!m_hostExec.isEmpty())
        m_requiredFiles.append(m_hostExec);
}

SshHost::~SshHost()
{
    disconnectHost();
}

QString SshHost::label() const
{
    return QStringLiteral("host %1 (%2)").arg(m_spec.name, m_spec.ssh);
}

QStringList SshHost::sshArguments() const
{
    QStringList arguments { QStringLiteral("-S"), m_control, QStringLiteral("-o"),
        QStringLiteral("BatchMode=yes") };
    if (!m_spec.sshConfig.isEmpty())
        arguments << QStringLiteral("-F") << m_spec.sshConfig;
    if (m_spec.port > 0)
        arguments << QStringLiteral("-p") << QString::number(m_spec.port);
    arguments << m_spec.ssh;
    return arguments;
}

// The session: the run's directory (under the user's own, 0700), held by a lock while the
// session lives; the directories of ended sessions whose cleanup never ran (their lock is
// free) killed and removed first; one line saying the directory and what the host lacks;
// then, once the connection ends, everything that names the directory killed and it removed.
QString SshHost::sessionScript() const
{
    return QStringLiteral(R"(set -u
base=${TMPDIR:-/tmp}/vivarium-remote-$(id -u)
mkdir -p "$base" && chmod 700 "$base" || { echo "vivarium-host-error cannot make $base"; exit 90; }
for tool in %1; do command -v "$tool" > /dev/null 2>&1 || missing="${missing:-} $tool"; done
case " ${missing:-} " in *" flock "*|*" pkill "*) echo "vivarium-host - missing:$missing"; exit 0;; esac
for d in "$base"/run-*; do
    [ -d "$d" ] || continue
    ( flock -n 8 || exit 0; pkill -KILL -f -- "$d/"; rm -rf "$d" ) 8>> "$d/lock"
done
dir=$(mktemp -d "$base/run-XXXXXX") || { echo "vivarium-host-error cannot make a directory in $base"; exit 91; }
exec 9> "$dir/lock"
flock 9
for f in %2; do [ -e "$f" ] || missing="${missing:-} $f"; done
echo "vivarium-host $dir missing:${missing:-}"
cat > /dev/null
pkill -KILL -f -- "$dir/"
rm -rf "$dir"
)")
        .arg(QLatin1String(requiredPrograms), shellQuoteAll(m_requiredFiles));
}

QString SshHost::sshFailure(const QString &stderrText) const
{
    const QString said = lastLines(stderrText);
    if (stderrText.contains(QLatin1String("Permission denied")))
        return QStringLiteral("%1 refused the login: Vivarium logs in with keys only and never "
                              "asks for a password; add your public key to the host's "
                              "authorized_keys, or give [hosts.%2] ssh_config with its "
                              "IdentityFile (ssh said: %3)")
            .arg(label(), m_spec.name, said);
    if (stderrText.contains(QLatin1String("Host key verification failed")))
        return QStringLiteral("%1: its host key is not known here; connect once with ssh to "
                              "check and keep it (ssh said: %2)")
            .arg(label(), said);
    for (const char *unreachable : { "Connection refused", "timed out", "No route to host",
             "Could not resolve", "Network is unreachable", "Connection closed" }) {
        if (stderrText.contains(QLatin1String(unreachable)))
            return QStringLiteral("cannot reach %1: %2").arg(label(), said);
    }
    return QStringLiteral("ssh to %1 failed: %2")
        .arg(label(), said.isEmpty() ? QStringLiteral("no message") : said);
}

bool SshHost::connectHost(int timeoutS, QString *error)
{
    if (!m_controlDir.isValid()) {
        *error = QStringLiteral("%1: cannot make a directory for ssh's control socket: %2")
                     .arg(label(), m_controlDir.errorString());
        return false;
    }
    m_lostReason.clear();
    m_master = new QProcess(this);
    dieWithParent(m_master);
    QStringList arguments { QStringLiteral("-M"), QStringLiteral("-o"),
        QStringLiteral("ControlPersist=no"), QStringLiteral("-o"),
        QStringLiteral("ConnectTimeout=%1").arg(std::max(1, timeoutS)), QStringLiteral("-o"),
        QStringLiteral("ServerAliveInterval=2"), QStringLiteral("-o"),
        QStringLiteral("ServerAliveCountMax=3"), QStringLiteral("-o"),
        QStringLiteral("StreamLocalBindUnlink=yes") };
    arguments += sshArguments();
    arguments << QStringLiteral("--") << QStringLiteral("sh -c ") + shellQuote(sessionScript());
    m_master->start(QStringLiteral("ssh"), arguments);
    if (!m_master->waitForStarted(10000)) {
        *error = QStringLiteral("%1: cannot start ssh: %2").arg(label(), m_master->errorString());
        delete m_master;
        m_master = nullptr;
        return false;
    }
    QDeadlineTimer deadline(std::chrono::seconds(timeoutS + 5));
    QByteArray said;
    while (
        !said.contains('\n') && m_master->state() == QProcess::Running && !deadline.hasExpired()) {
        m_master->waitForReadyRead(int(std::min<qint64>(deadline.remainingTime(), 500)));
        said += m_master->readAllStandardOutput();
    }
    const QString line = QString::fromUtf8(said.left(said.indexOf('\n'))).trimmed();
    if (!line.startsWith(QLatin1String("vivarium-host "))) {
        m_master->kill();
        m_master->waitForFinished(5000);
        const QString stderrText = QString::fromUtf8(m_master->readAllStandardError());
        if (line.startsWith(QLatin1String("vivarium-host-error ")))
            *error = QStringLiteral("%1: %2").arg(label(), line.mid(20));
        else if (deadline.hasExpired() && stderrText.isEmpty())
            *error = QStringLiteral("%1 did not answer within %2 s").arg(label()).arg(timeoutS);
        else
            *error = sshFailure(stderrText);
        delete m_master;
        m_master = nullptr;
        return false;
    }
    const QString missing = line.section(QStringLiteral(" missing:"), 1).trimmed();
    if (!missing.isEmpty()) {
        *error = QStringLiteral("%1 lacks %2: it needs QEMU, VDE (vde2, vdeplug), util-linux "
                                "and Vivarium's guest artifacts where this host has them "
                                "(docs/scale-out.md, \"Preparing a host\")")
                     .arg(label(), missing.split(QLatin1Char(' ')).join(QStringLiteral(", ")));
        disconnectHost();
        return false;
    }
    m_runDir = line.section(QLatin1Char(' '), 1, 1);
    // Until disconnectHost() lets it go, the connection ending means the host was lost.
    connect(m_master, &QProcess::finished, this, [this] {
        m_lostReason
            = QStringLiteral("%1 was lost: its ssh connection ended (%2)")
                  .arg(label(), lastLines(QString::fromUtf8(m_master->readAllStandardError())));
        emit lost(m_lostReason);
    });
    return true;
}

bool SshHost::run(
    const QString &command, QString *output, QString *error, int timeoutS, const QByteArray &input)
{
    if (!isConnected()) {
        *error
            = m_lostReason.isEmpty() ? label() + QStringLiteral(" is not connected") : m_lostReason;
        return false;
    }
    QProcess ssh;
    dieWithParent(&ssh);
    ssh.start(QStringLiteral("ssh"), sshArguments() << QStringLiteral("--") << command);
    ssh.write(input);
    while (ssh.bytesToWrite() > 0 && ssh.waitForBytesWritten(timeoutS * 1000)) { }
    ssh.closeWriteChannel();
    if (!ssh.waitForFinished(timeoutS * 1000)) {
        ssh.kill();
        ssh.waitForFinished(5000);
        *error = QStringLiteral("%1: `%2` did not end within %3 s")
                     .arg(label(), shortCommand(command))
                     .arg(timeoutS);
        return false;
    }
    if (output)
        *output = QString::fromUtf8(ssh.readAllStandardOutput());
    if (ssh.exitStatus() != QProcess::NormalExit || ssh.exitCode() != 0) {
        const QString stderrText = QString::fromUtf8(ssh.readAllStandardError());
        *error = ssh.exitCode() == 255 ? sshFailure(stderrText)
                                       : QStringLiteral("%1: `%2` failed with status %3: %4")
                                             .arg(label(), shortCommand(command))
                                             .arg(ssh.exitCode())
                                             .arg(lastLines(stderrText));
        return false;
    }
    return true;
}

QStringList SshHost::execArguments(
    const QStringList &command, const QList<RemotePort> &ports, const QString &readyPath) const
{
    QStringList exec { m_hostExec.isEmpty() ? QStringLiteral("vivarium-host-exec") : m_hostExec };
    for (const RemotePort &port : ports)
        exec << QStringLiteral("--port")
             << QStringLiteral("%1,%2,%3").arg(port.switchDir, port.socketPath).arg(port.fd);
    if (!readyPath.isEmpty())
        exec << QStringLiteral("--ready") << readyPath;
    exec << QStringLiteral("--") << command;
    return sshArguments() << QStringLiteral("--") << QStringLiteral("exec ") + shellQuoteAll(exec);
}

bool SshHost::forwardSocket(const QString &localSocket, const QString &remoteSocket, QString *error)
{
    QProcess ssh;
    dieWithParent(&ssh);
    QStringList arguments { QStringLiteral("-O"), QStringLiteral("forward"), QStringLiteral("-L"),
        localSocket + QLatin1Char(':') + remoteSocket };
    ssh.start(QStringLiteral("ssh"), arguments + sshArguments());
    if (!ssh.waitForFinished(30000) || ssh.exitCode() != 0) {
        *error = QStringLiteral("%1: cannot forward %2 to %3: %4")
                     .arg(label(), localSocket, remoteSocket,
                         lastLines(QString::fromUtf8(ssh.readAllStandardError())));
        return false;
    }
    return true;
}

void SshHost::disconnectHost()
{
    if (!m_master)
        return;
    m_master->disconnect(this); // its end is no longer a lost host
    // The session's stdin ends: the host kills what the run started there and removes its
    // directory, then the connection closes.
    m_master->closeWriteChannel();
    if (!m_master->waitForFinished(15000)) {
        m_master->kill();
        m_master->waitForFinished(5000);
    }
    delete m_master;
    m_master = nullptr;
}

} // namespace vivarium
