// vivarium-bench: the performance figures of DESIGN section 10, as a table and as JSON.
#include "benchcontainers.h"
#include "benchcoverage.h"
#include "benchfigure.h"
#include "benchhosts.h"
#include "benchpbt.h"
#include "benchscreens.h"
#include "benchsuite.h"
#include "core/machine/testrun.h"
#include "core/script/scriptengine.h"
#include "core/session/session.h"
#include "core/spec/specloader.h"
#ifdef VIVARIUM_BENCH_GUI
#include "benchgui.h"

#include <QApplication>
#endif

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>

using namespace vivarium;

namespace {

using Figure = BenchFigure;

// The RTTs in ms of count pings from machine to address, 0.2 s apart.
QList<double> pingTimes(Machine *machine, const QString &address, int count)
{
    const QString out = machine->succeed(
        QStringLiteral("ping -n -c %1 -i 0.2 -W 5 %2").arg(count).arg(address), 300);
    static const QRegularExpression time(QStringLiteral("time=([0-9.]+) ms"));
    QList<double> times;
    for (auto it = time.globalMatch(out); it.hasNext();)
        times << it.next().captured(1).toDouble();
    return times;
}

// Megabits per second of one TCP stream of megabytes from sender to receiver (at address), as
// the sender's clock sees it from the first byte to the receiver's close.
double tcpMbit(Machine *sender, Machine *receiver, const QString &address, int megabytes)
{
    receiver->succeed(QStringLiteral("(nc -lk 5001 > /dev/null 2>&1 &)"));
    receiver->waitForOpenPort(5001, QStringLiteral("localhost"), 30);
    const QString micros = sender->succeed(
        QStringLiteral("start=$(date +%s%N); "
                       "dd if=/dev/zero bs=64k count=%1 2>/dev/null | nc -N %2 5001; "
                       "echo $(( ($(date +%s%N) - start) / 1000 ))")
            .arg(megabytes * 16)
            .arg(address),
        600);
    receiver->execute(QStringLiteral("pkill -f 'nc -lk 5001'"));
    return double(megabytes) * 8 / (micros.trimmed().toDouble() / 1e6);
}

class Bench {
public:
    Bench(QString accel, bool quick, QString qemuMachine, QString root)
        : m_accel(std::move(accel))
        , m_quick(quick)
        , m_qemuMachine(std::move(qemuMachine))
        , m_root(std::move(root))
    {
    }

    std::unique_ptr<Session> run(const QString &name, const QByteArray &toml, bool video = true)
    {
        const QString path = m_dir.filePath(name + QStringLiteral(".toml"));
        QFile file(path);
        file.open(QIODevice::WriteOnly);
        file.write(toml);
        // A board and a root for every machine, for A/B runs (a machine's own keys still win;
        // a toml with defaults of its own, the snapshot section's, keeps them).
        if (!toml.contains("[defaults]") && (!m_qemuMachine.isEmpty() || !m_root.isEmpty())) {
            file.write("\n[defaults]\n");
            if (!m_qemuMachine.isEmpty())
                file.write("qemu_machine = \"" + m_qemuMachine.toUtf8() + "\"\n");
            if (!m_root.isEmpty())
                file.write("root = \"" + m_root.toUtf8() + "\"\n");
        }
        file.close();
        SpecLoader loader;
        std::optional<TestSpec> spec = loader.loadFile(path);
        if (!spec)
            qFatal("%s", qPrintable(loader.errors().join(QLatin1Char('\n'))));
        Session::Options options;
        options.outDir = m_dir.filePath(QStringLiteral("out/") + name);
        options.accel = m_accel;
        options.video = video;
        QString error;
        std::unique_ptr<Session> result = Session::create(*spec, options, &error);
        if (!result)
            qFatal("%s", qPrintable(error));
        m_accelUsed = result->run()->accel().accel;
        return result;
    }

    double bootSeconds(const QByteArray &toml, int machines)
    {
        std::unique_ptr<Session> session = run(QStringLiteral("boot"), toml);
        TestRun *r = session->run();
        QElapsedTimer clock;
        clock.start();
        r->waitAllReady(300);
        const double seconds = double(clock.elapsed()) / 1000.0;
        Q_ASSERT(int(r->machines().size()) == machines);
        return seconds;
    }

    // A systemd guest with one service, from start to wait_for_unit("multi-user.target") done
    // (the first line of most NixOS tests).
    double multiUserSeconds()
    {
        std::unique_ptr<Session> session = run(QStringLiteral("multi-user"),
            "[machines.s]\ninit = \"systemd\"\nservices = [\"one.service\"]\n"
            "files = { \"/etc/systemd/system/one.service\" = \"[Service]\\nType=oneshot\\n"
            "RemainAfterExit=yes\\nExecStart=/bin/true\\n\" }\n");
        QElapsedTimer clock;
        clock.start();
        session->run()
            ->machine(QStringLiteral("s"))
            ->waitForUnit(QStringLiteral("multi-user.target"), 300);
        return double(clock.elapsed()) / 1000.0;
    }

    QString accelUsed() const { return m_accelUsed; }
    bool quick() const { return m_quick; }

private:
    QTemporaryDir m_dir;
    QString m_accel;
    QString m_accelUsed;
    bool m_quick;
    QString m_qemuMachine; // empty: each machine's own
    QString m_root; // empty: each machine's own
};

// The NixOS driver's protocol on the same guest, over the hvc0 shell: a bash reading commands,
// each sent as `bash -c CMD | (base64 -w 0; echo)`, its status fetched in a second round trip.
class NixosProtocol {
public:
    NixosProtocol(Machine *machine, EventLog *events)
        : m_machine(machine)
    {
        const QString name = machine->name();
        m_connection = QObject::connect(
            events, &EventLog::shellBytes, events,
            [this, name](const QString &from, const QByteArray &bytes) {
                if (from != name)
                    return;
                std::lock_guard lock(m_mutex);
                m_buffer += bytes;
                m_changed.notify_all();
            },
            Qt::DirectConnection);
        send("stty raw -echo; exec bash --norc --noprofile 2>/dev/null\n");
        send("echo nixos-protocol-ready\n");
        readUntil("nixos-protocol-ready\n");
    }
    ~NixosProtocol() { QObject::disconnect(m_connection); }

    double runMs(const QByteArray &command)
    {
        QElapsedTimer clock;
        clock.start();
        send("timeout 900 bash -c '" + command + "' | (base64 -w 0; echo)\n");
        readLine();
        send("echo ${PIPESTATUS[0]}\n");
        const QByteArray status = readLine();
        if (status.trimmed() != "0")
            qFatal("NixOS protocol: unexpected status %s", status.constData());
        return double(clock.nsecsElapsed()) / 1e6;
    }

private:
    void send(const QByteArray &bytes) { m_machine->writeShell(bytes); }
    QByteArray readLine()
    {
        std::unique_lock lock(m_mutex);
        if (!m_changed.wait_for(
                lock, std::chrono::seconds(60), [&] { return m_buffer.contains('\n'); }))
            qFatal("NixOS protocol: no answer");
        const qsizetype newline = m_buffer.indexOf('\n');
        const QByteArray line = m_buffer.left(newline + 1);
        m_buffer.remove(0, newline + 1);
        return line;
    }
    void readUntil(const QByteArray &marker)
    {
        std::unique_lock lock(m_mutex);
        if (!m_changed.wait_for(
                lock, std::chrono::seconds(60), [&] { return m_buffer.contains(marker); }))
            qFatal("NixOS protocol: the shell did not start");
        m_buffer.remove(0, m_buffer.indexOf(marker) + marker.size());
    }

    Machine *m_machine;
    QMetaObject::Connection m_connection;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    QByteArray m_buffer;
};

qint64 rssKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return 0;
}

void progress(const char *what)
{
    std::fprintf(stderr, "vivarium-bench: %s...\n", what);
}

} // namespace

double percentile(QList<double> samples, double p)
{
    if (samples.isEmpty())
        return 0;
    std::sort(samples.begin(), samples.end());
    const qsizetype index
        = qMin<qsizetype>(samples.size() - 1, qsizetype(p * double(samples.size() - 1) + 0.5));
    return samples.at(index);
}

int main(int argc, char **argv)
{
#ifdef VIVARIUM_BENCH_GUI
    // The gui section draws the workbench; without a display it draws offscreen.
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
#else
    QCoreApplication app(argc, argv);
#endif
    QCoreApplication::setApplicationName(QStringLiteral("vivarium-bench"));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Measures Vivarium's performance figures (DESIGN section 10)."));
    parser.addHelpOption();
    const QCommandLineOption json(QStringLiteral("json"),
        QStringLiteral("Print one JSON object on stdout (the table goes to stderr)."));
    const QCommandLineOption quick(QStringLiteral("quick"), QStringLiteral("Fewer repetitions."));
    const QCommandLineOption accel(
        QStringLiteral("accel"), QStringLiteral("auto, kvm or tcg."), QStringLiteral("ACCEL"));
    const QCommandLineOption only(QStringLiteral("only"),
        QStringLiteral(
            "Measure only these sections (boot, systemd, snapshot, commands, network, screens, "
            "pbt, containers, coverage, suite, hosts, gui; hosts only when named: it needs "
            "root), "
            "comma separated."),
        QStringLiteral("SECTIONS"));
    const QCommandLineOption qemuMachine(QStringLiteral("qemu-machine"),
        QStringLiteral("The QEMU board of every machine: auto (the default), pc or microvm."),
        QStringLiteral("BOARD"));
    const QCommandLineOption root(QStringLiteral("root"),
        QStringLiteral("The root of every machine: share (the host over 9p) or image."),
        QStringLiteral("ROOT"));
    parser.addOptions({ json, quick, accel, only, qemuMachine, root });
    parser.process(app);
    const QStringList sections = parser.value(only).split(QLatin1Char(','), Qt::SkipEmptyParts);
    const auto want = [&](const char *section) {
        return sections.isEmpty() || sections.contains(QLatin1String(section));
    };

    const QString board = parser.value(qemuMachine);
    if (!board.isEmpty()
        && !QStringList { QStringLiteral("auto"), QStringLiteral("pc"), QStringLiteral("microvm") }
                .contains(board)) {
        std::fprintf(stderr, "vivarium-bench: --qemu-machine takes auto, pc or microvm, not %s\n",
            qPrintable(board));
        return 2;
    }
    const QString rootKind = parser.value(root);
    if (!rootKind.isEmpty()
        && !QStringList { QStringLiteral("share"), QStringLiteral("image") }.contains(rootKind)) {
        std::fprintf(
            stderr, "vivarium-bench: --root takes share or image, not %s\n", qPrintable(rootKind));
        return 2;
    }
    Bench bench(parser.value(accel), parser.isSet(quick), board, rootKind);
    const int boots = bench.quick() ? 2 : 5;
    const int commands = bench.quick() ? 200 : 1000;
    QList<Figure> figures;

    // A machine that fails mid-measurement ends the run with its message; the sessions and the
    // scratch directory are taken down on the way out (an uncaught error would leave them).
    try {
        if (want("boot")) {
            progress("minimal guest boots");
            QList<double> minimal;
            for (int i = 0; i < boots; ++i)
                minimal << bench.bootSeconds("[machines.m]\n", 1);
            figures << Figure { QStringLiteral("minimal_ready_s"),
                QStringLiteral("minimal guest start to ready backdoor (median)"),
                percentile(minimal, 0.5), QStringLiteral("s"), QStringLiteral("<= 2.5") };

            progress("three guests at once");
            figures << Figure { QStringLiteral("three_ready_s"),
                QStringLiteral("three minimal guests at once, all ready"),
                bench.bootSeconds("[machines.a]\n[machines.b]\n[machines.c]\n", 3),
                QStringLiteral("s"), QStringLiteral("<= 4") };

            progress("ten guests at once");
            QByteArray ten;
            for (int i = 1; i <= 10; ++i)
                ten += "[machines.m" + QByteArray::number(i) + "]\n";
            figures << Figure { QStringLiteral("ten_ready_s"),
                QStringLiteral("ten minimal guests at once, all ready"), bench.bootSeconds(ten, 10),
                QStringLiteral("s"), QStringLiteral("<= 20") };
        }

        if (want("systemd")) {
            progress("systemd guest boots");
            QList<double> systemd;
            for (int i = 0; i < qMax(1, boots / 2); ++i)
                systemd << bench.bootSeconds("[machines.s]\ninit = \"systemd\"\n", 1);
            figures << Figure { QStringLiteral("systemd_ready_s"),
                QStringLiteral("systemd guest start to ready backdoor (median)"),
                percentile(systemd, 0.5), QStringLiteral("s"), QStringLiteral("<= 6") };

            progress("systemd guests to multi-user.target");
            QList<double> multiUser;
            for (int i = 0; i < qMax(1, boots / 2); ++i)
                multiUser << bench.multiUserSeconds();
            figures << Figure { QStringLiteral("systemd_multi_user_s"),
                QStringLiteral("systemd guest start to multi-user.target (median)"),
                percentile(multiUser, 0.5), QStringLiteral("s"), QStringLiteral("<= 8") };
        }

        if (want("snapshot")) {
            progress("snapshots of image-root machines");
            std::unique_ptr<Session> session = bench.run(QStringLiteral("snapshot"),
                "[defaults]\nroot = \"image\"\n[machines.m]\n[machines.s]\ninit = \"systemd\"\n"
                "[machines.a]\nvlans = [1]\n[machines.r]\nvlans = [1, 2]\n"
                "[machines.b]\nvlans = [2]\n");
            TestRun *r = session->run();
            r->waitAllReady(300);
            r->machine(QStringLiteral("s"))->waitForUnit(QStringLiteral("multi-user.target"), 300);
            const int rounds = bench.quick() ? 3 : 7;
            const auto timedMs = [](const std::function<void()> &call) {
                QElapsedTimer clock;
                clock.start();
                call();
                return double(clock.nsecsElapsed()) / 1e6;
            };
            for (const char *name : { "m", "s" }) {
                Machine *machine = r->machine(QLatin1String(name));
                QList<double> saves, restores;
                for (int i = 0; i < rounds; ++i) {
                    machine->succeed(QStringLiteral("echo %1 > /root/round").arg(i));
                    saves << timedMs([&] { machine->snapshot(QStringLiteral("bench")); });
                    machine->succeed(QStringLiteral("rm /root/round"));
                    restores << timedMs([&] { machine->restore(QStringLiteral("bench")); });
                    machine->succeed(QStringLiteral("test -e /root/round"));
                }
                const bool systemd = QLatin1String(name) == QLatin1String("s");
                const QString kind
                    = systemd ? QStringLiteral("systemd") : QStringLiteral("minimal");
                figures << Figure { QStringLiteral("snapshot_save_%1_ms").arg(kind),
                    QStringLiteral("snapshot() of a ready %1 guest (median)").arg(kind),
                    percentile(saves, 0.5), QStringLiteral("ms"), QStringLiteral("<= 1000") };
                figures << Figure { QStringLiteral("snapshot_restore_%1_ms").arg(kind),
                    QStringLiteral("restore() of a ready %1 guest (median)").arg(kind),
                    percentile(restores, 0.5), QStringLiteral("ms"),
                    systemd ? QStringLiteral("<= 1500") : QStringLiteral("<= 1000") };
            }
            // Three machines on two VLANs (the other two are off for this).
            r->machine(QStringLiteral("m"))->crash();
            r->machine(QStringLiteral("s"))->crash();
            QList<double> networkSaves, networkRestores;
            for (int i = 0; i < rounds; ++i) {
                networkSaves << timedMs([&] { r->snapshotAll(QStringLiteral("bench")); });
                networkRestores << timedMs([&] { r->restoreAll(QStringLiteral("bench")); });
                r->machine(QStringLiteral("a"))->succeed(QStringLiteral("ping -c 1 -W 5 r"));
            }
            figures << Figure { QStringLiteral("network_snapshot_ms"),
                QStringLiteral("snapshot_all() of three machines (median)"),
                percentile(networkSaves, 0.5), QStringLiteral("ms"), QString() };
            figures << Figure { QStringLiteral("network_restore_ms"),
                QStringLiteral("restore_all() of three machines (median)"),
                percentile(networkRestores, 0.5), QStringLiteral("ms"), QStringLiteral("<= 2000") };
        }

        if (want("snapshot")) {
            // Run from the Last Checkpoint (docs/workbench.md, "Checkpoints"): a 40-line test
            // failing at its last line, fixed, run again from its last subtest's checkpoint,
            // against the full run it replaces.
            progress("a 40-line test failing at its last line, then run from its checkpoint");
            std::unique_ptr<Session> session = bench.run(QStringLiteral("rewind"),
                "[defaults]\nroot = \"image\"\nvlans = [1]\n[machines.a]\n[machines.b]\n");
            ScriptEngine *engine = session->engine();
            engine->setCheckpoints(ScriptEngine::Checkpoints::AtSubtests);
            const auto script = [](const char *last) -> QString {
                QString text = QStringLiteral("start_all()\na.wait_for_ready(timeout=300)\n"
                                              "b.wait_for_ready(timeout=300)\n");
                for (int line = 4; line < 40; ++line) {
                    if ((line - 4) % 12 == 0)
                        text += QStringLiteral("with subtest('part %1'):\n").arg(line);
                    else
                        text += QStringLiteral("    %1.succeed('echo %2 >> /tmp/log')\n")
                                    .arg(line % 2 ? QLatin1Char('a') : QLatin1Char('b'))
                                    .arg(line);
                }
                return text + QStringLiteral("    a.succeed('%1')\n").arg(QLatin1String(last));
            };
            const auto timedRun = [&](const QString &source) {
                QElapsedTimer clock;
                clock.start();
                session->startSource(source, QStringLiteral("rewind.py"));
                const ScriptResult result = engine->wait();
                return std::make_pair(result, clock.nsecsElapsed() / 1e9);
            };
            const auto [failed, fullSeconds] = timedRun(script("false"));
            const QList<Checkpoint> checkpoints = engine->journal()->checkpoints();
            if (failed.outcome != ScriptResult::Outcome::Failed || checkpoints.isEmpty())
                throw MachineError(MachineError::Kind::Failed,
                    QStringLiteral("the 40-line test did not fail at its last line with "
                                   "checkpoints: %1")
                        .arg(failed.message));
            engine->setRewind(engine->journal(), checkpoints.last().index);
            const auto [fixed, rewindSeconds] = timedRun(script("true"));
            if (fixed.outcome != ScriptResult::Outcome::Passed)
                throw MachineError(MachineError::Kind::Failed,
                    QStringLiteral("the fixed test did not pass from its checkpoint: line %1: %2")
                        .arg(fixed.line)
                        .arg(fixed.message));
            figures << Figure { QStringLiteral("rewind_s"),
                QStringLiteral("Run from the Last Checkpoint of a 40-line test, to its end"),
                rewindSeconds, QStringLiteral("s"), QStringLiteral("<= 5") };
            figures << Figure { QStringLiteral("rewind_full_run_s"),
                QStringLiteral("the full run it replaces (fresh machines, to the failing line)"),
                fullSeconds, QStringLiteral("s"), QString() };
        }

        if (want("commands")) {
            progress("commands, screenshots and memory");
            std::unique_ptr<Session> session = bench.run(QStringLiteral("commands"),
                "[machines.m]\n[machines.screen]\ngraphics = true\nappend = \"video=1024x768\"\n");
            TestRun *r = session->run();
            r->waitAllReady(300);
            Machine *m = r->machine(QStringLiteral("m"));
            Machine *screen = r->machine(QStringLiteral("screen"));
            for (int i = 0; i < 20; ++i)
                m->succeed(QStringLiteral("true")); // warm up
            QList<double> ours;
            for (int i = 0; i < commands; ++i) {
                QElapsedTimer clock;
                clock.start();
                m->succeed(QStringLiteral("true"));
                ours << double(clock.nsecsElapsed()) / 1e6;
            }
            // A failing command ends the agent's shell (set -e, as NixOS's bash -c): the price of
            // the restart.
            QList<double> failing;
            for (int i = 0; i < qMax(10, commands / 20); ++i) {
                QElapsedTimer clock;
                clock.start();
                m->execute(QStringLiteral("false"));
                failing << double(clock.nsecsElapsed()) / 1e6;
            }
            figures << Figure { QStringLiteral("fail_p50_ms"),
                QStringLiteral("execute(\"false\") p50 (the shell restarts)"),
                percentile(failing, 0.5), QStringLiteral("ms"), QString() };
            NixosProtocol nixos(m, r->events());
            QList<double> theirs;
            for (int i = 0; i < qMax(20, commands / 10); ++i)
                theirs << nixos.runMs("true");
            const double p50 = percentile(ours, 0.5);
            const double nixosP50 = percentile(theirs, 0.5);
            figures << Figure { QStringLiteral("succeed_p50_ms"),
                QStringLiteral("succeed(\"true\") p50"), p50, QStringLiteral("ms"),
                QStringLiteral("<= 2"), nixosP50 / p50 };
            figures << Figure { QStringLiteral("succeed_p99_ms"),
                QStringLiteral("succeed(\"true\") p99"), percentile(ours, 0.99),
                QStringLiteral("ms"), QString() };
            figures << Figure { QStringLiteral("nixos_protocol_p50_ms"),
                QStringLiteral("same command, NixOS protocol, p50"), nixosP50, QStringLiteral("ms"),
                QStringLiteral("ratio >= 40x") };

            screen->waitUntilSucceeds(QStringLiteral("test -e /sys/class/graphics/fb0"), 60);
            QList<double> shots;
            for (int i = 0; i < 20; ++i) {
                QElapsedTimer clock;
                clock.start();
                screen->screenshot(QStringLiteral("bench-%1").arg(i));
                shots << double(clock.nsecsElapsed()) / 1e6;
            }
            figures << Figure { QStringLiteral("screenshot_ms"),
                QStringLiteral("screenshot to PNG (median)"), percentile(shots, 0.5),
                QStringLiteral("ms"), QStringLiteral("<= 20") };
            figures << Figure { QStringLiteral("qemu_rss_mb"),
                QStringLiteral("QEMU RSS of a ready minimal guest"),
                double(rssKiB(m->qemuPid())) / 1024.0, QStringLiteral("MB"), QString() };
        }

        if (want("network")) {
            progress("networks");
            QElapsedTimer clock;
            clock.start();
            std::unique_ptr<Session> session = bench.run(QStringLiteral("network"),
                "[machines.a]\nvlans = [1]\n[machines.router]\nvlans = [1, 2]\n"
                "[machines.b]\nvlans = [2]\n");
            TestRun *r = session->run();
            r->network()->start();
            const double networkMs = double(clock.nsecsElapsed()) / 1e6;
            r->waitAllReady(300);
            figures << Figure { QStringLiteral("network_ready_s"),
                QStringLiteral("3 guests on 2 VLANs: network up, all ready"),
                double(clock.elapsed()) / 1000.0, QStringLiteral("s"), QString() };
            figures << Figure { QStringLiteral("network_start_ms"),
                QStringLiteral("  of which 2 VLAN switches + 4 NIC paths"), networkMs,
                QStringLiteral("ms"), QString() };
            Machine *a = r->machine(QStringLiteral("a"));
            Machine *router = r->machine(QStringLiteral("router"));
            pingTimes(a, QStringLiteral("192.168.1.3"), 5); // warm up: ARP, caches
            const double rtt = percentile(pingTimes(a, QStringLiteral("192.168.1.3"), 30), 0.5);
            figures << Figure { QStringLiteral("ping_rtt_ms"),
                QStringLiteral("ping RTT guest to guest via switch + filters (p50)"), rtt,
                QStringLiteral("ms"), QString() };
            r->network()->setVlan(1, LinkUpdate { .delayMs = 50 });
            const double delayed = percentile(pingTimes(a, QStringLiteral("192.168.1.3"), 10), 0.5);
            figures << Figure { QStringLiteral("ping_rtt_delay50_ms"),
                QStringLiteral("the same with delay_ms = 50 on VLAN 1 (p50)"), delayed,
                QStringLiteral("ms"), QStringLiteral("~ rtt + 100") };
            r->network()->setVlan(1, LinkUpdate { .delayMs = 0 });
            figures << Figure { QStringLiteral("tcp_mbit"),
                QStringLiteral("TCP throughput guest to guest across one VLAN"),
                tcpMbit(a, router, QStringLiteral("192.168.1.3"), bench.quick() ? 16 : 64),
                QStringLiteral("Mb"), QString() };
        }

        if (want("screens")) {
            progress("an X11 desktop: OCR, needles");
            figures << measureScreens([&](const QString &name, const QByteArray &toml,
                                          bool video) { return bench.run(name, toml, video); },
                bench.quick());
        }

        if (want("containers")) {
            progress("container machines: boots, ten at once, memory, the demo property");
            figures << measureContainers([&](const QString &name, const QByteArray &toml,
                                             bool video) { return bench.run(name, toml, video); },
                bench.quick());
        }

        if (want("coverage")) {
            progress("coverage: the demo with and without, a merge, guided property search");
            figures << measureCoverage([&](const QString &name, const QByteArray &toml,
                                           bool video) { return bench.run(name, toml, video); },
                bench.quick());
        }

        // Only when asked for: it needs root and makes network namespaces.
        if (sections.contains(QStringLiteral("hosts"))) {
            progress("hosts: a machine on another host (a network namespace) against one here");
            figures << measureHosts(bench.quick());
        }

        if (want("suite")) {
            progress("suites: one job against three shards one after another");
            figures << measureSuite(bench.quick());
        }

        if (want("pbt")) {
            progress("property-based testing: the demo, the planted bug, leaks");
            figures << measurePbt([&](const QString &name, const QByteArray &toml,
                                      bool video) { return bench.run(name, toml, video); },
                bench.quick());
        }

#ifdef VIVARIUM_BENCH_GUI
        if (want("gui")) {
            progress("the workbench");
            figures << measureGui(bench.quick());
        }
#endif

    } catch (const MachineError &e) {
        std::fprintf(stderr, "vivarium-bench: %s\n", e.what());
        return 1;
    }

    QJsonObject object;
    std::fprintf(stderr, "\nVivarium benchmark (accelerator %s)\n", qPrintable(bench.accelUsed()));
    std::fprintf(
        stderr, "%-24s %-48s %10s  %-14s %s\n", "key", "what", "value", "target", "vs NixOS");
    for (const Figure &f : std::as_const(figures)) {
        object.insert(f.key, qRound(f.value * 1000) / 1000.0);
        std::fprintf(stderr, "%-24s %-48s %7.2f %-2s  %-14s %s\n", qPrintable(f.key),
            qPrintable(f.what), f.value, qPrintable(f.unit), qPrintable(f.target),
            f.ratio > 0 ? qPrintable(QStringLiteral("%1x faster").arg(f.ratio, 0, 'f', 1)) : "");
        if (f.ratio > 0)
            object.insert(f.key.section(QLatin1Char('_'), 0, 0) + QStringLiteral("_vs_nixos_ratio"),
                qRound(f.ratio * 10) / 10.0);
    }
    object.insert(QStringLiteral("accel"), bench.accelUsed());
    if (parser.isSet(json))
        std::printf("%s\n", QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
    else
        std::printf("%s\n", QJsonDocument(object).toJson(QJsonDocument::Indented).constData());
    return 0;
}
