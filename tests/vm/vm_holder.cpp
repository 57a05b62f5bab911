// Test helper: boots the machines of a test file, prints each QEMU's pid, then waits to be killed.
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QThread>
#include <cstdio>

using namespace vivarium;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: vm_holder TEST.toml\n");
        return 2;
    }
    SpecLoader loader;
    std::optional<TestSpec> spec = loader.loadFile(QString::fromLocal8Bit(argv[1]));
    if (!spec)
        return 2;
    std::unique_ptr<TestRun> run = makeRun(*spec);
    run->startAll();
    for (const auto &m : run->machines()) {
        while (m->qemuPid() == 0)
            QThread::msleep(10);
        std::printf("QEMU_PID %lld\n", static_cast<long long>(m->qemuPid()));
    }
    for (qint64 pid : run->network()->processIds())
        std::printf("NET_PID %lld\n", static_cast<long long>(pid));
    std::printf("RUN_DIR %s\n", qPrintable(run->runDir()));
    std::fflush(stdout);
    for (;;)
        QThread::sleep(1);
}
