// vivarium-bench's workbench section: a 10 MB serial burst through the terminal (the longest
// event-loop stall while it renders), and the window idle with five running machines (CPU and
// memory per machine).
#include "benchgui.h"

#include "core/spec/specloader.h"
#include "ui/mainwindow.h"
#include "ui/terminal/terminalview.h"
#include "ui/workbench.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>
#include <sys/resource.h>

using namespace vivarium;

namespace {

double cpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double rssMb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    status.open(QIODevice::ReadOnly);
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    }
    return 0;
}

// Runs the event loop until done() or limitMs, recording the longest gap between 5 ms ticks
// beyond the 5 ms: how long the GUI thread was busy at a stretch.
double spinMeasuringStalls(const std::function<bool()> &done, int limitMs)
{
    QElapsedTimer clock, sinceTick;
    clock.start();
    sinceTick.start();
    double worst = 0;
    QEventLoop loop;
    QTimer tick;
    tick.setInterval(5);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        worst = qMax(worst, double(sinceTick.nsecsElapsed()) / 1e6 - 5);
        sinceTick.restart();
        if (done() || clock.elapsed() >= limitMs)
            loop.quit();
    });
    tick.start();
    loop.exec();
    return worst;
}

// Runs the event loop for ms with nothing of the measurement's own waking it.
void idle(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

double serialBurstStallMs()
{
    TerminalSurface surface(30, 120);
    TerminalView view(&surface);
    view.resize(1000, 600);
    view.show();
    // Kernel-log-like lines with some colour, in 64 KB reads as a socket delivers them.
    QByteArray line = "[  12.345678] \x1b[32mvirtio_net\x1b[0m virtio4 eth1: renamed, link up; "
                      "some more text to fill the line to a realistic length\r\n";
    QByteArray chunk;
    while (chunk.size() < 64 * 1024)
        chunk += line;
    const int chunks = (10 * 1024 * 1024) / int(chunk.size());
    int fed = 0;
    QTimer feeder;
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        if (fed < chunks) {
            surface.feed(chunk);
            ++fed;
        }
    });
    feeder.start(0);
    return spinMeasuringStalls([&] { return fed >= chunks; }, 120000);
}

} // namespace

QList<BenchFigure> measureGui(bool quick)
{
    QList<BenchFigure> figures;
    figures << BenchFigure { QStringLiteral("serial_burst_max_stall_ms"),
        QStringLiteral("10 MB of serial output rendered: longest stall"), serialBurstStallMs(),
        QStringLiteral("ms"), QStringLiteral("<= 50") };

    QTemporaryDir dir;
    QFile toml(dir.filePath(QStringLiteral("five.toml")));
    toml.open(QIODevice::WriteOnly);
    toml.write("[machines.m1]\n[machines.m2]\n[machines.m3]\n[machines.m4]\n[machines.m5]\n");
    toml.close();
    const double rssBefore = rssMb();
    {
        MainWindow window(toml.fileName());
        window.resize(1400, 860);
        window.show();
        int ready = 0;
        QObject::connect(window.workbench(), &Workbench::machineStateChanged,
            [&](const QString &, const QString &state) {
                ready += state == QLatin1String("ready");
            });
        window.workbench()->startAll();
        spinMeasuringStalls([&] { return ready >= 5; }, 300000);
        idle(2000); // settle
        const double cpu0 = cpuSeconds();
        QElapsedTimer clock;
        clock.start();
        idle(quick ? 5000 : 10000);
        const double pct = 100.0 * (cpuSeconds() - cpu0) / (double(clock.elapsed()) / 1000.0);
        figures << BenchFigure { QStringLiteral("gui_idle_cpu_pct"),
            QStringLiteral("workbench idle, five running machines (CPU)"), pct, QStringLiteral("%"),
            QStringLiteral("< 3") };
        figures << BenchFigure { QStringLiteral("gui_rss_per_machine_mb"),
            QStringLiteral("workbench memory per running machine"), (rssMb() - rssBefore) / 5,
            QStringLiteral("MB"), QString() };
        window.workbench()->stopAll();
        idle(1000);
    }
    figures << measureVnc(quick);
    return figures;
}
