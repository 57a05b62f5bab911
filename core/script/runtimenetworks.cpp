#include "core/script/runtimenetworks.h"

#include "core/coverage/runcoverage.h"
#include "core/spec/specloader.h"
#include "core/util/hostmemory.h"

#include <QFile>
#include <QRegularExpression>

namespace vivarium {

RuntimeNetworks::RuntimeNetworks(TestRun *parent)
    : m_parent(parent)
{
}

RuntimeNetworks::~RuntimeNetworks()
{
    destroyAll();
}

QStringList RuntimeNetworks::create(const QString &label, const QString &toml)
{
    static const QRegularExpression labelPattern(QStringLiteral("^[A-Za-z0-9_-]{1,64}$"));
    if (!labelPattern.match(label).hasMatch())
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("a network's label is 1-64 letters, digits, '-' or '_', not \"%1\"")
                .arg(label));
    SpecLoader loader;
    std::optional<TestSpec> spec
        = loader.loadString(toml.toUtf8(), QStringLiteral("<%1>").arg(label));
    if (!spec)
        throw MachineError(MachineError::Kind::Failed, loader.errors().join(QLatin1Char('\n')));
    spec->name = label;
    // The script's test measures coverage: so do the networks it makes.
    spec->coverage = m_parent->spec().coverage;
    // Every machine of a network may run at once: refuse one the host cannot hold, before a
    // guest is starved into a failure the property would take for the system's.
    qint64 askedMiB = 0;
    for (const MachineSpec &m : spec->machines)
        askedMiB += m.memoryMiB;
    const qint64 freeMiB = availableMemoryMiB();
    if (freeMiB >= 0 && askedMiB > freeMiB * 9 / 10)
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("network %1 is too large for this host: its %2 machine(s) ask %3 MiB, "
                           "the host has %4 MiB available (draw fewer or smaller machines)")
                .arg(label)
                .arg(spec->machines.size())
                .arg(askedMiB)
                .arg(freeMiB));
    std::lock_guard lock(m_mutex);
    if (m_runs.count(label) != 0)
        throw MachineError(
            MachineError::Kind::Failed, QStringLiteral("there is a network %1 already").arg(label));
    for (const MachineSpec &m : spec->machines)
        checkNameFree(label, m.name);
    TestRun::Options options;
    options.outDir = m_parent->outDir() + QStringLiteral("/networks/") + label;
    options.accel = m_parent->accel().accel;
    QString error;
    std::unique_ptr<TestRun> run = TestRun::create(*spec, options, &error);
    if (!run)
        throw MachineError(
            MachineError::Kind::Failed, QStringLiteral("network %1: %2").arg(label, error));
    // Its events are the script's: reports and the workbench see its machines.
    EventLog *into = m_parent->events();
    QObject::connect(
        run->events(), &EventLog::happened, into, [into](const Event &event) { into->post(event); },
        Qt::DirectConnection);
    // And its terminals' bytes: the workbench shows an example machine's console live.
    QObject::connect(
        run->events(), &EventLog::serialBytes, into, &EventLog::serialBytes, Qt::DirectConnection);
    QObject::connect(
        run->events(), &EventLog::shellBytes, into, &EventLog::shellBytes, Qt::DirectConnection);
    QStringList names;
    for (const auto &m : run->machines())
        names << m->name();
    m_runs.emplace(label, std::move(run));
    m_tomls[label] = toml;
    into->post(event::NetworkCreated { label, names, toml });
    return names;
}

std::optional<CoverageFrontier::Added> RuntimeNetworks::destroy(const QString &label)
{
    std::unique_ptr<TestRun> run;
    {
        std::lock_guard lock(m_mutex);
        auto &from = m_runs.count(label) != 0 ? m_runs : m_parked;
        auto it = from.find(label);
        if (it == from.end())
            throw MachineError(
                MachineError::Kind::Failed, QStringLiteral("there is no network %1").arg(label));
        run = std::move(it->second);
        from.erase(it);
        m_tomls.erase(label);
    }
    std::optional<CoverageFrontier::Added> added;
    if (run->spec().coverage.enabled) {
        QStringList problems;
        const Tracefile trace = collectExampleCoverage(run.get(),
            m_parent->outDir()
                + QStringLiteral("/coverage/examples/%1-%2.info")
                      .arg(++m_destroyed, 4, 10, QLatin1Char('0'))
                      .arg(label),
            &problems);
        for (const QString &problem : problems)
            m_parent->events()->post(event::Log { QStringLiteral("coverage: ") + problem });
        std::lock_guard lock(m_mutex);
        added = m_coverage.add(trace);
        (m_added ? *m_added : m_added.emplace()) += *added;
    }
    run->crashAll(QStringLiteral("stopped")); // then the TestRun removes its run directory
    m_parent->events()->post(event::NetworkDestroyed { label });
    return added;
}

std::optional<CoverageFrontier::Added> RuntimeNetworks::takeAdded()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_added, std::nullopt);
}

void RuntimeNetworks::checkNameFree(const QString &label, const QString &name) const
{
    bool taken = m_parent->machine(name) != nullptr;
    for (const auto &[other, run] : m_runs)
        taken = taken || run->machine(name) != nullptr;
    if (taken)
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("network %1: there is a machine %2 already").arg(label, name));
}

TestRun *RuntimeNetworks::run(const QString &label) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_runs.find(label);
    if (it == m_runs.end())
        throw MachineError(
            MachineError::Kind::Failed, QStringLiteral("there is no network %1").arg(label));
    return it->second.get();
}

bool RuntimeNetworks::snapshot(const QString &label, const QString &name)
{
    TestRun *network = run(label);
    bool running = false;
    for (const Machine *m : network->machines()) {
        if (m->isPaused())
            return false;
        running = running || m->isRunning();
    }
    if (!running)
        return false;
    network->snapshotAll(name);
    return true;
}

void RuntimeNetworks::rewind(const QString &label, const QString &name)
{
    run(label)->rewindTo(name, QStringLiteral("not running at snapshot ") + name);
}

void RuntimeNetworks::deleteSnapshot(const QString &label, const QString &name)
{
    run(label)->dropNetworkSnapshot(name);
}

void RuntimeNetworks::park(const QString &label)
{
    TestRun *network = run(label);
    network->crashAll(QStringLiteral("parked"));
    {
        std::lock_guard lock(m_mutex);
        auto it = m_runs.find(label);
        m_parked.emplace(label, std::move(it->second));
        m_runs.erase(it);
    }
    m_parent->events()->post(event::NetworkDestroyed { label });
}

void RuntimeNetworks::unpark(const QString &label)
{
    QStringList names;
    QString toml;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_parked.find(label);
        if (it == m_parked.end())
            throw MachineError(MachineError::Kind::Failed,
                QStringLiteral("there is no parked network %1").arg(label));
        for (const Machine *m : it->second->machines()) {
            checkNameFree(label, m->name());
            names << m->name();
        }
        m_runs.emplace(label, std::move(it->second));
        m_parked.erase(it);
        toml = m_tomls[label];
    }
    m_parent->events()->post(event::NetworkCreated { label, names, toml });
}

void RuntimeNetworks::destroyAll()
{
    std::map<QString, std::unique_ptr<TestRun>> runs;
    {
        std::lock_guard lock(m_mutex);
        runs.swap(m_runs);
        runs.merge(m_parked);
        m_parked.clear();
        m_tomls.clear();
    }
    for (auto &[label, run] : runs) {
        run->crashAll(QStringLiteral("stopped"));
        m_parent->events()->post(event::NetworkDestroyed { label });
    }
}

void RuntimeNetworks::cancelAll()
{
    std::lock_guard lock(m_mutex);
    for (const auto &[label, run] : m_runs)
        run->cancelAll();
}

Machine *RuntimeNetworks::machine(const QString &name) const
{
    std::lock_guard lock(m_mutex);
    for (const auto &[label, run] : m_runs) {
        if (Machine *m = run->machine(name))
            return m;
    }
    return nullptr;
}

Network *RuntimeNetworks::networkOf(const QString &machine) const
{
    std::lock_guard lock(m_mutex);
    for (const auto &[label, run] : m_runs) {
        if (run->machine(machine))
            return run->network();
    }
    return nullptr;
}

QStringList RuntimeNetworks::labels() const
{
    std::lock_guard lock(m_mutex);
    QStringList labels;
    for (const auto &[label, run] : m_runs)
        labels << label;
    for (const auto &[label, run] : m_parked)
        labels << label;
    return labels;
}

} // namespace vivarium
