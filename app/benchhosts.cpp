#include "benchhosts.h"

#include "buildpaths.h"
#include "core/event/machineerror.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <unistd.h>

using namespace vivarium;

namespace {

[[noreturn]] void benchFailed(const QString &what)
{
    throw MachineError(MachineError::Kind::Failed, what);
}

QString runProgram(const QString &program, const QStringList &arguments, int timeoutS)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, arguments);
    if (!process.waitForFinished(timeoutS * 1000) || process.exitCode() != 0)
        benchFailed(QStringLiteral("%1 %2 failed: %3")
                        .arg(program, arguments.join(QLatin1Char(' ')),
                            QString::fromUtf8(process.readAll().right(2000))));
    return QString::fromUtf8(process.readAll());
}

// b starts once a is up; the script prints what it measured.
const char *const script = R"py(import time
a.start()
a.succeed("true")
t = time.monotonic()
b.start()
b.succeed("true")
print(f"bench-ready-s {time.monotonic() - t:.2f}")
out = a.succeed("ping -n -q -c 20 -i 0.05 b")
print("bench-rtt-ms " + out.split("=")[-1].split("/")[1])
a.succeed("(nc -l -p 5001 > /dev/null &) ; sleep 0.5")
t = time.monotonic()
b.succeed("head -c 20000000 /dev/zero | nc -q 1 a 5001")
print(f"bench-tcp-mbit {160 / (time.monotonic() - t):.1f}")
)py";

struct Round {
    double readyS = 0, rttMs = 0, tcpMbit = 0;
};

Round runOnce(const QString &dir, const QString &sshConfig, bool remote, int round)
{
    const QString name
        = QStringLiteral("%1-%2").arg(QLatin1String(remote ? "remote" : "local")).arg(round);
    QFile toml(dir + QLatin1Char('/') + name + QStringLiteral(".toml"));
    QFile py(dir + QLatin1Char('/') + name + QStringLiteral(".py"));
    if (!toml.open(QIODevice::WriteOnly) || !py.open(QIODevice::WriteOnly))
        benchFailed(QStringLiteral("cannot write the bench's test in %1").arg(dir));
    // Both from the root image, so the two differ only in where b runs.
    toml.write(QStringLiteral(
        "script = \"%3.py\"\n[hosts.near]\nssh = \"10.231.0.11\"\nssh_config = \"%1\"\n"
        "[machines.a]\nvlans = [1]\nroot = \"image\"\n"
        "[machines.b]\nvlans = [1]\nroot = \"image\"\n%2")
                   .arg(sshConfig, remote ? QStringLiteral("host = \"near\"\n") : QString(), name)
                   .toUtf8());
    py.write(script);
    toml.close();
    py.close();
    const QString out
        = runProgram(QCoreApplication::applicationDirPath() + QStringLiteral("/vivarium-test"),
            { toml.fileName(), QStringLiteral("--no-video"), QStringLiteral("-o"),
                dir + QStringLiteral("/out-") + name },
            900);
    Round r;
    const auto value = [&out](const char *key) {
        const QRegularExpression pattern(QLatin1String(key) + QStringLiteral(" ([0-9.]+)"));
        const QRegularExpressionMatch m = pattern.match(out);
        if (!m.hasMatch())
            benchFailed(QStringLiteral("the hosts bench printed no %1: %2")
                            .arg(QLatin1String(key), out.right(2000)));
        return m.captured(1).toDouble();
    };
    r.readyS = value("bench-ready-s");
    r.rttMs = value("bench-rtt-ms");
    r.tcpMbit = value("bench-tcp-mbit");
    return r;
}

} // namespace

QList<BenchFigure> measureHosts(bool quick)
{
    if (geteuid() != 0)
        benchFailed(QStringLiteral(
            "the hosts section needs root: its hosts are network namespaces (ip netns)"));
    QTemporaryDir dir(QStringLiteral("/tmp/vivarium-bench-hosts-XXXXXX"));
    const QString hostsScript = QStringLiteral(VIVARIUM_SOURCE_DIR "/scripts/namespace-hosts");
    const QString hostsDir = dir.filePath(QStringLiteral("hosts"));
    runProgram(QStringLiteral("bash"),
        { hostsScript, QStringLiteral("up"), QStringLiteral("1"), hostsDir }, 120);
    QList<double> ready[2], rtt[2], tcp[2];
    try {
        for (int round = 0; round < (quick ? 1 : 3); ++round) {
            for (const bool remote : { false, true }) { // interleaved
                const Round r
                    = runOnce(dir.path(), hostsDir + QStringLiteral("/ssh_config"), remote, round);
                ready[remote] << r.readyS;
                rtt[remote] << r.rttMs;
                tcp[remote] << r.tcpMbit;
            }
        }
    } catch (...) {
        runProgram(QStringLiteral("bash"), { hostsScript, QStringLiteral("down"), hostsDir }, 120);
        throw;
    }
    runProgram(QStringLiteral("bash"), { hostsScript, QStringLiteral("down"), hostsDir }, 120);
    const auto figure
        = [](const char *key, const QString &what, const QList<double> *samples, const char *unit) {
              const double there = percentile(samples[1], 50), here = percentile(samples[0], 50);
              return BenchFigure { QLatin1String(key),
                  what + QStringLiteral(" (here: %1)").arg(here, 0, 'f', 2), there,
                  QLatin1String(unit), QString() };
          };
    return {
        figure("remote_ready_s", QStringLiteral("a machine on a namespace host, start to ready"),
            ready, "s"),
        figure("cross_host_rtt_ms",
            QStringLiteral("ping between a machine here and one there, mean of 20"), rtt, "ms"),
        figure("cross_host_tcp_mbit",
            QStringLiteral("20 MB over TCP from the machine there to the one here"), tcp, "Mbit/s"),
    };
}
