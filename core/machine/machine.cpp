#include "core/machine/machine.h"

#include "core/guest/baseimage.h"
#include "core/guest/rootimage.h"
#include "core/machine/backdoorframe.h"
#include "core/machine/machinelaunch.h"
#include "core/machine/machineprocess.h"
#include "core/network/network.h"
#include "core/qemu/accelprobe.h"
#include "core/qemu/hosttsc.h"
#include "core/qemu/qemucommand.h"
#include "core/spec/imagefile.h"
#include "core/util/childprocess.h"
#include "core/util/textformat.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QMetaObject>
#include <QRegularExpression>
#include <QThread>
#include <chrono>
#include <future>

namespace vivarium {

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// A guest's line as plain text for a message: terminal escape sequences and control characters
// out (colours, cursor movement, a title), so messages print as they read.
QString withoutEscapes(QString text)
{
    static const QRegularExpression escapes(QStringLiteral(
        "\\x1b(\\[[0-?]*[ -/]*[@-~]|\\][^\\x07\\x1b]*(\\x07|\\x1b\\\\)?|[@-Z\\\\-_])"));
    text.remove(escapes);
    text.removeIf([](QChar c) { return c.unicode() < 0x20 && c != QLatin1Char('\t'); });
    return text;
}

// A command's output for an error message: each stream that said something, shortened.
QString outputText(const CommandResult &result)
{
    QString text;
    if (!result.stdoutBytes.trimmed().isEmpty())
        text += QStringLiteral("\nstdout: ")
            + shortened(QString::fromUtf8(result.stdoutBytes).trimmed());
    if (!result.stderrBytes.trimmed().isEmpty())
        text += QStringLiteral("\nstderr: ")
            + shortened(QString::fromUtf8(result.stderrBytes).trimmed());
    return text;
}

} // namespace

QString &Machine::actionArtifact()
{
    thread_local QString artifact;
    return artifact;
}

QString shortened(const QString &text, int limit)
{
    return text.size() <= limit ? text : text.left(limit) + QStringLiteral("…");
}

QString machineStateName(Machine::State state)
{
    switch (state) {
    case Machine::State::Off:
        return QStringLiteral("off");
    case Machine::State::Booting:
        return QStringLiteral("booting");
    case Machine::State::Ready:
        return QStringLiteral("ready");
    case Machine::State::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

Machine::Machine(MachineSpec spec, MachineContext context)
    : m_spec(std::move(spec))
    , m_context(std::move(context))
    , m_paths(MachinePaths::under(m_context.runDir + QLatin1Char('/') + m_spec.name, m_spec.root))
{
}

Machine::~Machine()
{
    m_video.reset(); // it takes screens through the process
    if (m_process) {
        MachineBackend *process = m_process;
        QMetaObject::invokeMethod(
            process, [process] { delete process; }, Qt::BlockingQueuedConnection);
    }
}

Machine::State Machine::state() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

bool Machine::isUp() const
{
    std::lock_guard lock(m_mutex);
    return m_qemuRunning && m_state == State::Ready;
}

bool Machine::isRunning() const
{
    std::lock_guard lock(m_mutex);
    return m_qemuRunning;
}

qint64 Machine::qemuPid() const
{
    std::lock_guard lock(m_mutex);
    return m_qemuRunning ? m_qemuPid : 0;
}

double Machine::readySeconds() const
{
    std::lock_guard lock(m_mutex);
    return m_readySeconds;
}

void Machine::invoke(std::function<void()> call) const
{
    if (m_process)
        QMetaObject::invokeMethod(m_process, std::move(call), Qt::QueuedConnection);
}

void Machine::setState(State state, const QString &detail)
{
    // Called with m_mutex held.
    m_state = state;
    m_changed.notify_all();
    if (m_context.events)
        m_context.events->post(
            event::MachineState { m_spec.name, machineStateName(state), detail });
}

void Machine::action(
    const QString &name, const ActionArguments &arguments, const std::function<void()> &body)
{
    ActionEvent event;
    event.machine = m_spec.name;
    event.action = name;
    event.arguments = arguments;
    event.startMs = nowMs();
    event.file = ScriptLocation::current().file;
    event.line = ScriptLocation::current().line;
    if (m_context.events) {
        event.id = m_context.events->nextId();
        m_context.events->post(event::ActionStarted { event });
    }
    const auto finish = [&](ActionEvent::Result result, const QString &message) {
        event.durationMs = nowMs() - event.startMs;
        event.result = result;
        event.message = message;
        if (m_context.events)
            m_context.events->post(event::ActionFinished { event });
    };
    actionArtifact().clear();
    actionOutput() = QJsonValue();
    try {
        body();
        event.artifact = actionArtifact();
        event.setOutput(actionOutput());
    } catch (const MachineError &e) {
        event.artifact = actionArtifact(); // a failure's evidence: the diff of a needle...
        // A dead switch or filter explains most network failures after it: every failure of
        // this machine names it, not only the first log line.
        QString message = QString::fromStdString(e.what());
        const QStringList dead
            = m_context.network ? m_context.network->deadProcessesOf(m_spec.name) : QStringList();
        if (!dead.isEmpty() && e.kind() != MachineError::Kind::Cancelled)
            message += QStringLiteral("\n(the network of machine %1 is broken: %2)")
                           .arg(m_spec.name, dead.join(QStringLiteral("; ")));
        finish(e.kind() == MachineError::Kind::Timeout ? ActionEvent::Result::Timeout
                                                       : ActionEvent::Result::Failed,
            message);
        if (dead.isEmpty() || e.kind() == MachineError::Kind::Cancelled)
            throw;
        throw MachineError(e.kind(), message);
    }
    finish(ActionEvent::Result::Ok, {});
}

// What the process reports reaches the machine's state. Direct connections: they run on the
// I/O thread and only touch locked state.
void Machine::connectProcess(MachineBackend *process)
{
    process->moveToThread(m_context.ioThread);
    m_process = process;
    QObject::connect(
        process, &MachineBackend::serialData, process,
        [this](const QByteArray &bytes) {
            if (m_context.events)
                emit m_context.events->serialBytes(m_spec.name, bytes);
            onSerial(bytes);
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::shellData, process,
        [this](const QByteArray &bytes) {
            if (m_context.events)
                emit m_context.events->shellBytes(m_spec.name, bytes);
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::started, process,
        [this, process] {
            std::lock_guard lock(m_mutex);
            m_qemuPid = process->pid();
            ++m_qemuStarts;
            m_changed.notify_all();
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::backdoorReady, process,
        [this] {
            std::lock_guard lock(m_mutex);
            if (m_rebooting) // the agent of the boot that is ending, restarted by systemd
                return;
            m_readySeconds = double(nowMs() - m_startMs) / 1000.0;
            setState(
                State::Ready, QStringLiteral("backdoor after %1 s").arg(m_readySeconds, 0, 'f', 2));
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::commandOutput, process,
        [this](quint32 id, bool isStderr, const QByteArray &bytes) {
            std::lock_guard lock(m_mutex);
            auto it = m_commands.find(id);
            if (it != m_commands.end())
                (isStderr ? it->err : it->out) += bytes;
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::commandExited, process,
        [this](quint32 id, int status, qint64 sentOut, qint64 sentErr) {
            std::lock_guard lock(m_mutex);
            auto it = m_commands.find(id);
            if (it != m_commands.end()) {
                it->status = status;
                it->sentOut = sentOut;
                it->sentErr = sentErr;
                it->done = true;
                m_changed.notify_all();
            }
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::backdoorCorrupted, process,
        [this](const QString &what) {
            // Whatever runs now cannot be trusted: it fails, with what came instead of frames.
            std::lock_guard lock(m_mutex);
            for (Pending &pending : m_commands) {
                if (pending.corrupted.isEmpty())
                    pending.corrupted = what;
                pending.done = true;
            }
            m_changed.notify_all();
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::qmpEvent, process,
        [this](const QString &name, const QJsonObject &data, qint64 timestampUs) {
            std::lock_guard lock(m_mutex);
            const qint64 us = nowMs() * 1000;
            m_qmpEvents.append(
                { { QStringLiteral("event"), name }, { QStringLiteral("data"), data },
                    { QStringLiteral("timestamp"),
                        QJsonObject { { QStringLiteral("seconds"), us / 1000000 },
                            { QStringLiteral("microseconds"), us % 1000000 } } } });
            m_changed.notify_all();
            if (m_restoring
                && (name == QLatin1String("VSERPORT_CHANGE") || name == QLatin1String("RESET")))
                return;
            // loadvm closes the port of the guest it replaces; QEMU may hold that event back
            // for up to a second and send it after the restore, when it is no news of the
            // restored guest's agent.
            if (name == QLatin1String("VSERPORT_CHANGE")
                && std::any_of(m_restoreWindows.cbegin(), m_restoreWindows.cend(),
                    [timestampUs](const std::pair<qint64, qint64> &window) {
                        return timestampUs >= window.first && timestampUs <= window.second;
                    }))
                return;
            if (name == QLatin1String("VSERPORT_CHANGE")
                && data.value(QStringLiteral("id")).toString() == QLatin1String("backdoor-port")
                && !data.value(QStringLiteral("open")).toBool()) {
                // Nobody will answer the commands in flight: they fail now, not at their
                // timeout; the machine is not ready until an agent says so again.
                for (Pending &pending : m_commands) {
                    pending.done = true;
                    pending.agentGone = true;
                }
                if (m_state == State::Ready && !m_expectExit) // not on the way to power-off
                    setState(State::Booting, QStringLiteral("the backdoor agent closed its port"));
                return;
            }
            if (name == QLatin1String("BLOCK_IO_ERROR")) {
                // QEMU stops the guest on such an error (werror=enospc): say why and end it,
                // rather than let every command wait for its timeout.
                const QString reason = data.value(QStringLiteral("nospace")).toBool()
                    ? QStringLiteral("the host has no space left for the machine's disk images "
                                     "in %1 (QEMU stopped the guest on a write to %2); free "
                                     "space there, or set VIVARIUM_RUN_DIR")
                          .arg(m_paths.root, data.value(QStringLiteral("device")).toString())
                    : QStringLiteral("QEMU stopped the guest on a disk error (%1 of %2: %3)")
                          .arg(data.value(QStringLiteral("operation")).toString(),
                              data.value(QStringLiteral("device")).toString(),
                              data.value(QStringLiteral("reason")).toString());
                QMetaObject::invokeMethod(
                    m_process, [p = m_process, reason] { p->fail(reason); }, Qt::QueuedConnection);
                return;
            }
            if (name != QLatin1String("RESET"))
                return;
            for (Pending &pending : m_commands) {
                pending.done = true;
                pending.reset = true;
            }
            ++m_generation;
            m_rebooting = false;
            m_startMs = nowMs();
            m_readySeconds = 0;
            setState(State::Booting, QStringLiteral("reset"));
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::failed, process,
        [this](const QString &reason) {
            std::lock_guard lock(m_mutex);
            if (m_error.isEmpty())
                m_error = reason;
            m_changed.notify_all();
        },
        Qt::DirectConnection);
    QObject::connect(
        process, &MachineBackend::exited, process,
        [this](int code, bool crashed, const QString &tail) { onExited(code, crashed, tail); },
        Qt::DirectConnection);
}

void Machine::start()
{
    action(QStringLiteral("start"), {}, [&] {
        {
            std::lock_guard lock(m_mutex);
            if (m_qemuRunning)
                return;
        }
        launch({});
    });
}

void Machine::launch(const QString &snapshot)
{
    if (m_context.network) {
        m_context.network->start();
        // A new QEMU's links are up, whatever block() did to the last one.
        m_context.network->setBlocked(m_spec.name, false);
    }
    // The test as it is now: a machine added since the last start is in its /etc/hosts.
    const std::shared_ptr<const TestSpec> test = m_context.spec->snapshot();
    QString rootImageFormat = QStringLiteral("raw");
    const QString rootImage
        = m_spec.root == RootKind::Image ? ensureRootImage(&rootImageFormat) : QString();
    QString stage2;
    QDir().mkpath(m_paths.root);
    QDir().mkpath(m_context.outDir);
    QString missing;
    const std::optional<GuestArtifacts> artifacts
        = GuestArtifacts::named(m_spec.kernelName, m_context.artifacts, &missing);
    if (!artifacts)
        throw MachineError(
            MachineError::Kind::Usage, QStringLiteral("machine %1: %2").arg(m_spec.name, missing));
    const QString error = prepareHostShare(*test, m_spec, *artifacts, m_paths, &stage2, rootImage);
    if (!error.isEmpty())
        throw MachineError(
            MachineError::Kind::Failed, QStringLiteral("machine %1: %2").arg(m_spec.name, error));
    if (m_spec.kind == MachineKind::Container) {
        if (!m_process)
            connectProcess(containerBackend(*test, stage2));
    } else {
        makeQemuProcess(*test, *artifacts, stage2, rootImage, rootImageFormat);
    }
    {
        std::lock_guard lock(m_mutex);
        m_qemuRunning = true;
        m_expectExit = false;
        m_rebooting = false;
        m_paused = false;
        m_exitReason.clear();
        m_error.clear();
        ++m_generation;
        m_rebooting = false;
        m_fatalScan = m_console.size(); // what an earlier boot said is not this one's
        m_startMs = nowMs();
        m_readySeconds = 0;
        setState(State::Booting,
            m_spec.kind == MachineKind::Container
                ? QStringLiteral("container")
                : QStringLiteral("QEMU (%1)").arg(m_context.accel));
    }
    if (m_context.network)
        m_context.network->setMachineRunning(m_spec.name, true);
    MachineBackend *process = m_process;
    invoke([process, snapshot] { process->start(snapshot); });
    startVideo();
}

void Machine::makeQemuProcess(const TestSpec &test, const GuestArtifacts &artifacts,
    const QString &stage2, const QString &rootImage, const QString &rootImageFormat)
{
    const QString qemu = qemuBinary();
    if (qemu.isEmpty())
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral(
                "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"));

    MachineLaunchInput input { m_spec, artifacts, m_paths, m_context.accel, stage2, hostTscKhz(),
        {}, rootImage, rootImageFormat };
    if (m_context.network)
        input.nics = machineNics(test, m_spec.name);
    RemoteHost *host = m_spec.onOtherHost() ? remoteHost() : nullptr;
    if (host) { // its paths there; its TSC rate is the far host's, which the guest measures
        input.paths = remotePaths(*host);
        input.hostTscKhz = 0;
    }
    if (m_spec.qemuMachine == QemuMachineChoice::Microvm) {
        const QString obstacle = microvmObstacle(input);
        if (!obstacle.isEmpty())
            throw MachineError(MachineError::Kind::Usage,
                QStringLiteral("machine %1 has qemu_machine = \"microvm\", but %2")
                    .arg(m_spec.name, obstacle));
    }
    const QemuLaunch launch = machineLaunch(input);
    if (host) {
        sendFilesTo(*host, input.paths, rootImage);
        if (!m_process)
            connectProcess(remoteQemuProcess(*host, launch, input.paths));
        return;
    }
    QList<NicPort> ports;
    for (const QemuNic &nic : launch.nics)
        ports.append({ m_context.network->nicSwitchDir(m_spec.name, nic.vlan),
            m_context.network->nicPortSocket(m_spec.name, nic.vlan), nic.fd, nic.vlan, {}, {} });

    // The process is made once: later starts of the machine launch the same command.
    if (!m_process) {
        auto *process = new MachineProcess(m_spec.name, qemu, qemuArguments(launch),
            m_paths.qmpSocket, m_paths.serialSocket, m_paths.backdoorSocket, m_paths.shellSocket,
            m_context.outDir);
        process->setNicPorts(ports);
        // The host share without the host's secrets; QEMU still reaches its own files. 9p
        // has no quota: the shared directory is measured instead. (An image root holds no
        // secrets and shares nothing.)
        if (rootImage.isEmpty()) {
            process->setSharedLimit(m_paths.guestDir, qint64(m_spec.sharedLimitMiB) * 1024 * 1024);
            const QString empty = m_paths.root + QStringLiteral("/empty");
            QFile(empty).open(QIODevice::WriteOnly);
            process->setHostView(std::make_shared<HostView>(
                QStringList { QFileInfo(launch.kernel).absolutePath(),
                    QFileInfo(launch.initrd).absolutePath(), m_paths.root },
                empty));
        }
        connectProcess(process);
    }
}

QString Machine::ensureRootImage(QString *format)
{
    if (!m_spec.image.isEmpty()) { // the user's own: checked at load (again now), never written
        QString why;
        *format = imageFileFormat(m_spec.image, &why);
        if (format->isEmpty())
            throw MachineError(MachineError::Kind::Failed,
                QStringLiteral("machine %1 (image): %2").arg(m_spec.name, why));
        return m_spec.image;
    }
    QString error;
    const auto progress = [this](const QString &progress) {
        std::lock_guard lock(m_mutex);
        if (m_context.events)
            m_context.events->post(
                event::MachineState { m_spec.name, machineStateName(m_state), progress });
    };
    const QString path = m_spec.base.isEmpty()
        ? RootImage::ensure(progress, &error)
        : BaseImage::ensure(m_spec.base, m_spec.packages, progress, &error);
    if (path.isEmpty())
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1 (%2): %3")
                .arg(m_spec.name,
                    m_spec.base.isEmpty() ? QStringLiteral("root = \"image\"")
                                          : QStringLiteral("base = \"%1\"").arg(m_spec.base),
                    error));
    return path;
}

void Machine::trimConsole()
{
    // Called with m_mutex held. The serial log file keeps every byte; memory keeps the last
    // consoleKeptBytes (a 100 MB flood grew the driver to 1.7 GB). Trimmed to half the limit at
    // a time, so the copy is rare.
    if (m_console.size() <= consoleKeptBytes)
        return;
    const qsizetype drop = m_console.size() - consoleKeptBytes / 2;
    m_console.remove(0, drop);
    m_consoleDropped += drop;
    m_lineStart = qMax<qsizetype>(0, m_lineStart - drop);
    m_consoleCursor = qMax<qsizetype>(0, m_consoleCursor - drop);
    m_fatalScan = qMax<qsizetype>(0, m_fatalScan - drop);
}

void Machine::onSerial(const QByteArray &bytes)
{
    std::unique_lock lock(m_mutex);
    qsizetype from = m_console.size();
    m_console += bytes;
    const qsizetype before = m_console.size();
    trimConsole();
    from -= before - m_console.size();
    from = qMax<qsizetype>(0, from);
    m_changed.notify_all();
    QStringList lines;
    for (qsizetype end = m_console.indexOf('\n', from); end >= 0;
         end = m_console.indexOf('\n', m_lineStart)) {
        // A line of megabytes is cut for the reports (the serial log has it whole).
        const qsizetype length = end - m_lineStart;
        QString line = QString::fromUtf8(m_console.mid(m_lineStart, qMin(length, consoleLineChars)))
                           .remove(QLatin1Char('\r'));
        if (length > consoleLineChars)
            line += QStringLiteral(" … (%1 bytes in all)").arg(length);
        lines << line;
        m_lineStart = end + 1;
    }
    // The reports and the event log hold a bounded share of each machine's console; past it
    // the serial log file is the record, and the log says so once.
    bool overBudget = false;
    if (m_consoleEventBytes < consoleEventBudget) {
        for (const QString &line : std::as_const(lines))
            m_consoleEventBytes += line.size() + 1;
        overBudget = m_consoleEventBytes >= consoleEventBudget;
    } else {
        lines.clear();
    }
    if (m_context.events && (!lines.isEmpty() || overBudget)) {
        // Serial data comes only from the I/O thread, so the lines keep their order.
        lock.unlock();
        for (const QString &line : std::as_const(lines))
            m_context.events->post(event::ConsoleLine { m_spec.name, line });
        if (overBudget)
            m_context.events->post(event::Log { QStringLiteral(
                "machine %1: its serial output past %2 MiB is in %1.serial.log only (not in "
                "the reports or the event log)")
                                                    .arg(m_spec.name)
                                                    .arg(consoleEventBudget / (1024 * 1024)) });
        lock.lock();
    }
    // A guest that cannot boot says so on the serial line: fail now, not at a timeout.
    // Only whole lines: the reason follows the marker on the same line.
    const qsizetype lastNewline = m_console.lastIndexOf('\n');
    if (!m_error.isEmpty() || lastNewline < from)
        return;
    for (const char *fatal :
        { "Kernel panic - not syncing", "vivarium-initramfs: FAILED", "vivarium-init: FAILED" }) {
        const qsizetype at = m_console.indexOf(fatal, m_fatalScan);
        if (at >= 0 && at < lastNewline) {
            const qsizetype end = m_console.indexOf('\n', at);
            m_error = QString::fromUtf8(m_console.mid(at, end - at)).trimmed();
            m_changed.notify_all();
            QMetaObject::invokeMethod(
                m_process, [p = m_process] { p->kill(); }, Qt::QueuedConnection);
            break;
        }
    }
    // Without ACPI (acpi=off boots faster) a powered-off guest halts instead of ending QEMU.
    for (const char *halted : { "reboot: System halted", "reboot: Power down" }) {
        const qsizetype at = m_console.indexOf(halted, m_fatalScan);
        if (m_error.isEmpty() && at >= 0 && at < lastNewline) {
            // Past it for good: the overlap kept below for markers split across reads found
            // this one again on the next boot and killed that QEMU too.
            m_fatalScan = at + qsizetype(strlen(halted));
            m_expectExit = true;
            QMetaObject::invokeMethod(
                m_process, [p = m_process] { p->kill(); }, Qt::QueuedConnection);
            break;
        }
    }
    m_fatalScan = qMax(m_fatalScan, lastNewline - 64);
}

void Machine::onExited(int code, bool crashed, const QString &stderrTail)
{
    std::lock_guard lock(m_mutex);
    m_qemuRunning = false;
    m_rebooting = false;
    m_paused = false;
    if (!m_expectExit && m_error.isEmpty()) {
        // QProcess gives the signal's number as the code of a process a signal ended.
        m_error = crashed ? QStringLiteral("%1 was killed by signal %2 (%3)")
                                .arg(hostProgram())
                                .arg(code)
                                .arg(signalName(code))
                          : QStringLiteral("%1 exited with status %2").arg(hostProgram()).arg(code);
        if (!stderrTail.isEmpty())
            m_error += QStringLiteral(": ") + shortened(stderrTail);
    }
    ++m_generation;
    setState(m_expectExit || m_error.isEmpty() ? State::Off : State::Failed,
        m_error.isEmpty() ? m_exitReason : m_error);
    if (m_context.network)
        m_context.network->setMachineRunning(m_spec.name, false);
}

QString Machine::hostProgram() const
{
    return m_spec.kind == MachineKind::Container ? QStringLiteral("the container")
                                                 : QStringLiteral("QEMU");
}

QString Machine::deathMessage() const
{
    // Called with m_mutex held.
    QString message = QStringLiteral("machine %1: %2")
                          .arg(m_spec.name,
                              m_error.isEmpty() ? QStringLiteral("QEMU is not running") : m_error);
    QList<QByteArray> lines = m_console.right(4096).trimmed().split('\n');
    if (lines.size() > 5)
        lines = lines.mid(lines.size() - 5);
    if (!lines.isEmpty() && !lines.first().isEmpty()) {
        message += QStringLiteral("\nlast serial lines:");
        for (const QByteArray &line : std::as_const(lines))
            message += QStringLiteral("\n  ") + withoutEscapes(QString::fromUtf8(line)).trimmed();
    }
    message += QStringLiteral("\nlogs: %1/%2.serial.log, %1/%2.%3.log")
                   .arg(m_context.outDir, m_spec.name,
                       m_spec.kind == MachineKind::Container ? QStringLiteral("container")
                                                             : QStringLiteral("qemu"));
    return message;
}

void Machine::waitUntil(std::unique_lock<std::mutex> &lock, const std::function<bool()> &ready,
    double timeout, const QString &what, Death death)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
    const quint64 generation = m_generation;
    for (;;) {
        if (ready())
            return;
        if (m_cancelled)
            throw MachineError(MachineError::Kind::Cancelled,
                QStringLiteral("machine %1: cancelled while waiting for %2")
                    .arg(m_spec.name, what));
        if (death == Death::Ends
            && (!m_error.isEmpty() || (generation != m_generation && !m_qemuRunning)))
            throw MachineError(MachineError::Kind::Dead,
                deathMessage() + QStringLiteral("\n(while waiting for %1)").arg(what));
        if (m_changed.wait_until(lock, deadline) == std::cv_status::timeout) {
            if (ready())
                return;
            throw MachineError(MachineError::Kind::Timeout,
                QStringLiteral("machine %1: timed out after %2 s waiting for %3")
                    .arg(m_spec.name)
                    .arg(timeout)
                    .arg(what));
        }
    }
}

void Machine::pollPause()
{
    std::unique_lock lock(m_mutex);
    if (m_changed.wait_for(lock, std::chrono::milliseconds(250), [&] { return m_cancelled; }))
        throw MachineError(MachineError::Kind::Cancelled,
            QStringLiteral("machine %1: cancelled").arg(m_spec.name));
}

void Machine::ensureReady(double timeout)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_state == State::Ready && m_qemuRunning)
            return;
    }
    waitForReady(timeout);
}

void Machine::waitForReady(double timeout)
{
    action(QStringLiteral("wait_for_ready"), {}, [&] {
        bool running;
        {
            std::lock_guard lock(m_mutex);
            running = m_qemuRunning;
        }
        if (!running)
            start();
        std::unique_lock lock(m_mutex);
        waitUntil(
            lock, [&] { return m_state == State::Ready; }, timeout,
            QStringLiteral("the guest to come up (its backdoor agent)"));
    });
}

CommandResult Machine::execute(const QString &command, double timeout)
{
    ensureReady();
    return actionResult<CommandResult>(QStringLiteral("execute"),
        { { QStringLiteral("command"), command }, { QStringLiteral("timeout"), timeout } },
        [&] { return runCommand(command, timeout); });
}

void Machine::resizeTerminal(const QString &device, int rows, int cols)
{
    if (device != QLatin1String("hvc0") && device != QLatin1String("ttyS0"))
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("no terminal %1 to resize (hvc0 or ttyS0)").arg(device));
    runCommand(
        QStringLiteral("stty -F /dev/%1 rows %2 cols %3").arg(device).arg(rows).arg(cols), 30);
}

CommandResult Machine::runCommand(const QString &command, double timeout)
{
    // The agent takes a command of one frame at most: a longer one would never be answered.
    const QByteArray bytes = command.toUtf8();
    if (bytes.size() > qsizetype(BackdoorFrame::maxPayload))
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: a command of %2 bytes is longer than the backdoor takes "
                           "(%3 MiB); copy large data with copy_from_host or through /tmp/shared")
                .arg(m_spec.name)
                .arg(bytes.size())
                .arg(BackdoorFrame::maxPayload / (1024 * 1024)));
    ensureReady();
    if (isPaused())
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1 is paused: it runs no command until resume()")
                .arg(m_spec.name));
    std::lock_guard serial(m_commandMutex);
    quint32 id;
    {
        std::lock_guard lock(m_mutex);
        id = m_nextCommand++;
        m_commands.insert(id, {});
    }
    MachineBackend *process = m_process;
    invoke([process, id, bytes] { process->sendCommand(id, bytes); });
    std::unique_lock lock(m_mutex);
    try {
        waitUntil(
            lock,
            [&] {
                const auto it = m_commands.constFind(id);
                return it != m_commands.cend() && it->done;
            },
            timeout, QStringLiteral("command `%1`").arg(shortened(command, 200)));
    } catch (const MachineError &e) {
        m_commands.remove(id);
        if (e.kind() != MachineError::Kind::Dead)
            invoke([process, id] { process->cancelCommand(id); });
        throw;
    }
    const Pending done = m_commands.take(id);
    if (done.agentGone)
        throw MachineError(MachineError::Kind::Dead,
            QStringLiteral("machine %1: the backdoor agent closed its port (it died or was "
                           "killed) while running `%2`")
                .arg(m_spec.name, shortened(command, 200)));
    if (done.reset)
        throw MachineError(MachineError::Kind::Dead,
            QStringLiteral("machine %1: the guest was reset while running `%2`")
                .arg(m_spec.name, command));
    if (!done.corrupted.isEmpty())
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: the backdoor channel carried %2 while running `%3`; its "
                           "output cannot be trusted")
                .arg(m_spec.name, done.corrupted, shortened(command, 200)));
    // The agent counts what it sent: output is returned byte for byte or the call fails.
    if (done.sentOut != done.out.size() || done.sentErr != done.err.size())
        throw MachineError(MachineError::Kind::Failed,
            formatText(u"machine %1: output of `%2` was lost on the way: the guest sent %3 "
                       "bytes of stdout and %4 of stderr, %5 and %6 arrived",
                m_spec.name, shortened(command, 200), done.sentOut, done.sentErr, done.out.size(),
                done.err.size()));
    return CommandResult { done.status, done.out, done.err };
}

QString Machine::succeed(const QString &command, double timeout)
{
    ensureReady();
    return actionResult<QString>(QStringLiteral("succeed"),
        { { QStringLiteral("command"), command } }, [&] { return succeedBody(command, timeout); });
}

QString Machine::succeedBody(const QString &command, double timeout)
{
    const CommandResult result = runCommand(command, timeout);
    if (result.status != 0) {
        throw MachineError(MachineError::Kind::Failed,
            formatText(u"machine %1: command `%2` failed (exit code %3)%4", m_spec.name, command,
                result.status, outputText(result)));
    }
    return QString::fromUtf8(result.stdoutBytes);
}

QString Machine::fail(const QString &command, double timeout)
{
    ensureReady();
    return actionResult<QString>(QStringLiteral("fail"), { { QStringLiteral("command"), command } },
        [&] { return failBody(command, timeout); });
}

QString Machine::failBody(const QString &command, double timeout)
{
    const CommandResult result = runCommand(command, timeout);
    if (result.status == 0) {
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: command `%2` unexpectedly succeeded%3")
                .arg(m_spec.name, command, outputText(result)));
    }
    return QString::fromUtf8(result.stdoutBytes);
}

QString Machine::retryCommand(const QString &command, bool wantSuccess, double timeout)
{
    QElapsedTimer clock;
    clock.start();
    CommandResult last;
    for (;;) {
        const double left = timeout - double(clock.elapsed()) / 1000.0;
        if (left <= 0)
            break;
        try {
            last = runCommand(command, left);
        } catch (const MachineError &e) {
            if (e.kind() != MachineError::Kind::Timeout)
                throw;
            break;
        }
        if ((last.status == 0) == wantSuccess)
            return QString::fromUtf8(last.stdoutBytes);
        pollPause();
    }
    throw MachineError(MachineError::Kind::Timeout,
        formatText(u"machine %1: timed out after %2 s waiting for `%3` to %4 (last exit code "
                   "%5, output: %6)",
            m_spec.name, timeout, command,
            wantSuccess ? QStringLiteral("succeed") : QStringLiteral("fail"), last.status,
            shortened(QString::fromUtf8(last.stdoutBytes + last.stderrBytes))));
}

QString Machine::waitUntilSucceeds(const QString &command, double timeout)
{
    return actionResult<QString>(QStringLiteral("wait_until_succeeds"),
        { { QStringLiteral("command"), command } },
        [&] { return retryCommand(command, true, timeout); });
}

QString Machine::waitUntilFails(const QString &command, double timeout)
{
    return actionResult<QString>(QStringLiteral("wait_until_fails"),
        { { QStringLiteral("command"), command } },
        [&] { return retryCommand(command, false, timeout); });
}

void Machine::cancel()
{
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
    m_changed.notify_all();
}

void Machine::clearCancel()
{
    std::lock_guard lock(m_mutex);
    m_cancelled = false;
}

} // namespace vivarium
