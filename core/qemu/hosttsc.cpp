#include "core/qemu/hosttsc.h"

#include <QFile>
#include <ctime>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace vivarium {

namespace {

int measure()
{
#if defined(__x86_64__)
    QFile cpuinfo(QStringLiteral("/proc/cpuinfo"));
    if (!cpuinfo.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray flags = cpuinfo.readAll();
    if (!flags.contains(" constant_tsc") || !flags.contains(" nonstop_tsc"))
        return 0;
    QFile known(QStringLiteral("/sys/devices/system/cpu/cpu0/tsc_freq_khz"));
    if (known.open(QIODevice::ReadOnly)) {
        const int khz = known.readAll().trimmed().toInt();
        if (khz > 0)
            return khz;
    }
    timespec start {}, end {};
    clock_gettime(CLOCK_MONOTONIC_RAW, &start);
    const unsigned long long ticks0 = __rdtsc();
    const timespec pause { 0, 40 * 1000 * 1000 };
    nanosleep(&pause, nullptr);
    clock_gettime(CLOCK_MONOTONIC_RAW, &end);
    const unsigned long long ticks1 = __rdtsc();
    const double ns = double(end.tv_sec - start.tv_sec) * 1e9 + double(end.tv_nsec - start.tv_nsec);
    return ns > 0 ? int(double(ticks1 - ticks0) / ns * 1e6 + 0.5) : 0;
#else
    return 0;
#endif
}

} // namespace

int hostTscKhz()
{
    static const int khz = measure();
    return khz;
}

} // namespace vivarium
