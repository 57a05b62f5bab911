// vivarium-bench's VNC figures: a graphics guest at 1024x768 draws frames into its framebuffer
// at up to 30 a second, and the workbench's VNC client (on its own thread, as in the Screen
// tab) delivers them to the GUI thread; the figure is how many arrive per second against how
// many the guest drew.
#include "benchgui.h"
#include "core/session/session.h"
#include "core/spec/specloader.h"
#include "ui/screen/vncclient.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <thread>

using namespace vivarium;

namespace {

// Draws `lines` rows of the framebuffer in alternating colours, at most fps times a second,
// for secs seconds, with bash builtins only (a program per frame would cost 50 ms under TCG);
// prints "<frames> <microseconds>". Every frame starts with its number, so no two frames in a
// row look the same (QEMU's VNC server sends only pixels that differ from what it sent).
const char producer[] = R"sh(
fps=$1; secs=$2; lines=$3
echo 0 > /sys/class/graphics/fbcon/cursor_blink 2>/dev/null
bytes=$((1024 * 4 * lines))
a=$(head -c $bytes /dev/zero | tr '\0' 'A'); b=$(head -c $bytes /dev/zero | tr '\0' 'z')
exec 4<> <(:)
period=$((1000000 / fps))
now=${EPOCHREALTIME/./}; start=$now; end=$((start + secs * 1000000)); n=0
while (( now < end )); do
  if (( n % 2 )); then f=${a:8}; else f=${b:8}; fi
  printf '%08d%s' $n "$f" > /dev/fb0
  n=$((n + 1))
  now=${EPOCHREALTIME/./}
  r=$((start + n * period - now))
  if (( r > 0 )); then
    printf -v t '%d.%06d' $((r / 1000000)) $((r % 1000000)); read -t "$t" -u 4; now=${EPOCHREALTIME/./}
  fi
done
echo "$n $((now - start))"
)sh";

void spinUntil(const std::function<bool()> &done, int limitMs)
{
    QElapsedTimer clock;
    clock.start();
    QEventLoop loop;
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, [&] {
        if (done() || clock.elapsed() >= limitMs)
            loop.quit();
    });
    tick.start(10);
    loop.exec();
}

struct Rates {
    double guestFps = 0;
    double deliveredFps = 0;
};

// Runs the producer and counts the frames the client hands over meanwhile.
Rates measure(Machine *machine, int &frames, int fps, int seconds, int lines)
{
    CommandResult result;
    std::atomic<bool> finished { false };
    std::thread guest([&] {
        try {
            result = machine->execute(
                QStringLiteral("bash /tmp/producer.sh %1 %2 %3").arg(fps).arg(seconds).arg(lines));
        } catch (const MachineError &) {
        }
        finished = true;
    });
    frames = 0;
    spinUntil([&] { return finished.load(); }, (seconds + 60) * 1000);
    guest.join();
    spinUntil([] { return false; }, 300); // the last frames in flight
    const QList<QByteArray> parts = result.stdoutBytes.trimmed().split(' ');
    if (result.status != 0 || parts.size() != 2 || parts.at(1).toDouble() <= 0)
        return {};
    const double seconds_ = parts.at(1).toDouble() / 1e6;
    return { parts.at(0).toDouble() / seconds_, frames / seconds_ };
}

// The same producer, watched through QMP screen dumps taken one after another as fast as they
// come (what a Screen could do instead of VNC): distinct frames seen per second.
Rates measureDumps(Machine *machine, int fps, int seconds, int lines)
{
    std::atomic<bool> finished { false };
    int distinct = 0;
    std::thread watcher([&] {
        QImage last;
        while (!finished) {
            try {
                const QImage frame = machine->grabScreen(5);
                if (frame != last)
                    ++distinct;
                last = frame;
            } catch (const MachineError &) {
                return;
            }
        }
    });
    const CommandResult result = machine->execute(
        QStringLiteral("bash /tmp/producer.sh %1 %2 %3").arg(fps).arg(seconds).arg(lines));
    finished = true;
    watcher.join();
    const QList<QByteArray> parts = result.stdoutBytes.trimmed().split(' ');
    if (result.status != 0 || parts.size() != 2 || parts.at(1).toDouble() <= 0)
        return {};
    const double elapsed = parts.at(1).toDouble() / 1e6;
    return { parts.at(0).toDouble() / elapsed, distinct / elapsed };
}

} // namespace

QList<BenchFigure> measureVnc(bool quick)
{
    QList<BenchFigure> figures;
    QTemporaryDir dir;
    SpecLoader loader;
    std::optional<TestSpec> spec
        = loader.loadString("[machines.screen]\ngraphics = true\nappend = \"video=1024x768\"\n",
            dir.filePath(QStringLiteral("vnc.toml")));
    Session::Options options;
    options.outDir = dir.filePath(QStringLiteral("out"));
    QString error;
    std::unique_ptr<Session> session = spec ? Session::create(*spec, options, &error) : nullptr;
    TestRun *run = session ? session->run() : nullptr;
    if (!run) {
        std::fprintf(stderr, "vnc: %s\n", qPrintable(error));
        return figures;
    }
    Machine *machine = run->machine(QStringLiteral("screen"));
    try {
        machine->start();
        machine->ensureReady(300);
        const QString script = dir.filePath(QStringLiteral("producer.sh"));
        QFile file(script);
        file.open(QIODevice::WriteOnly);
        file.write(producer);
        file.close();
        machine->copyFromHost(script, QStringLiteral("/tmp/producer.sh"));
    } catch (const MachineError &e) {
        std::fprintf(stderr, "vnc: %s\n", e.what());
        return figures;
    }

    QThread thread;
    auto *client = new VncClient(machine->paths().vncSocket);
    client->moveToThread(&thread);
    QObject::connect(&thread, &QThread::finished, client, &QObject::deleteLater);
    int frames = 0;
    QSize size;
    QObject context;
    QObject::connect(client, &VncClient::frame, &context, [&](const QImage &image, const QRect &) {
        ++frames;
        size = image.size();
    });
    thread.start();
    QMetaObject::invokeMethod(client, &VncClient::start, Qt::QueuedConnection);
    spinUntil([&] { return frames > 0; }, 30000);
    spinUntil([] { return false; }, 1000); // the console settles

    const int seconds = quick ? 4 : 8;
    const Rates band = measure(machine, frames, 30, seconds, 64);
    const Rates slow = measure(machine, frames, 10, seconds, 64);
    const Rates full = measure(machine, frames, 30, seconds, 768);
    thread.quit();
    thread.wait();
    const Rates dumps = measureDumps(machine, 30, seconds, 64);
    const QString screen = QStringLiteral("%1x%2").arg(size.width()).arg(size.height());
    figures << BenchFigure { QStringLiteral("vnc_guest_fps"),
        QStringLiteral("guest draws 1024x64 bands, asked for 30/s (%1)").arg(screen), band.guestFps,
        QStringLiteral("/s"), QString() };
    figures << BenchFigure { QStringLiteral("vnc_fps"),
        QStringLiteral("...frames the workbench received per second"), band.deliveredFps,
        QStringLiteral("/s"), QStringLiteral("= guest, <= 30") };
    figures << BenchFigure { QStringLiteral("vnc_10_guest_fps"),
        QStringLiteral("guest draws 1024x64 bands, asked for 10/s"), slow.guestFps,
        QStringLiteral("/s"), QString() };
    figures << BenchFigure { QStringLiteral("vnc_10_fps"),
        QStringLiteral("...frames the workbench received per second"), slow.deliveredFps,
        QStringLiteral("/s"), QStringLiteral("= guest") };
    figures << BenchFigure { QStringLiteral("vnc_full_guest_fps"),
        QStringLiteral("guest redraws the whole 1024x768 screen (TCG)"), full.guestFps,
        QStringLiteral("/s"), QString() };
    figures << BenchFigure { QStringLiteral("vnc_full_fps"),
        QStringLiteral("...frames the workbench received per second"), full.deliveredFps,
        QStringLiteral("/s"), QStringLiteral("= guest") };
    figures << BenchFigure { QStringLiteral("dump_guest_fps"),
        QStringLiteral("guest draws 1024x64 bands, asked for 30/s, once more"), dumps.guestFps,
        QStringLiteral("/s"), QString() };
    figures << BenchFigure { QStringLiteral("dump_fps"),
        QStringLiteral("...distinct frames seen by back-to-back QMP dumps"), dumps.deliveredFps,
        QStringLiteral("/s"), QStringLiteral("= guest") };
    try {
        machine->crash();
    } catch (const MachineError &) {
    }
    return figures;
}
