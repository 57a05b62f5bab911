#include "core/network/network.h"

#include "core/event/machineerror.h"
#include "core/network/packetcapture.h"
#include "core/network/vdemanagement.h"
#include "core/util/childprocess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <algorithm>
#include <cstring>

namespace vivarium {

namespace {

constexpr int healthTimeoutMs = 5000;

QString linkKey(const QString &machine, int vlan)
{
    return machine + QLatin1Char('.') + QString::number(vlan);
}

[[noreturn]] void fail(MachineError::Kind kind, const QString &message)
{
    throw MachineError(kind, message);
}

QString requireProgram(const char *name)
{
    const QString path = QStandardPaths::findExecutable(QLatin1String(name));
    if (path.isEmpty())
        fail(MachineError::Kind::Usage,
            QStringLiteral("%1 is not installed (apt-get install vde2)").arg(QLatin1String(name)));
    return path;
}

} // namespace

Network::Network(const TestSpec *test, QString runDir, QString outDir, QThread *ioThread)
    : m_test(test)
    , m_runDir(std::move(runDir))
    , m_outDir(std::move(outDir))
    , m_host(new QObject)
{
    qRegisterMetaType<LinkState>();
    qRegisterMetaType<VlanState>();
    m_host->moveToThread(ioThread);
    for (auto it = test->vlans.cbegin(); it != test->vlans.cend(); ++it) {
        VlanState vlan;
        vlan.vlan = it.key();
        for (const MachineSpec &m : test->machines) {
            if (m.vlans.contains(vlan.vlan))
                vlan.machines << m.name;
        }
        m_vlans << vlan;
    }
    for (const MachineSpec &m : test->machines) {
        for (const NicAddress &nic : machineNics(*test, m.name)) {
            LinkState link;
            link.machine = m.name;
            link.nic = nic;
            link.settings = test->linkSettings(m.name, nic.vlan);
            m_links << link;
        }
    }
}

Network::~Network()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    invokeBlocking([this] { stopAll(); });
    QObject *host = m_host;
    invokeBlocking([host] { delete host; });
}

void Network::stopAll()
{
    // On the I/O thread. Each process is killed and reaped before the next, quietly.
    for (QObject *child : m_host->children()) {
        if (auto *process = qobject_cast<QProcess *>(child)) {
            QObject::disconnect(process, nullptr, nullptr, nullptr);
            process->kill();
            process->waitForFinished(2000);
        }
        delete child; // a capture closes its file
    }
}

void Network::invokeBlocking(const std::function<void()> &call) const
{
    if (QThread::currentThread() == m_host->thread())
        call();
    else
        QMetaObject::invokeMethod(m_host, call, Qt::BlockingQueuedConnection);
}

QString Network::netDir() const
{
    return m_runDir + QStringLiteral("/net");
}

QString Network::vlanSwitchDir(int vlan) const
{
    return netDir() + QStringLiteral("/v%1").arg(vlan);
}

QString Network::nicSwitchDir(const QString &machine, int vlan) const
{
    return netDir() + QLatin1Char('/') + linkKey(machine, vlan);
}

QString Network::nicPortSocket(const QString &machine, int vlan) const
{
    return netDir() + QLatin1Char('/') + linkKey(machine, vlan) + QStringLiteral(".qemu");
}

bool Network::isStarted() const
{
    std::lock_guard lock(m_mutex);
    return m_started;
}

void Network::startProcess(const QString &key, const QString &description, const QString &program,
    const QStringList &arguments)
{
    {
        std::lock_guard lock(m_mutex);
        m_processes[key] = Process { description, 0, false, {} };
    }
    QString error;
    invokeBlocking([&] {
        auto *process = new QProcess(m_host);
        dieWithParent(process);
        process->setProcessChannelMode(QProcess::MergedChannels);
        QObject::connect(
            process, &QProcess::readyReadStandardOutput, process, [this, key, process] {
                const QByteArray bytes = process->readAllStandardOutput();
                std::lock_guard lock(m_mutex);
                QByteArray &output = m_processes[key].output;
                output = QByteArray(output + bytes).right(2048);
            });
        QObject::connect(process, &QProcess::finished, process,
            [this, key, process](int code, QProcess::ExitStatus status) {
                onProcessEnded(key, code, status == QProcess::CrashExit);
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
        m_processes[key].pid = process->processId();
    });
    if (!error.isEmpty())
        fail(MachineError::Kind::Failed, error);
}

void Network::onProcessEnded(const QString &key, int exitCode, bool signalled)
{
    QString message;
    QList<LinkState> links;
    QList<VlanState> vlans;
    {
        std::lock_guard lock(m_mutex);
        Process &process = m_processes[key];
        process.ended = true;
        if (m_stopping)
            return;
        message = signalled
            ? QStringLiteral("%1 was killed by signal %2 (SIG%3)")
                  .arg(process.description)
                  .arg(exitCode)
                  .arg(QLatin1String(sigabbrev_np(exitCode)))
            : QStringLiteral("%1 exited (status %2)").arg(process.description).arg(exitCode);
        const QString output = QString::fromUtf8(process.output).trimmed();
        if (!output.isEmpty())
            message += QStringLiteral(": ") + output;
        if (m_error.isEmpty())
            m_error = message;
        for (LinkState &link : m_links) {
            const QString nic = linkKey(link.machine, link.nic.vlan);
            if (key == nic || key == nic + QStringLiteral(".wf")) {
                link.filterRunning = false;
                links << link;
            }
        }
        for (VlanState &vlan : m_vlans) {
            if (key == QStringLiteral("v%1").arg(vlan.vlan)) {
                vlan.switchRunning = false;
                vlans << vlan;
            }
        }
    }
    QFile log(m_outDir + QStringLiteral("/network.log"));
    if (log.open(QIODevice::WriteOnly | QIODevice::Append))
        log.write(message.toUtf8() + '\n');
    emit failed(message);
    for (const LinkState &link : std::as_const(links))
        emit linkChanged(link);
    for (const VlanState &vlan : std::as_const(vlans))
        emit vlanChanged(vlan);
}

void Network::waitForManagement(const QString &key, const QString &socket, VdeManagement *session)
{
    QDeadlineTimer deadline(healthTimeoutMs);
    QString error;
    while (!session->open(socket, 100, &error)) {
        std::lock_guard lock(m_mutex);
        const Process &process = m_processes[key];
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
            fail(MachineError::Kind::Failed, message);
        }
    }
}

void Network::start()
{
    std::lock_guard startLock(m_startMutex);
    if (isStarted())
        return;
    try {
        startLocked();
    } catch (const MachineError &) {
        // Nothing half-started stays behind.
        invokeBlocking([this] { stopAll(); });
        std::lock_guard lock(m_mutex);
        m_processes.clear();
        m_filters.clear();
        m_captures.clear();
        throw;
    }
}

void Network::startLocked()
{
    if (m_links.isEmpty())
        return;
    const QString vdeSwitch = requireProgram("vde_switch");
    const QString wirefilter = requireProgram("wirefilter");
    QDir(netDir()).removeRecursively();
    if (!QDir().mkpath(netDir()))
        fail(MachineError::Kind::Failed, QStringLiteral("cannot create %1").arg(netDir()));
    const auto switchArguments = [](const QString &dir) {
        return QStringList { QStringLiteral("--hub"), QStringLiteral("--sock"), dir,
            QStringLiteral("--mgmt"), dir + QStringLiteral(".mgmt"), QStringLiteral("--mode"),
            QStringLiteral("600"), QStringLiteral("--dirmode"), QStringLiteral("700") };
    };

    // Switches first: each filter joins two of them when it starts.
    struct Switch {
        QString key, dir, description;
    };
    QList<Switch> switches;
    for (const VlanState &vlan : std::as_const(m_vlans))
        switches.append({ QStringLiteral("v%1").arg(vlan.vlan), vlanSwitchDir(vlan.vlan),
            QStringLiteral("vde_switch for VLAN %1").arg(vlan.vlan) });
    for (const LinkState &link : std::as_const(m_links))
        switches.append(
            { linkKey(link.machine, link.nic.vlan), nicSwitchDir(link.machine, link.nic.vlan),
                QStringLiteral("vde_switch for the NIC of %1 on VLAN %2")
                    .arg(link.machine)
                    .arg(link.nic.vlan) });
    for (const Switch &s : std::as_const(switches))
        startProcess(s.key, s.description, vdeSwitch, switchArguments(s.dir));
    for (const auto &[key, dir, description] : switches) {
        VdeManagement session;
        waitForManagement(key, dir + QStringLiteral(".mgmt"), &session);
    }
    for (const LinkState &link : std::as_const(m_links)) {
        const QString key = linkKey(link.machine, link.nic.vlan);
        startProcess(key + QStringLiteral(".wf"),
            QStringLiteral("wirefilter for %1 on VLAN %2").arg(link.machine).arg(link.nic.vlan),
            wirefilter,
            { QStringLiteral("--vde-plug"),
                nicSwitchDir(link.machine, link.nic.vlan) + QLatin1Char(':')
                    + vlanSwitchDir(link.nic.vlan),
                QStringLiteral("--mgmt"), netDir() + QLatin1Char('/') + key + QStringLiteral(".wf"),
                QStringLiteral("--mgmtmode"), QStringLiteral("600") });
    }
    for (const LinkState &link : std::as_const(m_links)) {
        const QString key = linkKey(link.machine, link.nic.vlan);
        auto session = std::make_unique<VdeManagement>();
        waitForManagement(key + QStringLiteral(".wf"),
            netDir() + QLatin1Char('/') + key + QStringLiteral(".wf"), session.get());
        std::lock_guard lock(m_mutex);
        m_filters[key] = std::move(session);
    }

    QList<LinkState> links;
    QList<VlanState> vlans;
    {
        std::lock_guard lock(m_mutex);
        for (LinkState &link : m_links)
            link.filterRunning = true;
        for (VlanState &vlan : m_vlans)
            vlan.switchRunning = true;
        links = m_links;
        vlans = m_vlans;
    }
    for (const LinkState &link : std::as_const(links)) {
        if (link.settings != LinkSettings())
            applyFilter(link, link.settings);
    }
    {
        std::lock_guard lock(m_mutex);
        m_started = true;
    }
    for (const VlanState &vlan : std::as_const(vlans)) {
        if (m_test->vlans.value(vlan.vlan).capture)
            beginCapture(vlan.vlan, {});
    }
    for (const LinkState &link : std::as_const(links)) {
        if (link.settings.capture)
            beginCapture(link.nic.vlan, link.machine);
    }
    for (const LinkState &link : this->links())
        emit linkChanged(link);
    for (const VlanState &vlan : this->vlans())
        emit vlanChanged(vlan);
}

QList<VlanState> Network::vlans() const
{
    std::lock_guard lock(m_mutex);
    return m_vlans;
}

QList<LinkState> Network::links() const
{
    std::lock_guard lock(m_mutex);
    return m_links;
}

qsizetype Network::linkIndex(const QString &machine, int vlan) const
{
    // Called with m_mutex held.
    for (qsizetype i = 0; i < m_links.size(); ++i) {
        if (m_links.at(i).machine == machine && m_links.at(i).nic.vlan == vlan)
            return i;
    }
    if (!m_test->machine(machine))
        fail(MachineError::Kind::Usage, QStringLiteral("there is no machine '%1'").arg(machine));
    fail(MachineError::Kind::Usage,
        QStringLiteral("machine %1 is not on VLAN %2").arg(machine).arg(vlan));
}

LinkState Network::link(const QString &machine, int vlan) const
{
    std::lock_guard lock(m_mutex);
    return m_links.at(linkIndex(machine, vlan));
}

void Network::applyFilter(const LinkState &link, const LinkSettings &settings)
{
    const QString key = linkKey(link.machine, link.nic.vlan);
    std::lock_guard filterLock(m_filterMutex);
    VdeManagement *session = nullptr;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_filters.find(key);
        if (it != m_filters.end())
            session = it->second.get();
    }
    if (!session)
        fail(MachineError::Kind::Failed,
            QStringLiteral("the network is not running (link of %1 on VLAN %2)")
                .arg(link.machine)
                .arg(link.nic.vlan));
    for (const QString &command : wirefilterCommands(settings)) {
        QString error;
        if (!session->command(command, nullptr, &error))
            fail(MachineError::Kind::Failed,
                QStringLiteral("wirefilter for %1 on VLAN %2: %3")
                    .arg(link.machine)
                    .arg(link.nic.vlan)
                    .arg(error));
    }
}

void Network::setLink(const QString &machine, int vlan, const LinkUpdate &update)
{
    start();
    LinkState link;
    {
        std::lock_guard lock(m_mutex);
        link = m_links.at(linkIndex(machine, vlan));
    }
    const LinkSettings settings = update.appliedTo(link.settings);
    const QString problem = settings.validate();
    if (!problem.isEmpty())
        fail(MachineError::Kind::Usage,
            QStringLiteral("link of %1 on VLAN %2: %3").arg(machine).arg(vlan).arg(problem));
    applyFilter(link, settings);
    {
        std::lock_guard lock(m_mutex);
        LinkState &current = m_links[linkIndex(machine, vlan)];
        for (const LinkField &field : linkFields())
            field.set(current.settings, field.get(settings));
        link = current;
    }
    emit linkChanged(link);
}

void Network::setVlan(int vlan, const LinkUpdate &update)
{
    QStringList machines;
    for (const VlanState &v : vlans()) {
        if (v.vlan == vlan)
            machines = v.machines;
    }
    if (machines.isEmpty())
        fail(MachineError::Kind::Usage, QStringLiteral("no machine is on VLAN %1").arg(vlan));
    // Checked before any link changes, so a bad value changes nothing.
    const QString problem = update.appliedTo({}).validate();
    if (!problem.isEmpty())
        fail(MachineError::Kind::Usage, QStringLiteral("VLAN %1: %2").arg(vlan).arg(problem));
    for (const QString &machine : std::as_const(machines))
        setLink(machine, vlan, update);
}

QString Network::startCapture(int vlan, const QString &machine)
{
    start();
    return beginCapture(vlan, machine);
}

QString Network::beginCapture(int vlan, const QString &machine)
{
    QString key = QStringLiteral("v%1").arg(vlan);
    QString switchDir = vlanSwitchDir(vlan);
    QString name = QStringLiteral("vlan%1").arg(vlan);
    {
        std::lock_guard lock(m_mutex);
        if (!machine.isEmpty()) {
            linkIndex(machine, vlan); // throws when there is no such link
            key = linkKey(machine, vlan);
            switchDir = nicSwitchDir(machine, vlan);
            name = QStringLiteral("%1-vlan%2").arg(machine).arg(vlan);
        } else if (std::none_of(m_vlans.cbegin(), m_vlans.cend(),
                       [vlan](const VlanState &v) { return v.vlan == vlan; })) {
            fail(MachineError::Kind::Usage, QStringLiteral("no machine is on VLAN %1").arg(vlan));
        }
        if (m_captures.count(key)) {
            for (const LinkState &link : std::as_const(m_links)) {
                if (linkKey(link.machine, link.nic.vlan) == key)
                    return link.capturePath;
            }
            for (const VlanState &v : std::as_const(m_vlans)) {
                if (v.vlan == vlan)
                    return v.capturePath;
            }
        }
    }
    // A second capture of the same link in one run goes to a new file: name.2.pcap, ...
    QString path = m_outDir + QLatin1Char('/') + name + QStringLiteral(".pcap");
    for (int n = 2; m_capturesTaken.contains(path); ++n)
        path = m_outDir + QLatin1Char('/') + name + QStringLiteral(".%1.pcap").arg(n);
    QString error;
    QObject *capture = nullptr;
    invokeBlocking([&] {
        auto *c = new PacketCapture(m_host);
        if (c->start(switchDir, netDir() + QStringLiteral("/cap-") + key, path, &error))
            capture = c;
        else
            delete c;
    });
    if (!capture)
        fail(MachineError::Kind::Failed, QStringLiteral("cannot capture %1: %2").arg(name, error));
    LinkState link;
    VlanState vlanState;
    {
        std::lock_guard lock(m_mutex);
        m_capturesTaken.insert(path);
        m_captures[key] = capture;
        if (machine.isEmpty()) {
            for (VlanState &v : m_vlans) {
                if (v.vlan == vlan) {
                    v.capturePath = path;
                    vlanState = v;
                }
            }
        } else {
            LinkState &l = m_links[linkIndex(machine, vlan)];
            l.capturePath = path;
            l.settings.capture = true;
            link = l;
        }
    }
    if (machine.isEmpty())
        emit vlanChanged(vlanState);
    else
        emit linkChanged(link);
    return path;
}

void Network::stopCapture(int vlan, const QString &machine)
{
    const QString key
        = machine.isEmpty() ? QStringLiteral("v%1").arg(vlan) : linkKey(machine, vlan);
    QObject *capture = nullptr;
    LinkState link;
    VlanState vlanState;
    {
        std::lock_guard lock(m_mutex);
        if (!machine.isEmpty())
            linkIndex(machine, vlan); // throws when there is no such link
        auto it = m_captures.find(key);
        if (it == m_captures.end())
            return;
        capture = it->second;
        m_captures.erase(it);
        if (machine.isEmpty()) {
            for (VlanState &v : m_vlans) {
                if (v.vlan == vlan) {
                    v.capturePath.clear();
                    vlanState = v;
                }
            }
        } else {
            LinkState &l = m_links[linkIndex(machine, vlan)];
            l.capturePath.clear();
            l.settings.capture = false;
            link = l;
        }
    }
    invokeBlocking([capture] { delete capture; });
    if (machine.isEmpty())
        emit vlanChanged(vlanState);
    else
        emit linkChanged(link);
}

void Network::updateLinksOf(
    const QString &machine, const std::function<bool(LinkState &link)> &change)
{
    QList<LinkState> changed;
    {
        std::lock_guard lock(m_mutex);
        for (LinkState &link : m_links) {
            if (link.machine == machine && change(link))
                changed << link;
        }
    }
    for (const LinkState &link : std::as_const(changed))
        emit linkChanged(link);
}

void Network::setMachineRunning(const QString &machine, bool running)
{
    updateLinksOf(machine, [running](LinkState &link) {
        if (link.machineRunning == running)
            return false;
        link.machineRunning = running;
        // A machine starts with its links up, as QEMU does.
        if (running)
            link.blocked = false;
        return true;
    });
}

void Network::setBlocked(const QString &machine, bool blocked)
{
    updateLinksOf(machine, [blocked](LinkState &link) {
        if (link.blocked == blocked)
            return false;
        link.blocked = blocked;
        return true;
    });
}

QList<qint64> Network::processIds() const
{
    std::lock_guard lock(m_mutex);
    QList<qint64> pids;
    for (const auto &[key, process] : m_processes) {
        if (!process.ended && process.pid > 0)
            pids << process.pid;
    }
    return pids;
}

QString Network::error() const
{
    std::lock_guard lock(m_mutex);
    return m_error;
}

} // namespace vivarium
