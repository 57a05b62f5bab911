// The Machine methods built on the backdoor, the serial console and QMP.
#include "core/machine/machine.h"
#include "core/machine/machineprocess.h"
#include "core/qemu/keymap.h"
#include "core/util/textformat.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QThread>
#include <future>

namespace vivarium {

void Machine::waitForFile(const QString &path, double timeout)
{
    action(QStringLiteral("wait_for_file"), { { QStringLiteral("path"), path } },
        [&] { retryCommand(QStringLiteral("test -e ") + shellQuote(path), true, timeout); });
}

void Machine::waitForOpenPort(int port, const QString &address, double timeout)
{
    action(QStringLiteral("wait_for_open_port"),
        { { QStringLiteral("port"), port }, { QStringLiteral("address"), address } }, [&] {
            retryCommand(formatText(u"nc -z %1 %2", shellQuote(address), port), true, timeout);
        });
}

void Machine::waitForClosedPort(int port, const QString &address, double timeout)
{
    action(QStringLiteral("wait_for_closed_port"),
        { { QStringLiteral("port"), port }, { QStringLiteral("address"), address } }, [&] {
            retryCommand(formatText(u"nc -z %1 %2", shellQuote(address), port), false, timeout);
        });
}

void Machine::waitForOpenUnixSocket(const QString &path, bool datagram, double timeout)
{
    action(QStringLiteral("wait_for_open_unix_socket"), { { QStringLiteral("path"), path } }, [&] {
        retryCommand(QStringLiteral("nc -z %1-U %2")
                         .arg(datagram ? QStringLiteral("-u ") : QString(), shellQuote(path)),
            true, timeout);
    });
}

void Machine::requireSystemd(const QString &what) const
{
    if (m_spec.init != InitKind::Systemd)
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: %2 needs systemd, but the machine's init is \"minimal\" "
                           "(set init = \"systemd\")")
                .arg(m_spec.name, what));
}

CommandResult Machine::systemctl(const QString &arguments)
{
    requireSystemd(QStringLiteral("systemctl"));
    ensureReady();
    return actionResult<CommandResult>(QStringLiteral("systemctl"),
        { { QStringLiteral("arguments"), arguments } },
        [&] { return runCommand(QStringLiteral("systemctl ") + arguments, defaultTimeout); });
}

QMap<QString, QString> Machine::getUnitInfo(const QString &unit)
{
    requireSystemd(QStringLiteral("get_unit_info"));
    ensureReady();
    return actionResult<QMap<QString, QString>>(QStringLiteral("get_unit_info"),
        { { QStringLiteral("unit"), unit } }, [&] { return unitInfo(unit); });
}

QMap<QString, QString> Machine::unitInfo(const QString &unit)
{
    const CommandResult result = runCommand(
        QStringLiteral("systemctl --no-pager show ") + shellQuote(unit), defaultTimeout);
    if (result.status != 0)
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: cannot get information about unit %2: %3")
                .arg(m_spec.name, unit, QString::fromUtf8(result.stderrBytes).trimmed()));
    QMap<QString, QString> info;
    const QList<QByteArray> lines = result.stdoutBytes.split('\n');
    for (const QByteArray &line : lines) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 0)
            info.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    return info;
}

QString Machine::getUnitProperty(const QString &unit, const QString &property)
{
    const QMap<QString, QString> info = unitInfo(unit);
    if (!info.contains(property))
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: unit %2 has no property %3")
                .arg(m_spec.name, unit, property));
    return info.value(property);
}

void Machine::requireUnitState(const QString &unit, const QString &state)
{
    action(QStringLiteral("require_unit_state"),
        { { QStringLiteral("unit"), unit }, { QStringLiteral("state"), state } }, [&] {
            const QString active = unitInfo(unit).value(QStringLiteral("ActiveState"));
            if (active != state)
                throw MachineError(MachineError::Kind::Failed,
                    QStringLiteral(
                        "machine %1: expected unit %2 to be in state '%3' but it is in state '%4'")
                        .arg(m_spec.name, unit, state, active));
        });
}

void Machine::waitForUnit(const QString &unit, double timeout)
{
    requireSystemd(QStringLiteral("wait_for_unit"));
    action(QStringLiteral("wait_for_unit"), { { QStringLiteral("unit"), unit } }, [&] {
        const auto deadline
            = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
        for (;;) {
            const QMap<QString, QString> info = unitInfo(unit);
            const QString state = info.value(QStringLiteral("ActiveState"));
            if (state == QLatin1String("active"))
                return;
            if (state == QLatin1String("failed"))
                throw MachineError(MachineError::Kind::Failed,
                    QStringLiteral("machine %1: unit \"%2\" reached state \"failed\"")
                        .arg(m_spec.name, unit));
            if (state == QLatin1String("inactive")) {
                const CommandResult jobs
                    = runCommand(QStringLiteral("systemctl list-jobs --full 2>&1"), defaultTimeout);
                // As NixOS does, the state is read once more: a job may have started and
                // ended between the two questions (seen under TCG).
                if (jobs.stdoutBytes.contains("No jobs")
                    && unitInfo(unit).value(QStringLiteral("ActiveState")) == state)
                    throw MachineError(MachineError::Kind::Failed,
                        QStringLiteral(
                            "machine %1: unit \"%2\" is inactive and there are no pending jobs")
                            .arg(m_spec.name, unit));
            }
            if (std::chrono::steady_clock::now() >= deadline)
                throw MachineError(MachineError::Kind::Timeout,
                    formatText(u"machine %1: timed out after %2 s waiting for unit %3 (state %4)",
                        m_spec.name, timeout, unit, state));
            pollPause();
        }
    });
}

QString Machine::waitForConsoleText(const QString &regex, double timeout)
{
    const QRegularExpression pattern(regex);
    if (!pattern.isValid())
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("invalid regular expression \"%1\": %2")
                .arg(regex, pattern.errorString()));
    return actionResult<QString>(
        QStringLiteral("wait_for_console_text"), { { QStringLiteral("regex"), regex } }, [&] {
            std::unique_lock lock(m_mutex);
            QString matched;
            // Matches line by line (the last, unfinished line too: prompts have no newline) from
            // where the previous match ended, as NixOS consumes console lines. The lines are
            // copied out and matched without the lock (the I/O thread takes it for every
            // serial read); a line is matched on its last matchedLineBytes, so a line of
            // megabytes without a newline costs the same at every wake-up.
            constexpr qsizetype matchedLineBytes = 64 * 1024;
            const auto matchOnce = [&] {
                const qint64 base = m_consoleDropped;
                const qsizetype cursor = m_consoleCursor;
                const qsizetype lineStart = qMax(m_lineStart, cursor);
                const QByteArray complete = m_console.mid(cursor, lineStart - cursor);
                const qsizetype tailFrom = qMax(lineStart, m_console.size() - matchedLineBytes);
                const QByteArray unfinished = m_console.mid(tailFrom);
                lock.unlock();
                qint64 matchEnd = -1; // absolute: the console may be trimmed meanwhile
                for (qsizetype at = 0; at < complete.size() && matchEnd < 0;) {
                    const qsizetype end = complete.indexOf('\n', at) + 1;
                    const qsizetype from = qMax(at, end - matchedLineBytes);
                    const QString line = QString::fromUtf8(complete.mid(from, end - from));
                    if (pattern.match(line).hasMatch()) {
                        matched = line.trimmed();
                        matchEnd = base + cursor + end;
                    }
                    at = end;
                }
                if (matchEnd < 0 && !unfinished.isEmpty()) {
                    const QString line = QString::fromUtf8(unfinished);
                    if (pattern.match(line).hasMatch()) {
                        matched = line.trimmed();
                        matchEnd = base + tailFrom + unfinished.size();
                    }
                }
                lock.lock();
                const qint64 next = matchEnd >= 0 ? matchEnd : base + lineStart;
                m_consoleCursor
                    = qBound<qsizetype>(0, qsizetype(next - m_consoleDropped), m_console.size());
                return matchEnd >= 0;
            };
            // Bytes that arrived while the lock was let go for matching woke no one (the
            // waiter was not waiting yet): they are matched before the wait goes on, or the
            // marker after a flood is found only at the timeout.
            const auto found = [&] {
                for (;;) {
                    if (m_consoleCursor >= m_console.size())
                        return false;
                    const qint64 received = m_consoleDropped + m_console.size();
                    if (matchOnce())
                        return true;
                    if (m_consoleDropped + m_console.size() == received)
                        return false;
                }
            };
            // Serial text stays readable after QEMU exits: only a timeout or cancel ends this wait.
            waitUntil(lock, found, timeout,
                QStringLiteral("console text matching \"%1\"").arg(regex), Death::Ignored);
            return matched;
        });
}

QString Machine::getConsoleLog() const
{
    std::lock_guard lock(m_mutex);
    return QString::fromUtf8(m_console);
}

void Machine::sendConsole(const QString &text)
{
    action(QStringLiteral("send_console"), { { QStringLiteral("text"), text } }, [&] {
        const QByteArray bytes = text.toUtf8();
        MachineBackend *process = m_process;
        invoke([process, bytes] { process->writeSerial(bytes); });
    });
}

void Machine::writeSerial(const QByteArray &bytes)
{
    MachineBackend *process = m_process;
    invoke([process, bytes] { process->writeSerial(bytes); });
}

void Machine::writeShell(const QByteArray &bytes)
{
    MachineBackend *process = m_process;
    invoke([process, bytes] { process->writeShell(bytes); });
}

QJsonObject Machine::qmp(const QString &command, const QJsonObject &arguments, double timeout)
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_qemuRunning || !m_process)
            throw MachineError(MachineError::Kind::Dead, deathMessage());
    }
    auto promise = std::make_shared<std::promise<QmpMessage>>();
    std::future<QmpMessage> future = promise->get_future();
    MachineBackend *process = m_process;
    invoke([process, command, arguments, promise] {
        process->qmp(
            command, arguments, [promise](const QmpMessage &reply) { promise->set_value(reply); });
    });
    const QString who = hostProgram();
    if (future.wait_for(std::chrono::duration<double>(timeout)) != std::future_status::ready)
        throw MachineError(MachineError::Kind::Timeout,
            formatText(u"machine %1: %2 did not answer %3 within %4 s", m_spec.name, who, command,
                timeout));
    const QmpMessage reply = future.get();
    if (reply.kind == QmpMessage::Kind::Error)
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: %2 refused %3: %4")
                .arg(m_spec.name, who, command, reply.errorDesc));
    return reply.result.isObject() ? reply.result.toObject()
                                   : QJsonObject { { QStringLiteral("return"), reply.result } };
}

qsizetype Machine::qmpEventCount() const
{
    std::lock_guard lock(m_mutex);
    return m_qmpEvents.size();
}

QJsonObject Machine::nextQmpEvent(qsizetype *next, double timeout)
{
    std::unique_lock lock(m_mutex);
    waitUntil(
        lock, [&] { return m_qmpEvents.size() > *next; }, timeout, QStringLiteral("a QMP event"),
        Death::Ignored);
    return m_qmpEvents.at((*next)++);
}

QString Machine::sendMonitorCommand(const QString &command)
{
    return actionResult<QString>(
        QStringLiteral("send_monitor_command"), { { QStringLiteral("command"), command } }, [&] {
            const QJsonObject reply = qmp(QStringLiteral("human-monitor-command"),
                { { QStringLiteral("command-line"), command } });
            return reply.value(QStringLiteral("return")).toString();
        });
}

void Machine::sendKey(const QString &key)
{
    action(QStringLiteral("send_key"), { { QStringLiteral("key"), key } }, [&] { pressKey(key); });
}

void Machine::pressKey(const QString &key)
{
    QString error;
    const auto codes = keymap::qcodesForCombo(key, &error);
    if (!codes)
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: send_key: %2").arg(m_spec.name, error));
    QJsonArray keys;
    for (const QString &code : *codes)
        keys.append(QJsonObject { { QStringLiteral("type"), QStringLiteral("qcode") },
            { QStringLiteral("data"), code } });
    qmp(QStringLiteral("send-key"), { { QStringLiteral("keys"), keys } });
}

void Machine::sendChars(const QString &text, double delaySeconds)
{
    action(QStringLiteral("send_chars"), { { QStringLiteral("text"), text } }, [&] {
        for (const QChar c : text) {
            const QString combo = keymap::comboForChar(c);
            if (combo.isEmpty())
                throw MachineError(MachineError::Kind::Usage,
                    formatText(u"machine %1: send_chars: no key types '%2' (U+%3)", m_spec.name,
                        QString(c),
                        QStringLiteral("%1").arg(c.unicode(), 4, 16, QLatin1Char('0'))));
            pressKey(combo);
            QThread::usleep(static_cast<unsigned long>(delaySeconds * 1e6));
        }
    });
}

void Machine::forwardPort(int hostPort, int guestPort)
{
    action(QStringLiteral("forward_port"),
        { { QStringLiteral("host_port"), hostPort }, { QStringLiteral("guest_port"), guestPort } },
        [&] {
            // Bound to the loopback address only: nothing else on the host's network sees it.
            const QString reply = sendMonitorCommand(
                QStringLiteral("hostfwd_add tcp:127.0.0.1:%1-:%2").arg(hostPort).arg(guestPort));
            if (!reply.trimmed().isEmpty())
                throw MachineError(MachineError::Kind::Failed,
                    QStringLiteral("machine %1: cannot forward port %2: %3")
                        .arg(m_spec.name)
                        .arg(hostPort)
                        .arg(reply.trimmed()));
        });
}

void Machine::waitForShutdown(double timeout)
{
    action(QStringLiteral("wait_for_shutdown"), {}, [&] {
        std::unique_lock lock(m_mutex);
        waitUntil(
            lock, [&] { return !m_qemuRunning; }, timeout,
            QStringLiteral("the machine to power off"), Death::Ignored);
    });
}

void Machine::shutdown(double timeout)
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_qemuRunning)
            return;
    }
    action(QStringLiteral("shutdown"), {}, [&] {
        {
            std::lock_guard lock(m_mutex);
            m_expectExit = true;
            m_exitReason = QStringLiteral("shut down");
        }
        // The command only starts the power-off (sync included: it can take long on a busy
        // host), so its answer comes at once; the wait for QEMU to end is what takes time.
        const double answer = qMin(timeout, 30.0);
        if (m_spec.init == InitKind::Systemd)
            runCommand(QStringLiteral("systemctl --no-block poweroff"), answer);
        else if (m_spec.kind == MachineKind::Container) // reboot(2) ends its init
            runCommand(QStringLiteral("(sync; /vivarium/config/vivarium-agent --poweroff) "
                                      ">/dev/null 2>&1 < /dev/null &"),
                answer);
        else
            runCommand(QStringLiteral("(sync; sleep 0.1; echo o > /proc/sysrq-trigger) "
                                      ">/dev/null 2>&1 < /dev/null &"),
                answer);
        waitForShutdown(timeout);
    });
}

void Machine::stop()
{
    powerOff(QStringLiteral("stop"), QStringLiteral("stopped"));
}

void Machine::crash(const QString &reason)
{
    powerOff(QStringLiteral("crash"), reason);
}

void Machine::powerOff(const QString &actionName, const QString &reason)
{
    action(actionName, {}, [&] {
        {
            std::lock_guard lock(m_mutex);
            if (!m_qemuRunning)
                return;
            m_expectExit = true;
            m_exitReason = reason;
        }
        try {
            qmp(QStringLiteral("quit"), {}, 10);
        } catch (const MachineError &) {
            // QEMU may close the socket before it answers.
        }
        MachineBackend *process = m_process;
        invoke([process] { process->kill(); });
        waitForShutdown(30);
    });
}

void Machine::reboot()
{
    action(QStringLiteral("reboot"), {}, [&] {
        ensureReady();
        // As NixOS does: Ctrl+Alt+Delete, a clean reboot by the guest (its writes synced, its
        // services stopped). Until QEMU says RESET the machine counts as booting, so the next
        // command waits for the new boot's backdoor, not the old one's. crash() then start()
        // is the hard reset.
        {
            std::lock_guard lock(m_mutex);
            m_rebooting = true;
            setState(State::Booting, QStringLiteral("rebooting (ctrl-alt-delete)"));
        }
        pressKey(QStringLiteral("ctrl-alt-delete"));
    });
}

void Machine::pause()
{
    action(QStringLiteral("pause"), {}, [&] {
        qmp(QStringLiteral("stop"));
        std::lock_guard lock(m_mutex);
        m_paused = true;
    });
}

void Machine::resume()
{
    action(QStringLiteral("resume"), {}, [&] {
        qmp(QStringLiteral("cont"));
        std::lock_guard lock(m_mutex);
        m_paused = false;
    });
}

bool Machine::isPaused() const
{
    std::lock_guard lock(m_mutex);
    return m_paused;
}

} // namespace vivarium
