#include "benchcontainers.h"

#include "benchpbt.h"
#include "core/machine/testrun.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QThread>

using namespace vivarium;

namespace {

double secondsOf(const std::function<void()> &call)
{
    QElapsedTimer clock;
    clock.start();
    call();
    return double(clock.elapsed()) / 1000.0;
}

// What the container's memory cgroup holds (its processes' memory and page cache), in MiB.
double cgroupMiB(const QString &machine)
{
    for (const QString &file :
        { QStringLiteral("/sys/fs/cgroup/memory/vivarium/%1.%2/memory.usage_in_bytes"),
            QStringLiteral("/sys/fs/cgroup/vivarium/%1.%2/memory.current") }) {
        QFile usage(file.arg(QCoreApplication::applicationPid()).arg(machine));
        if (usage.open(QIODevice::ReadOnly))
            return usage.readAll().trimmed().toDouble() / (1024.0 * 1024.0);
    }
    return 0;
}

} // namespace

QList<BenchFigure> measureContainers(const SessionMaker &makeSession, bool quick)
{
    QList<BenchFigure> figures;
    const int boots = quick ? 3 : 9;
    QList<double> ready;
    for (int i = 0; i < boots; ++i) {
        std::unique_ptr<Session> session = makeSession(QStringLiteral("container"),
            "[machines.c]\nkind = \"container\"\nvlans = [1]\n", false);
        ready << secondsOf([&] { session->run()->waitAllReady(120); });
    }
    figures << BenchFigure { QStringLiteral("container_ready_s"),
        QStringLiteral("minimal container start to ready backdoor (median)"),
        percentile(ready, 0.5), QStringLiteral("s"), QStringLiteral("<= 0.3") };

    QList<double> multiUser;
    double idleMiB = 0;
    for (int i = 0; i < qMax(1, boots / 2); ++i) {
        std::unique_ptr<Session> session = makeSession(QStringLiteral("container-systemd"),
            "[machines.s]\nkind = \"container\"\ninit = \"systemd\"\nvlans = [1]\n", false);
        Machine *s = session->run()->machine(QStringLiteral("s"));
        multiUser << secondsOf([&] { s->waitForUnit(QStringLiteral("multi-user.target"), 120); });
        // Idle: what is left once the boot's work has settled.
        QThread::msleep(2000);
        idleMiB = cgroupMiB(QStringLiteral("s"));
    }
    figures << BenchFigure { QStringLiteral("container_systemd_multi_user_s"),
        QStringLiteral("systemd container start to multi-user.target (median)"),
        percentile(multiUser, 0.5), QStringLiteral("s"), QStringLiteral("<= 3") };
    figures << BenchFigure { QStringLiteral("container_idle_memory_mib"),
        QStringLiteral("memory of an idle systemd container (its cgroup)"), idleMiB,
        QStringLiteral("MiB"), QString() };

    QByteArray ten;
    for (int i = 1; i <= 10; ++i)
        ten += "[machines.c" + QByteArray::number(i) + "]\nkind = \"container\"\n";
    std::unique_ptr<Session> tenSession = makeSession(QStringLiteral("ten-containers"), ten, false);
    figures << BenchFigure { QStringLiteral("ten_containers_ready_s"),
        QStringLiteral("ten minimal containers at once, all ready"),
        secondsOf([&] { tenSession->run()->waitAllReady(120); }), QStringLiteral("s"),
        QStringLiteral("<= 2") };
    tenSession.reset();

    const double containers
        = demoExamplesPerMinute(makeSession, QStringLiteral("pbt-containers.py"), quick);
    const double vms = demoExamplesPerMinute(makeSession, QStringLiteral("pbt.py"), quick);
    figures << BenchFigure { QStringLiteral("pbt_container_examples_per_min"),
        QStringLiteral("demo property examples a minute with containers (6 steps)"), containers,
        QStringLiteral("/m"), QString() };
    figures << BenchFigure { QStringLiteral("pbt_container_vs_vm_ratio"),
        QStringLiteral("the same with VMs: how many times as many examples"),
        vms > 0 ? containers / vms : 0, QStringLiteral("x"), QStringLiteral(">= 10") };
    return figures;
}
