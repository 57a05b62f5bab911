// Machine snapshots: QEMU's internal snapshots (savevm/loadvm) of a machine whose root is an
// image, stored in its qcow2 disk with the guest's memory and devices. The host side of the
// machine (its state, the links' settings and block state) is kept beside each one, so a
// restored machine answers at once: the backdoor agent was idle when the snapshot was taken (a
// snapshot waits for no command: it refuses to be taken or restored while one runs), and the
// reset QEMU does before loading is not taken for a reboot.
#include "core/machine/machine.h"
#include "core/machine/machineprocess.h"
#include "core/network/network.h"
#include "core/util/textformat.h"

#include <QDateTime>
#include <QFileInfo>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QStorageInfo>

namespace vivarium {

namespace {

LinkUpdate wholeUpdate(const LinkSettings &settings)
{
    LinkUpdate update;
    for (const LinkField &field : linkFields())
        update.*field.update = field.get(settings);
    return update;
}

} // namespace

QString Machine::monitor(const QString &commandLine)
{
    // Saving and loading a guest's memory take seconds on a slow disk: not QMP's usual minute.
    return qmp(QStringLiteral("human-monitor-command"),
        QJsonObject { { QStringLiteral("command-line"), commandLine } }, 600)
        .value(QStringLiteral("return"))
        .toString()
        .trimmed();
}

void Machine::snapshotCommand(const QString &verb, const QString &name, const QString &done)
{
    // HMP answers nothing when the command worked, and QEMU's reason when it did not (lines
    // ending in CR LF).
    QString reply = monitor(verb + QLatin1Char(' ') + name);
    if (reply.isEmpty())
        return;
    reply
        = reply.remove(QLatin1Char('\r')).split(QLatin1Char('\n'), Qt::SkipEmptyParts).join(u"; ");
    QString why;
    // QEMU says "failed to save SaveStateEntry ... -5" when the disk is full: say what is meant.
    const QStorageInfo storage(QFileInfo(m_paths.disk).absolutePath());
    const qint64 freeMiB = storage.isValid() ? storage.bytesAvailable() / (1024 * 1024) : -1;
    if (verb == QLatin1String("savevm") && freeMiB >= 0 && freeMiB < m_spec.memoryMiB)
        why = formatText(u" (the machine's disk %1 is on a file system with %2 MiB free; a "
                         u"snapshot stores the guest's memory, up to %3 MiB, in that disk)",
            m_paths.disk, freeMiB, m_spec.memoryMiB);
    throw MachineError(MachineError::Kind::Failed,
        formatText(u"machine %1: snapshot %2 was not %3: %4%5", m_spec.name, name, done,
            printableText(reply), why));
}

void Machine::checkSnapshotName(const QString &name) const
{
    // QEMU takes an all-digit name for a snapshot id: a name must start with a letter.
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z][A-Za-z0-9_.-]{0,63}$"));
    if (!pattern.match(name).hasMatch())
        throw MachineError(MachineError::Kind::Usage,
            formatText(u"machine %1: %2 is not a snapshot name (a letter, then up to 63 letters, "
                       u"digits, '_', '.' or '-')",
                m_spec.name, printableText(name)));
}

QString Machine::snapshotObstacle() const
{
    if (m_spec.kind == MachineKind::Container)
        return QStringLiteral("it is a container (kind = \"container\"), which has no "
                              "snapshots; make it a VM with root = \"image\" (docs/guests.md, "
                              "\"Containers\")");
    if (m_spec.root != RootKind::Image)
        return QStringLiteral("its root is the host's over 9p (root = \"share\"), which QEMU "
                              "cannot snapshot; set root = \"image\" (docs/guests.md, \"Roots\")");
    return {};
}

std::unique_lock<std::mutex> Machine::snapshotLock(const QString &what, const QString &name)
{
    if (const QString obstacle = snapshotObstacle(); !obstacle.isEmpty())
        throw MachineError(MachineError::Kind::Usage,
            formatText(u"machine %1 cannot %2 snapshot %3: %4", m_spec.name, what, name, obstacle));
    std::unique_lock command(m_commandMutex, std::try_to_lock);
    if (!command.owns_lock())
        throw MachineError(MachineError::Kind::Usage,
            formatText(u"machine %1 cannot %2 snapshot %3 while a command runs on it (from "
                       u"another thread of the script)",
                m_spec.name, what, name));
    std::lock_guard lock(m_mutex);
    if (!m_qemuRunning)
        throw MachineError(MachineError::Kind::Usage,
            formatText(u"machine %1 cannot %2 snapshot %3: it is not running (start() it first)",
                m_spec.name, what, name));
    return command;
}

void Machine::saveSnapshot(const QString &name)
{
    checkSnapshotName(name);
    const std::unique_lock command = snapshotLock(QStringLiteral("take"), name);
    SnapshotRecord record;
    {
        std::lock_guard lock(m_mutex);
        record.state = m_state;
        record.readySeconds = m_readySeconds;
    }
    if (m_context.network) {
        for (int vlan : m_spec.vlans) {
            const LinkState link = m_context.network->link(m_spec.name, vlan);
            record.links.insert(vlan, link.settings);
            record.blocked = link.blocked;
        }
    }
    // savevm replaces a snapshot of the same name; it stops the guest while it saves and
    // leaves it as it was (a stopped network stays stopped for the others to be saved).
    snapshotCommand(QStringLiteral("savevm"), name, QStringLiteral("taken"));
    std::lock_guard lock(m_mutex);
    m_snapshots.insert(name, record);
}

Machine::SnapshotRecord Machine::snapshotRecord(const QString &name) const
{
    std::lock_guard lock(m_mutex);
    if (!m_snapshots.contains(name))
        throw MachineError(MachineError::Kind::Usage,
            formatText(u"machine %1 has no snapshot %2 (it has: %3)", m_spec.name, name,
                m_snapshots.isEmpty() ? QStringLiteral("none")
                                      : QStringList(m_snapshots.keys()).join(u", ")));
    return m_snapshots.value(name);
}

void Machine::loadSnapshot(const QString &name)
{
    checkSnapshotName(name);
    const SnapshotRecord record = snapshotRecord(name);
    const std::unique_lock command = snapshotLock(QStringLiteral("restore"), name);
    QString reply;
    {
        {
            std::lock_guard lock(m_mutex);
            m_restoring = true;
        }
        const qint64 startUs = QDateTime::currentMSecsSinceEpoch() * 1000;
        const auto restored = qScopeGuard([this, startUs] { endRestore(startUs); });
        reply = monitor(QStringLiteral("loadvm ") + name);
    }
    if (!reply.isEmpty()) {
        // QEMU has reset the guest and loaded part of it: nothing of it can be trusted.
        invoke([p = m_process, name, reply] {
            p->fail(QStringLiteral("restoring snapshot %1 failed: %2").arg(name, reply));
        });
        throw MachineError(MachineError::Kind::Failed,
            formatText(u"machine %1: snapshot %2 was not restored, and the machine is stopped: "
                       u"%3",
                m_spec.name, name, printableText(reply)));
    }
    applySnapshotRecord(name, record);
}

void Machine::endRestore(qint64 startUs)
{
    std::lock_guard lock(m_mutex);
    m_restoring = false;
    m_restoreWindows.append({ startUs, QDateTime::currentMSecsSinceEpoch() * 1000 + 999 });
    while (m_restoreWindows.size() > 4)
        m_restoreWindows.removeFirst();
}

void Machine::applySnapshotRecord(const QString &name, const SnapshotRecord &record)
{
    {
        // The reset and the port's close and open that loading made are behind us (QMP sends
        // a command's events before its reply): the machine is what it was when saved.
        std::lock_guard lock(m_mutex);
        m_readySeconds = record.readySeconds;
        ++m_generation;
        setState(record.state, QStringLiteral("restored snapshot ") + name);
    }
    if (m_context.network) {
        for (auto it = record.links.cbegin(); it != record.links.cend(); ++it) {
            if (m_context.network->link(m_spec.name, it.key()).settings != it.value())
                m_context.network->setLink(m_spec.name, it.key(), wholeUpdate(it.value()));
        }
    }
    // QEMU's link state is the host's, not the guest's: it is set again as it was saved.
    setLinksUp(!record.blocked);
}

void Machine::startFromSnapshot(const QString &name)
{
    checkSnapshotName(name);
    const SnapshotRecord record = snapshotRecord(name);
    if (const QString obstacle = snapshotObstacle(); !obstacle.isEmpty())
        throw MachineError(MachineError::Kind::Usage,
            formatText(u"machine %1 cannot restore snapshot %2: %3", m_spec.name, name, obstacle));
    quint64 starts = 0;
    {
        std::lock_guard lock(m_mutex);
        if (m_qemuRunning)
            throw MachineError(MachineError::Kind::Usage,
                formatText(
                    u"machine %1 runs: it cannot start from snapshot %2", m_spec.name, name));
        starts = m_qemuStarts;
        m_restoring = true; // the ports' events of the load are not the guest's doing
    }
    const qint64 startUs = QDateTime::currentMSecsSinceEpoch() * 1000;
    const auto restored = qScopeGuard([this, startUs] { endRestore(startUs); });
    launch(name);
    {
        std::unique_lock lock(m_mutex);
        // Loading a guest's memory takes seconds on a slow disk, as loadvm does.
        m_changed.wait_for(lock, std::chrono::minutes(10),
            [&] { return m_qemuStarts != starts || !m_qemuRunning || !m_error.isEmpty(); });
        if (m_qemuStarts == starts || !m_error.isEmpty()) {
            const QString why = m_error.isEmpty()
                ? QStringLiteral("QEMU did not load it within 10 minutes")
                : m_error;
            lock.unlock();
            if (isRunning())
                invoke([p = m_process, why] { p->fail(why); });
            throw MachineError(MachineError::Kind::Failed,
                formatText(u"machine %1 was off and could not start from snapshot %2: %3",
                    m_spec.name, name, why));
        }
    }
    applySnapshotRecord(name, record);
}

void Machine::snapshot(const QString &name)
{
    action(QStringLiteral("snapshot"), { { QStringLiteral("name"), name } },
        [&] { saveSnapshot(name); });
}

void Machine::restore(const QString &name, bool hostClock)
{
    ActionArguments arguments { { QStringLiteral("name"), name } };
    if (hostClock)
        arguments.append({ QStringLiteral("clock"), QStringLiteral("host") });
    action(QStringLiteral("restore"), arguments, [&] {
        if (isRunning()) {
            loadSnapshot(name);
        } else { // no boot: QEMU starts from the snapshot
            startFromSnapshot(name);
            continueCpus();
        }
        if (hostClock)
            setClockToHost();
    });
}

void Machine::setClockToHost()
{
    // The guest's clock stood still while the snapshot waited; the time jumps to now.
    const qint64 ms = QDateTime::currentMSecsSinceEpoch();
    const CommandResult set = runCommand(QStringLiteral("date -u -s @%1.%2 > /dev/null")
                                             .arg(ms / 1000)
                                             .arg(ms % 1000, 3, 10, QLatin1Char('0')),
        60);
    if (set.status != 0)
        throw MachineError(MachineError::Kind::Failed,
            formatText(u"machine %1: cannot set its clock to the host's: %2", m_spec.name,
                printableText(QString::fromUtf8(set.stderrBytes).trimmed())));
}

QStringList Machine::snapshots() const
{
    std::lock_guard lock(m_mutex);
    return m_snapshots.keys();
}

void Machine::deleteSnapshot(const QString &name)
{
    action(QStringLiteral("delete_snapshot"), { { QStringLiteral("name"), name } }, [&] {
        checkSnapshotName(name);
        snapshotRecord(name);
        const std::unique_lock command = snapshotLock(QStringLiteral("delete"), name);
        snapshotCommand(QStringLiteral("delvm"), name, QStringLiteral("deleted"));
        std::lock_guard lock(m_mutex);
        m_snapshots.remove(name);
    });
}

void Machine::stopCpus()
{
    qmp(QStringLiteral("stop"));
}

void Machine::continueCpus()
{
    std::unique_lock lock(m_mutex);
    const bool paused = m_paused;
    lock.unlock();
    if (!paused) // a machine the user paused stays paused
        qmp(QStringLiteral("cont"));
}

} // namespace vivarium
