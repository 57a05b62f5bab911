#include "core/network/processsupervisor.h"

#include "core/event/machineerror.h"
#include "core/network/vdemanagement.h"
#include "core/util/childprocess.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QThread>

namespace vivarium {

namespace {

constexpr int healthTimeoutMs = 5000;

} // namespace

ProcessSupervisor::ProcessSupervisor(
    QThread *ioThread, std::function<void(Id, const QString &)> ended)
    : m_host(new QObject)
    , m_ended(std::move(ended))
{
    m_host->moveToThread(ioThread);
}

ProcessSupervisor::~ProcessSupervisor()
{
    stopAll();
    QObject *host = m_host;
    invokeBlocking([host] { delete host; });
}

void ProcessSupervisor::invokeBlocking(const std::function<void()> &call) const
{
    if (QThread::currentThread() == m_host->thread())
        call();
    else
        QMetaObject::invokeMethod(m_host, call, Qt::BlockingQueuedConnection);
}

ProcessSupervisor::Id ProcessSupervisor::start(
    const QString &description, const QString &program, const QStringList &arguments)
{
    Id id = 0;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = false;
        id = m_next++;
        m_processes[id] = Supervised { description, 0, false, {} };
    }
    QString error;
    invokeBlocking([&] {
        auto *process = new QProcess(m_host);
        dieWithParent(process);
        process->setProcessChannelMode(QProcess::MergedChannels);
        QObject::connect(process, &QProcess::readyReadStandardOutput, process, [this, id, process] {
            const QByteArray bytes = process->readAllStandardOutput();
            std::lock_guard lock(m_mutex);
            QByteArray &output = m_processes[id].output;
            output = QByteArray(output + bytes).right(2048);
        });
        QObject::connect(process, &QProcess::finished, process,
            [this, id, process](int code, QProcess::ExitStatus status) {
                onEnded(id, code, status == QProcess::CrashExit);
                process->deleteLater();
            });
        // stdin stays an open pipe: vde_switch ends when its console reaches end of file.
        process->start(program, arguments);
        if (!process->waitForStarted(healthTimeoutMs)) {
            error = QStringLiteral("cannot start %1: %2").arg(program, process->errorString());
            delete process;
            return;
        }
        std::lock_guard lock(m_mutex);
        m_processes[id].pid = process->processId();
    });
    if (!error.isEmpty())
        throw MachineError(MachineError::Kind::Failed, error);
    return id;
}

void ProcessSupervisor::onEnded(Id id, int exitCode, bool signalled)
{
    QString message;
    {
        std::lock_guard lock(m_mutex);
        Supervised &process = m_processes[id];
        process.ended = true;
        if (m_stopping)
            return;
        // QProcess gives the signal's number as the code of a process a signal ended.
        message = signalled
            ? QStringLiteral("%1 was killed by signal %2 (%3)")
                  .arg(process.description)
                  .arg(exitCode)
                  .arg(signalName(exitCode))
            : QStringLiteral("%1 exited (status %2)").arg(process.description).arg(exitCode);
        const QString output = QString::fromUtf8(process.output).trimmed();
        if (!output.isEmpty())
            message += QStringLiteral(": ") + output;
    }
    m_ended(id, message);
}

void ProcessSupervisor::waitForManagement(Id id, const QString &socket, VdeManagement *session)
{
    QDeadlineTimer deadline(healthTimeoutMs);
    QString error;
    while (!session->open(socket, 100, &error)) {
        std::lock_guard lock(m_mutex);
        const Supervised &process = m_processes[id];
        if (process.ended || deadline.hasExpired()) {
            QString message = process.ended
                ? QStringLiteral("%1 ended before it answered").arg(process.description)
                : QStringLiteral("%1 did not answer within %2 s (%3)")
                      .arg(process.description)
                      .arg(healthTimeoutMs / 1000)
                      .arg(error);
            const QString output = QString::fromUtf8(process.output).trimmed();
            if (!output.isEmpty())
                message += QStringLiteral(": ") + output;
            throw MachineError(MachineError::Kind::Failed, message);
        }
    }
}

void ProcessSupervisor::stopAll()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    invokeBlocking([this] {
        // Each process is killed and reaped before the next; captures close their files.
        for (QObject *child : m_host->children()) {
            if (auto *process = qobject_cast<QProcess *>(child)) {
                QObject::disconnect(process, nullptr, nullptr, nullptr);
                process->kill();
                process->waitForFinished(2000);
            }
            delete child;
        }
    });
    std::lock_guard lock(m_mutex);
    m_processes.clear();
}

QList<qint64> ProcessSupervisor::processIds() const
{
    std::lock_guard lock(m_mutex);
    QList<qint64> pids;
    for (const auto &[id, process] : m_processes) {
        if (!process.ended && process.pid > 0)
            pids << process.pid;
    }
    return pids;
}

} // namespace vivarium
