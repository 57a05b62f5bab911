#include "benchscreens.h"

#include "core/machine/testrun.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <cmath>
#include <unistd.h>

using namespace vivarium;

namespace {

const QByteArray desktopToml = "[machines.desk]\ndesktop = \"x11\"\nmemory = 512\n"
                               "x11_commands = [\"xterm -fa 'DejaVu Sans Mono' -fs 12 -geometry "
                               "100x40+10+10 -e bash -c 'ls -l /etc | head -n 10; exec bash'\"]\n";

double msSince(const QElapsedTimer &clock)
{
    return double(clock.nsecsElapsed()) / 1e6;
}

// NixOS's driver on one screenshot: the tesseract program on the screenshot and on ImageMagick's
// positive and negative variants (its arguments), the three at once. Debian's English data has
// no legacy model for its --oem 2: the LSTM alone (--oem 1) runs instead, which is faster.
double nixosOcrMs(const QString &png, const QString &dir)
{
    const QStringList magick { QStringLiteral("-filter"), QStringLiteral("Catrom"),
        QStringLiteral("-density"), QStringLiteral("72"), QStringLiteral("-resample"),
        QStringLiteral("300"), QStringLiteral("-contrast"), QStringLiteral("-normalize"),
        QStringLiteral("-despeckle"), QStringLiteral("-type"), QStringLiteral("grayscale"),
        QStringLiteral("-sharpen"), QStringLiteral("1"), QStringLiteral("-posterize"),
        QStringLiteral("3") };
    const QString tesseract
        = QStringLiteral("tesseract %1 - --oem 1 --psm 11 -c debug_file=/dev/null");
    const auto quoted
        = [](const QString &s) -> QString { return QLatin1Char('\'') + s + QLatin1Char('\''); };
    const QString positive = dir + QStringLiteral("/shot.positive.png");
    const QString negative = dir + QStringLiteral("/shot.negative.png");
    const QString script = QStringLiteral(
        "%1 > /dev/null & "
        "{ convert %2 %3 -gamma 100 -blur 1x65535 %4 && %5 > /dev/null; } & "
        "{ convert %2 %3 -negate -gamma 100 -blur 1x65535 %6 && %7 > /dev/null; } & "
        "wait")
                               .arg(tesseract.arg(quoted(png)), magick.join(QLatin1Char(' ')),
                                   quoted(png), quoted(positive), tesseract.arg(quoted(positive)),
                                   quoted(negative), tesseract.arg(quoted(negative)));
    QElapsedTimer clock;
    clock.start();
    QProcess shell;
    shell.start(QStringLiteral("bash"), { QStringLiteral("-c"), script });
    shell.waitForFinished(120000);
    return msSince(clock);
}

// CPU seconds so far of this process, the machine's QEMU and the ffmpeg children recording.
double cpuSeconds(qint64 qemuPid)
{
    const auto ticks = [](const QString &pid, QByteArray *comm, qint64 *ppid) -> double {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            return 0;
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');
        if (comm)
            *comm = line.mid(line.indexOf('(') + 1, close - line.indexOf('(') - 1);
        const QList<QByteArray> fields = line.mid(close + 2).split(' ');
        if (ppid)
            *ppid = fields.value(1).toLongLong();
        return double(fields.value(11).toLongLong() + fields.value(12).toLongLong())
            / double(sysconf(_SC_CLK_TCK));
    };
    double total = ticks(QString::number(getpid()), nullptr, nullptr)
        + ticks(QString::number(qemuPid), nullptr, nullptr);
    for (const QString &pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        QByteArray comm;
        qint64 ppid = 0;
        const double seconds = ticks(pid, &comm, &ppid);
        if (comm == "ffmpeg" && ppid == getpid())
            total += seconds;
    }
    return total;
}

// CPU seconds the desktop takes while its xterm prints a line a second for twenty seconds.
double workloadCpu(const SessionMaker &makeSession, bool video)
{
    std::unique_ptr<Session> session = makeSession(
        video ? QStringLiteral("video-on") : QStringLiteral("video-off"), desktopToml, video);
    Machine *desk = session->run()->machine(QStringLiteral("desk"));
    desk->waitForX(300);
    desk->waitForText(QStringLiteral("adduser"), 120);
    desk->mouseClick(500, 300);
    const double before = cpuSeconds(desk->qemuPid());
    for (int i = 0; i < 20; ++i) {
        desk->sendChars(QStringLiteral("echo line %1\n").arg(i), 0.01);
        QThread::msleep(1000);
    }
    return cpuSeconds(desk->qemuPid()) - before;
}

} // namespace

QList<BenchFigure> measureScreens(const SessionMaker &makeSession, bool quick)
{
    QList<BenchFigure> figures;
    const int runs = quick ? 5 : 15;
    QElapsedTimer startClock;
    startClock.start();
    std::unique_ptr<Session> session = makeSession(QStringLiteral("screens"), desktopToml, true);
    Machine *desk = session->run()->machine(QStringLiteral("desk"));
    desk->waitForX(300);
    desk->waitUntilSucceeds(
        QStringLiteral("DISPLAY=:0 xwininfo -root -tree | grep -q '\"xterm\"'"), 300);
    figures << BenchFigure { QStringLiteral("x11_ready_s"),
        QStringLiteral("desktop start to wait_for_window(\"xterm\")"),
        double(startClock.elapsed()) / 1000.0, QStringLiteral("s"), QString() };
    desk->waitForText(QStringLiteral("adduser"), 120); // the listing is drawn

    // A terminal with a prompt and ten lines of output, as most graphical tests read; then the
    // same xterm full (36 lines of 60-100 characters), the worst case of a poll.
    const auto timeReads = [&](QList<double> *plain, QList<double> *all) {
        for (int i = 0; i < runs; ++i) {
            QElapsedTimer clock;
            clock.start();
            desk->getScreenText();
            *plain << msSince(clock);
            if (!all)
                continue;
            clock.restart();
            desk->getScreenTextVariants();
            *all << msSince(clock);
        }
    };
    QList<double> ours, variants, dense;
    timeReads(&ours, &variants);
    QTemporaryDir dir;
    const QString png = desk->screenshot(dir.filePath(QStringLiteral("shot.png")));
    QList<double> theirs;
    for (int i = 0; i < qMax(3, runs / 3); ++i)
        theirs << nixosOcrMs(png, dir.path());
    const double p50 = percentile(ours, 0.5);
    figures << BenchFigure { QStringLiteral("ocr_poll_ms"),
        QStringLiteral("get_screen_text() of a 1024x768 xterm screen (median)"), p50,
        QStringLiteral("ms"), QStringLiteral("<= 500"), percentile(theirs, 0.5) / p50 };
    figures << BenchFigure { QStringLiteral("ocr_variants_ms"),
        QStringLiteral("get_screen_text_variants(), all three (median)"), percentile(variants, 0.5),
        QStringLiteral("ms"), QString() };
    figures << BenchFigure { QStringLiteral("nixos_ocr_poll_ms"),
        QStringLiteral("the same screen the NixOS way (median)"), percentile(theirs, 0.5),
        QStringLiteral("ms"), QStringLiteral("ratio >= 10x") };

    // A needle of the window's title bar and first lines, as a recording would cut it.
    QFile json(dir.filePath(QStringLiteral("shot.json")));
    json.open(QIODevice::WriteOnly);
    json.write(
        R"({"area": [{"xpos": 10, "ypos": 10, "width": 400, "height": 80, "type": "match"}]})");
    json.close();
    QList<double> matches;
    for (int i = 0; i < runs * 2; ++i) {
        QElapsedTimer clock;
        clock.start();
        if (desk->matchScreen(json.fileName(), std::nan("")).isEmpty())
            qFatal("vivarium-bench: the needle cut from the screen did not match it");
        matches << msSince(clock);
    }
    figures << BenchFigure { QStringLiteral("needle_match_ms"),
        QStringLiteral("match_screen() of a 400x80 needle, margin 50 (median)"),
        percentile(matches, 0.5), QStringLiteral("ms"), QStringLiteral("<= 50") };

    desk->mouseClick(500, 300);
    desk->sendChars(
        QStringLiteral("clear; seq -f 'line %g of a screen full of text, the worst case' 36\n"),
        0.01);
    desk->waitForText(QStringLiteral("line 36 of"), 120);
    timeReads(&dense, nullptr);
    figures << BenchFigure { QStringLiteral("ocr_dense_ms"),
        QStringLiteral("get_screen_text() of the xterm full of text (median)"),
        percentile(dense, 0.5), QStringLiteral("ms"), QString() };
    session.reset();

    // Interleaved, medians: the host's speed drifts.
    QList<double> off, on;
    for (int i = 0; i < (quick ? 1 : 3); ++i) {
        off << workloadCpu(makeSession, false);
        on << workloadCpu(makeSession, true);
    }
    figures << BenchFigure { QStringLiteral("video_overhead_pct"),
        QStringLiteral("CPU of a desktop run with video vs without"),
        (percentile(on, 0.5) / percentile(off, 0.5) - 1) * 100, QStringLiteral("%"), QString() };
    return figures;
}
