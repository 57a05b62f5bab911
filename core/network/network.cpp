#include "core/network/network.h"

#include "core/event/machineerror.h"
#include "core/network/packetcapture.h"
#include "core/network/vdemanagement.h"
#include "core/util/textformat.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QThread>
#include <algorithm>

namespace vivarium {

namespace {

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

Network::Network(const TestSpec *test, QString runDir, QString outDir, QThread *ioThread,
    QMap<QString, RemoteHost *> hosts)
    : m_test(test)
    , m_runDir(std::move(runDir))
    , m_outDir(std::move(outDir))
    , m_hosts(std::move(hosts))
    , m_supervisor(ioThread,
          [this](ProcessSupervisor::Id id, const QString &message) { onProcessEnded(id, message); })
{
    qRegisterMetaType<LinkState>();
    qRegisterMetaType<VlanState>();
    for (auto it = test->vlans.cbegin(); it != test->vlans.cend(); ++it)
        m_switches.push_back(std::make_unique<VlanSwitch>(it.key(), netDir()));
    for (const MachineSpec &m : test->machines) {
        for (const NicAddress &nic : machineNics(*test, m.name))
            addLinkLocked(m.name, nic, nullptr);
    }
}

Network::~Network()
{
    m_supervisor.stopAll();
}

QString Network::netDir() const
{
    return m_runDir + QStringLiteral("/net");
}

VlanSwitch &Network::switchOf(int vlan) const
{
    for (const auto &s : m_switches) {
        if (s->vlan() == vlan)
            return *s;
    }
    fail(MachineError::Kind::Usage, QStringLiteral("no machine is on VLAN %1").arg(vlan));
}

VlanSwitch::Link &Network::linkOf(const QString &machine, int vlan) const
{
    if (!m_test->machine(machine) && !m_machines.contains(machine))
        fail(MachineError::Kind::Usage, QStringLiteral("there is no machine '%1'").arg(machine));
    for (const auto &s : m_switches) {
        if (s->vlan() != vlan)
            continue;
        if (VlanSwitch::Link *link = s->link(machine))
            return *link;
    }
    fail(MachineError::Kind::Usage,
        QStringLiteral("machine %1 is not on VLAN %2").arg(machine).arg(vlan));
}

QString Network::nicSwitchDir(const QString &machine, int vlan) const
{
    std::lock_guard lock(m_mutex);
    return switchOf(vlan).nicSwitchDirThere(linkOf(machine, vlan));
}

QString Network::nicPortSocket(const QString &machine, int vlan) const
{
    std::lock_guard lock(m_mutex);
    return switchOf(vlan).nicSwitchDirThere(linkOf(machine, vlan)) + QStringLiteral(".qemu");
}

bool Network::isStarted() const
{
    std::lock_guard lock(m_mutex);
    return m_started;
}

void Network::onProcessEnded(ProcessSupervisor::Id id, const QString &message)
{
    QList<LinkState> links;
    QList<VlanState> vlans;
    {
        std::lock_guard lock(m_mutex);
        if (m_error.isEmpty())
            m_error = message;
        for (auto &s : m_switches) {
            const bool hub = s->hub == id;
            if (hub) {
                s->state().switchRunning = false;
                vlans << s->state();
            }
            for (VlanSwitch::Link &link : s->links()) {
                if (link.nicSwitch == id || link.filter == id) {
                    link.state.filterRunning = false;
                    links << link.state;
                }
                // A VLAN's switch carries every link on it.
                if (hub || link.nicSwitch == id || link.filter == id) {
                    QStringList &dead = m_deadByMachine[link.state.machine];
                    if (!dead.contains(message))
                        dead.append(message);
                }
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

void Network::forgetProcesses()
{
    m_supervisor.stopAll(); // captures go with it
    std::lock_guard lock(m_mutex);
    for (auto &s : m_switches)
        s->reset();
    m_hostVlans.clear();
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
        forgetProcesses();
        throw;
    }
}

void Network::startLocked()
{
    if (m_linkOrder.empty())
        return;
    QDir(netDir()).removeRecursively();
    if (!QDir().mkpath(netDir()))
        fail(MachineError::Kind::Failed, QStringLiteral("cannot create %1").arg(netDir()));
    // The switch objects stay put while the start runs (m_startMutex), so they are read
    // without m_mutex here.
    std::vector<VlanSwitch *> hubs;
    std::vector<std::pair<VlanSwitch *, QString>> nics;
    for (auto &s : m_switches) {
        hubs.push_back(s.get());
        for (VlanSwitch::Link &link : s->links())
            nics.emplace_back(s.get(), link.state.machine);
    }
    startProcesses(hubs, nics);
    const QList<LinkState> started = links();
    for (const LinkState &link : started) {
        if (link.settings != LinkSettings())
            applyFilter(link.machine, link.nic.vlan, link.settings);
    }
    {
        std::lock_guard lock(m_mutex);
        m_started = true;
    }
    for (const VlanState &vlan : vlans()) {
        if (m_test->vlans.value(vlan.vlan).capture)
            beginCapture(vlan.vlan, {});
    }
    for (const LinkState &link : started) {
        if (link.settings.capture)
            beginCapture(link.nic.vlan, link.machine);
    }
    for (const LinkState &link : links())
        emit linkChanged(link);
    for (const VlanState &vlan : vlans())
        emit vlanChanged(vlan);
}

void Network::startProcesses(const std::vector<VlanSwitch *> &hubs,
    const std::vector<std::pair<VlanSwitch *, QString>> &links)
{
    const QString vdeSwitch = requireProgram("vde_switch");
    const QString wirefilter = requireProgram("wirefilter");
    // The switches first (each filter joins two of them when it starts), all at once, then
    // each is waited for; then the filters the same way. A NIC on another host has its switch
    // and filter there, next to its machine, and the VLAN a hub there cabled to this one.
    std::vector<std::pair<ProcessSupervisor::Id, QString>> switches;
    for (VlanSwitch *s : hubs) {
        s->hub = m_supervisor.start(QStringLiteral("vde_switch for VLAN %1").arg(s->vlan()),
            vdeSwitch, hubSwitchArguments(s->switchDir()));
        switches.emplace_back(s->hub, s->switchDir());
    }
    for (const auto &[s, machine] : links) {
        VlanSwitch::Link &link = *s->link(machine);
        const QString description
            = QStringLiteral("vde_switch for the NIC of %1 on VLAN %2").arg(machine).arg(s->vlan());
        const QString there = s->nicSwitchDirThere(link);
        const QString management = s->nicSwitchDir(machine) + QStringLiteral(".mgmt");
        link.nicSwitch = link.host
            ? startOnHost(m_supervisor, *link.host, description,
                QStringList { QStringLiteral("vde_switch") } + hubSwitchArguments(there),
                management, there + QStringLiteral(".mgmt"))
            : m_supervisor.start(description, vdeSwitch, hubSwitchArguments(there));
        switches.emplace_back(link.nicSwitch, s->nicSwitchDir(machine));
    }
    for (const auto &[id, dir] : switches) {
        VdeManagement session;
        m_supervisor.waitForManagement(id, dir + QStringLiteral(".mgmt"), &session);
    }
    for (const auto &[s, machine] : links) {
        VlanSwitch::Link &link = *s->link(machine);
        const QString description
            = QStringLiteral("wirefilter for %1 on VLAN %2").arg(machine).arg(s->vlan());
        if (link.host) {
            const QString there = s->nicSwitchDirThere(link);
            link.filter = startOnHost(m_supervisor, *link.host, description,
                { QStringLiteral("wirefilter"), QStringLiteral("--vde-plug"),
                    there + QLatin1Char(':') + hostVlan(s->vlan(), link.host).remoteHubDir(),
                    QStringLiteral("--mgmt"), there + QStringLiteral(".wf"),
                    QStringLiteral("--mgmtmode"), QStringLiteral("600") },
                s->filterSocket(machine), there + QStringLiteral(".wf"));
            continue;
        }
        link.filter = m_supervisor.start(description, wirefilter,
            { QStringLiteral("--vde-plug"),
                s->nicSwitchDir(machine) + QLatin1Char(':') + s->switchDir(),
                QStringLiteral("--mgmt"), s->filterSocket(machine), QStringLiteral("--mgmtmode"),
                QStringLiteral("600") });
    }
    for (const auto &[s, machine] : links) {
        auto session = std::make_unique<VdeManagement>();
        m_supervisor.waitForManagement(
            s->link(machine)->filter, s->filterSocket(machine), session.get());
        std::lock_guard lock(m_mutex);
        s->link(machine)->session = std::move(session);
    }
    std::lock_guard lock(m_mutex);
    for (VlanSwitch *s : hubs)
        s->state().switchRunning = true;
    for (const auto &[s, machine] : links)
        s->link(machine)->state.filterRunning = true;
}

void Network::startMirror(RemoteHost *host, const QString &mirror, const QString &remoteNicSwitch,
    const QString &remoteManagement, const QString &name)
{
    // A hub here, cabled to the NIC's switch there: every frame of that switch comes here
    // (a hub repeats each frame on every port), and nothing goes back, as the capture sends
    // nothing. Both stay for the run, for a next capture of the link.
    const ProcessSupervisor::Id hub
        = m_supervisor.start(QStringLiteral("vde_switch mirroring %1 for its capture").arg(name),
            requireProgram("vde_switch"), hubSwitchArguments(mirror));
    VdeManagement session;
    m_supervisor.waitForManagement(hub, mirror + QStringLiteral(".mgmt"), &session);
    // The capture begins once the cable's far end has joined the switch there (one more port
    // on it), or it would miss what passes meanwhile.
    VdeManagement far;
    QString error;
    const auto ports = [&]() -> int {
        QString listing;
        if (!far.isOpen() && !far.open(remoteManagement, 2000, &error))
            return -1;
        if (!far.command(QStringLiteral("port/allprint"), &listing, &error))
            return -1;
        return int(listing.count(QStringLiteral("\nPort ")) + listing.startsWith(u"Port "));
    };
    const int before = ports();
    if (before < 0)
        fail(MachineError::Kind::Failed,
            QStringLiteral("cannot capture %1: the NIC's switch on %2 does not answer: %3")
                .arg(name, host->label(), error));
    m_supervisor.start(QStringLiteral("the cable mirroring %1 from %2").arg(name, host->label()),
        requireProgram("vde_plug"), cableArguments(*host, mirror, remoteNicSwitch));
    QDeadlineTimer deadline(30000);
    while (ports() <= before) {
        if (deadline.hasExpired())
            fail(MachineError::Kind::Failed,
                QStringLiteral("cannot capture %1: the cable from %2 did not join within 30 s")
                    .arg(name, host->label()));
        QThread::msleep(50);
    }
}

HostVlan &Network::hostVlan(int vlan, RemoteHost *host)
{
    for (const auto &existing : m_hostVlans) {
        if (existing->vlan() == vlan && existing->host() == host)
            return *existing;
    }
    QString localHub;
    {
        std::lock_guard lock(m_mutex);
        localHub = switchOf(vlan).switchDir();
    }
    auto far = std::make_unique<HostVlan>(host, vlan, localHub, netDir());
    far->start(m_supervisor);
    m_hostVlans.push_back(std::move(far));
    return *m_hostVlans.back();
}

VlanSwitch *Network::addLinkLocked(
    const QString &machine, const NicAddress &nic, std::vector<VlanSwitch *> *newHubs)
{
    VlanSwitch *s = nullptr;
    for (auto &existing : m_switches) {
        if (existing->vlan() == nic.vlan)
            s = existing.get();
    }
    if (!s) { // a VLAN the test file has no machine on: its switch joins in VLAN order
        auto vlanSwitch = std::make_unique<VlanSwitch>(nic.vlan, netDir());
        s = vlanSwitch.get();
        m_switches.insert(std::upper_bound(m_switches.begin(), m_switches.end(), nic.vlan,
                              [](int vlan, const auto &other) { return vlan < other->vlan(); }),
            std::move(vlanSwitch));
        if (newHubs)
            newHubs->push_back(s);
    }
    LinkState link;
    link.machine = machine;
    link.nic = nic;
    link.settings = m_test->linkSettings(machine, nic.vlan);
    s->addLink(link);
    if (const MachineSpec *spec = m_test->machine(machine); spec && spec->onOtherHost())
        s->links().back().host = m_hosts.value(spec->host);
    m_linkOrder.emplace_back(machine, nic.vlan);
    return s;
}

void Network::addMachine(const QString &machine, const QList<NicAddress> &nics)
{
    std::lock_guard startLock(m_startMutex);
    std::vector<VlanSwitch *> hubs;
    std::vector<std::pair<VlanSwitch *, QString>> added;
    {
        std::lock_guard lock(m_mutex);
        m_machines.insert(machine);
        for (const NicAddress &nic : nics)
            added.emplace_back(addLinkLocked(machine, nic, &hubs), machine);
    }
    if (!isStarted() || added.empty())
        return; // start() starts them with the rest
    startProcesses(hubs, added);
    for (const NicAddress &nic : nics) {
        const LinkState state = link(machine, nic.vlan);
        if (state.settings != LinkSettings())
            applyFilter(machine, nic.vlan, state.settings);
        emit linkChanged(state);
    }
    QList<VlanState> changed;
    {
        std::lock_guard lock(m_mutex);
        for (const NicAddress &nic : nics)
            changed << switchOf(nic.vlan).state();
    }
    for (const VlanState &vlan : std::as_const(changed))
        emit vlanChanged(vlan);
}

QList<VlanState> Network::vlans() const
{
    std::lock_guard lock(m_mutex);
    QList<VlanState> vlans;
    for (const auto &s : m_switches)
        vlans << s->state();
    return vlans;
}

QList<LinkState> Network::links() const
{
    std::lock_guard lock(m_mutex);
    QList<LinkState> links;
    for (const auto &[machine, vlan] : m_linkOrder)
        links << linkOf(machine, vlan).state;
    return links;
}

LinkState Network::link(const QString &machine, int vlan) const
{
    std::lock_guard lock(m_mutex);
    return linkOf(machine, vlan).state;
}

void Network::applyFilter(const QString &machine, int vlan, const LinkSettings &settings)
{
    std::lock_guard filterLock(m_filterMutex);
    VdeManagement *session = nullptr;
    {
        std::lock_guard lock(m_mutex);
        session = linkOf(machine, vlan).session.get();
    }
    if (!session)
        fail(MachineError::Kind::Failed,
            QStringLiteral("the network is not running (link of %1 on VLAN %2)")
                .arg(machine)
                .arg(vlan));
    for (const QString &command : wirefilterCommands(settings)) {
        QString error;
        if (!session->command(command, nullptr, &error))
            fail(MachineError::Kind::Failed,
                QStringLiteral("wirefilter for %1 on VLAN %2: %3")
                    .arg(machine)
                    .arg(vlan)
                    .arg(error));
    }
}

void Network::setLink(const QString &machine, int vlan, const LinkUpdate &update)
{
    start();
    LinkSettings settings;
    {
        std::lock_guard lock(m_mutex);
        settings = update.appliedTo(linkOf(machine, vlan).state.settings);
    }
    const QString problem = settings.validate();
    if (!problem.isEmpty())
        fail(MachineError::Kind::Usage,
            QStringLiteral("link of %1 on VLAN %2: %3").arg(machine).arg(vlan).arg(problem));
    applyFilter(machine, vlan, settings);
    LinkState link;
    {
        std::lock_guard lock(m_mutex);
        LinkState &current = linkOf(machine, vlan).state;
        for (const LinkField &field : linkFields())
            field.set(current.settings, field.get(settings));
        link = current;
    }
    emit linkChanged(link);
}

void Network::setVlan(int vlan, const LinkUpdate &update)
{
    QStringList machines;
    {
        std::lock_guard lock(m_mutex);
        machines = switchOf(vlan).state().machines;
    }
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
    QString switchDir, socket, name;
    RemoteHost *host = nullptr; // a link on another host whose mirror is to be started
    QString remoteNicSwitch, remoteManagement;
    {
        std::lock_guard lock(m_mutex);
        VlanSwitch &s = switchOf(vlan);
        if (machine.isEmpty()) {
            if (s.capture)
                return s.state().capturePath;
            switchDir = s.switchDir();
            name = QStringLiteral("vlan%1").arg(vlan);
        } else {
            VlanSwitch::Link &link = linkOf(machine, vlan);
            if (link.capture)
                return link.state.capturePath;
            switchDir = s.nicSwitchDir(machine);
            if (link.host) { // captured from its mirror here
                if (!link.mirrored) { // not started by an earlier capture
                    host = link.host;
                    remoteNicSwitch = s.nicSwitchDirThere(link);
                    remoteManagement = switchDir + QStringLiteral(".mgmt"); // its forward here
                }
                switchDir += QStringLiteral("-mirror");
            }
            name = QStringLiteral("%1-vlan%2").arg(machine).arg(vlan);
        }
        socket = s.captureSocket(machine);
    }
    if (host) {
        startMirror(host, switchDir, remoteNicSwitch, remoteManagement, name);
        std::lock_guard lock(m_mutex);
        linkOf(machine, vlan).mirrored = true;
    }
    // A second capture of the same link in one run goes to a new file: name.2.pcap, ...
    QString path = m_outDir + QLatin1Char('/') + name + QStringLiteral(".pcap");
    for (int n = 2; m_capturesTaken.contains(path); ++n)
        path = m_outDir + QLatin1Char('/') + name + QStringLiteral(".%1.pcap").arg(n);
    QString error;
    QObject *capture = nullptr;
    m_supervisor.invokeBlocking([&] {
        auto *c = new PacketCapture(m_supervisor.host());
        if (c->start(switchDir, socket, path, &error))
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
        VlanSwitch &s = switchOf(vlan);
        if (machine.isEmpty()) {
            s.capture = capture;
            s.state().capturePath = path;
            vlanState = s.state();
        } else {
            VlanSwitch::Link &l = linkOf(machine, vlan);
            l.capture = capture;
            l.state.capturePath = path;
            l.state.settings.capture = true;
            link = l.state;
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
    QObject *capture = nullptr;
    LinkState link;
    VlanState vlanState;
    {
        std::lock_guard lock(m_mutex);
        VlanSwitch &s = switchOf(vlan);
        if (machine.isEmpty()) {
            capture = std::exchange(s.capture, nullptr);
            s.state().capturePath.clear();
            vlanState = s.state();
        } else {
            VlanSwitch::Link &l = linkOf(machine, vlan);
            capture = std::exchange(l.capture, nullptr);
            l.state.capturePath.clear();
            l.state.settings.capture = false;
            link = l.state;
        }
    }
    if (!capture)
        return;
    m_supervisor.invokeBlocking([capture] { delete capture; });
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
        for (const auto &[name, vlan] : m_linkOrder) {
            if (name != machine)
                continue;
            LinkState &link = linkOf(name, vlan).state;
            if (change(link))
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
    return m_supervisor.processIds();
}

QStringList Network::deadProcessesOf(const QString &machine) const
{
    std::lock_guard lock(m_mutex);
    return m_deadByMachine.value(machine);
}

QString Network::error() const
{
    std::lock_guard lock(m_mutex);
    return m_error;
}

} // namespace vivarium
