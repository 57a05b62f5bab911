// The machine's screen: screenshots, the X11 desktop, OCR, needles and the mouse.
#include "core/machine/machine.h"
#include "core/screen/needle.h"
#include "core/screen/ocr.h"
#include "core/screen/screenerror.h"
#include "core/util/pngwriter.h"
#include "core/util/textformat.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QThread>

namespace vivarium {

namespace {

// The action's arguments with the region, when there is one (a whole screen names none).
ActionArguments withRegion(ActionArguments arguments, const QRect &region)
{
    if (!region.isNull())
        arguments.append({ QStringLiteral("region"),
            QJsonArray { region.x(), region.y(), region.width(), region.height() } });
    return arguments;
}

QVariantMap matchValue(const NeedleMatch &match)
{
    const QRect first = match.areas.value(0).found;
    return { { QStringLiteral("x"), first.x() }, { QStringLiteral("y"), first.y() },
        { QStringLiteral("width"), first.width() }, { QStringLiteral("height"), first.height() },
        { QStringLiteral("similarity"), match.worst() },
        { QStringLiteral("click"), QPoint(match.click) } };
}

} // namespace

QString Machine::screenshot(const QString &name)
{
    return actionResult<QString>(
        QStringLiteral("screenshot"), { { QStringLiteral("name"), name } }, [&] {
            QString path = name;
            if (!name.contains(QLatin1Char('/')))
                path = outputPath(QStringLiteral("screenshots"), name);
            if (!path.endsWith(QLatin1String(".png")))
                path += QStringLiteral(".png");
            path = QFileInfo(path).absoluteFilePath();
            const QImage image = requireScreen("to take screenshots");
            savePng(image, path);
            actionArtifact() = path;
            return path;
        });
}

QSize Machine::screenSize()
{
    return actionResult<QSize>(QStringLiteral("get_screen_size"), {},
        [&] { return requireScreen("to have a screen size").size(); });
}

QImage Machine::grabScreen(double timeout)
{
    if (!m_spec.graphics)
        return {};
    // One dump file per calling thread: the workbench's polling and a script's screenshot
    // may dump at the same time.
    const QString raw = m_paths.root
        + QStringLiteral("/screendump-%1.ppm").arg(quintptr(QThread::currentThreadId()), 0, 16);
    qmp(QStringLiteral("screendump"), { { QStringLiteral("filename"), raw } }, timeout);
    QFile file(raw);
    const QByteArray dump = file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    file.remove();
    const QImage image = imageFromPpm(dump);
    if (image.isNull())
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: QEMU's screen dump %2 cannot be read")
                .arg(m_spec.name, raw));
    return image;
}

void Machine::startVideo()
{
    if (!m_spec.graphics || !m_context.video || m_video)
        return;
    // One video for the whole run: it goes on across crashes and restarts (no frames while the
    // machine is off). A short timeout per frame: stopping waits for the frame in flight.
    m_video = std::make_unique<ScreenVideo>(
        outputPath(QStringLiteral("video"), m_spec.name + QStringLiteral(".mp4")),
        [this] { return grabScreen(5); });
    QString error;
    if (!m_video->start(&error)) {
        m_video.reset();
        if (m_context.events)
            m_context.events->post(
                event::Log { QStringLiteral("machine %1: %2").arg(m_spec.name, error) });
        return;
    }
    if (m_context.events)
        m_context.events->post(
            event::VideoStarted { m_spec.name, m_video->path(), m_video->startMs() });
}

QImage Machine::requireScreen(const char *what)
{
    if (!m_spec.graphics)
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral(
                "machine %1 has no screen: set graphics = true (or desktop = \"x11\") %2")
                .arg(m_spec.name, QLatin1String(what)));
    return grabScreen();
}

QString Machine::outputPath(const QString &dir, const QString &name) const
{
    QDir().mkpath(m_context.outDir + QLatin1Char('/') + dir);
    return m_context.outDir + QLatin1Char('/') + dir + QLatin1Char('/') + name;
}

void Machine::savePng(const QImage &image, const QString &path) const
{
    // A raw dump written by a PNG writer tuned for screens: QEMU's own PNG encoder took ~28 ms
    // for 1024x768 here, Qt's ~20 ms; this one a few.
    if (const QString problem = writeScreenPng(image, path); !problem.isEmpty())
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: cannot write %2: %3").arg(m_spec.name, path, problem));
}

void Machine::waitForX(double timeout)
{
    action(QStringLiteral("wait_for_x"), {}, [&] {
        // The desktop's session leaves a note when Xorg does not come up: said at once, with
        // its log's place, instead of polling until the timeout.
        const QString probe = QStringLiteral(
            "if [ -e /run/vivarium-x11.failed ]; then cat /run/vivarium-x11.failed; exit 42; fi; "
            "DISPLAY=:0 xset -q > /dev/null 2>&1");
        QElapsedTimer clock;
        clock.start();
        for (;;) {
            const double left = timeout - double(clock.elapsed()) / 1000.0;
            if (left <= 0)
                throw MachineError(MachineError::Kind::Timeout,
                    QStringLiteral("machine %1: no X server answered on DISPLAY=:0 within %2 s%3")
                        .arg(m_spec.name)
                        .arg(timeout)
                        .arg(m_spec.desktop.isEmpty()
                                ? QStringLiteral(" (the machine has no desktop key: set "
                                                 "desktop = \"x11\", or start one in commands)")
                                : QString()));
            const CommandResult r = runCommand(probe, left);
            if (r.status == 0)
                return;
            if (r.status == 42)
                throw MachineError(MachineError::Kind::Failed,
                    QStringLiteral("machine %1: the X11 desktop did not start: %2")
                        .arg(m_spec.name, QString::fromUtf8(r.stdoutBytes).trimmed()));
            pollPause();
        }
    });
}

QStringList Machine::windowNames(Windows which)
{
    ActionArguments arguments;
    if (which == Windows::Visible)
        arguments.append({ QStringLiteral("visible"), true });
    return actionResult<QStringList>(QStringLiteral("get_window_names"), arguments, [&] {
        // xwininfo fails with BadWindow when a window goes away while it walks the tree (a
        // window manager starting, a dialog closing): that walk is tried again. xdotool's search
        // exits 1 when no window is mapped: xwininfo first tells that apart from no X server.
        const QString command = which == Windows::All
            ? QStringLiteral("DISPLAY=:0 xwininfo -root -tree | sed "
                             "'s/.*0x[0-9a-f]* \"\\([^\"]*\\)\".*/\\1/; t; d'")
            : QStringLiteral("export DISPLAY=:0; xwininfo -root >/dev/null && "
                             "{ xdotool search --onlyvisible --name . getwindowname %@ || true; }");
        CommandResult result;
        for (int attempt = 0; attempt < 5; ++attempt) {
            result = runCommand(command, 60);
            if (result.status == 0)
                return QString::fromUtf8(result.stdoutBytes)
                    .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            pollPause();
        }
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("machine %1: cannot list the X windows (exit code %2): %3")
                .arg(m_spec.name)
                .arg(result.status)
                .arg(shortened(QString::fromUtf8(result.stderrBytes).simplified(), 300)));
    });
}

QString Machine::getScreenText(const QRect &region)
{
    return actionResult<QString>(QStringLiteral("get_screen_text"), withRegion({}, region), [&] {
        return readScreen(requireScreen("to read text from"), ocr::Variant::Plain, region).text();
    });
}

QStringList Machine::getScreenTextVariants(const QRect &region)
{
    return actionResult<QStringList>(
        QStringLiteral("get_screen_text_variants"), withRegion({}, region), [&] {
            const QImage screen = requireScreen("to read text from");
            QStringList texts;
            for (const ocr::Variant variant : ocr::variants())
                texts.append(readScreen(screen, variant, region).text());
            return texts;
        });
}

ocr::Reading Machine::readScreen(const QImage &screen, ocr::Variant variant, const QRect &region)
{
    try {
        return ocr::read(screen, variant, region);
    } catch (const ScreenError &e) {
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: %2").arg(m_spec.name, e.message()));
    }
}

QRegularExpression Machine::screenPattern(const QString &regex) const
{
    const QRegularExpression pattern(regex);
    if (!pattern.isValid())
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: /%2/ is not a regular expression: %3")
                .arg(m_spec.name, regex, pattern.errorString()));
    return pattern;
}

QList<QRect> Machine::textBoxes(
    const QImage &screen, const QRegularExpression &pattern, const QRect &region, bool firstOnly)
{
    // Variant by variant, cheapest first, stopping at the first that finds it when one box is
    // enough: the NixOS driver reads all three every time.
    QList<QRect> boxes;
    for (const ocr::Variant variant : ocr::variants()) {
        for (const QRect &box : ocr::find(readScreen(screen, variant, region), pattern)) {
            const bool known = std::any_of(boxes.cbegin(), boxes.cend(), [&](const QRect &b) {
                const QRect common = b.intersected(box);
                return common.width() * common.height() * 2 > box.width() * box.height();
            });
            if (!known)
                boxes.append(box);
        }
        if (firstOnly && !boxes.isEmpty())
            break;
    }
    return boxes;
}

QList<QRect> Machine::findText(const QString &regex, const QRect &region)
{
    return actionResult<QList<QRect>>(QStringLiteral("find_text"),
        withRegion({ { QStringLiteral("regex"), regex } }, region), [&] {
            return textBoxes(requireScreen("to find text on"), screenPattern(regex), region, false);
        });
}

QRect Machine::waitForTextBox(const QString &regex, double timeout)
{
    const QRegularExpression pattern = screenPattern(regex);
    QElapsedTimer clock;
    clock.start();
    QImage last;
    for (;;) {
        const QImage screen = requireScreen("to read text from");
        // An unchanged screen reads as before: no OCR until it changes.
        if (screen != last) {
            const QList<QRect> boxes = textBoxes(screen, pattern, {}, true);
            if (!boxes.isEmpty())
                return boxes.first();
            last = screen;
        }
        if (double(clock.elapsed()) / 1000.0 >= timeout) {
            const QString shot = outputPath(QStringLiteral("screenshots"),
                QStringLiteral("%1-wait_for_text-%2.png")
                    .arg(m_spec.name)
                    .arg(QDateTime::currentMSecsSinceEpoch()));
            savePng(last, shot);
            actionArtifact() = shot;
            throw MachineError(MachineError::Kind::Timeout,
                formatText(u"machine %1: no text on the screen matched /%2/ within %3 s; the "
                           "last screen (%4) read: %5",
                    m_spec.name, regex, timeout, shot,
                    shortened(readScreen(last, ocr::Variant::Plain, {}).text().simplified(), 300)));
        }
        pollPause();
    }
}

void Machine::waitForText(const QString &regex, double timeout)
{
    action(QStringLiteral("wait_for_text"), { { QStringLiteral("regex"), regex } },
        [&] { waitForTextBox(regex, timeout); });
}

Needle Machine::needle(const QString &path) const
{
    QString file = path;
    const QString testFile = m_context.spec ? m_context.spec->snapshot()->file : QString();
    if (QFileInfo(path).isRelative() && !testFile.isEmpty()) {
        const QString besideTest = QFileInfo(testFile).absolutePath() + QLatin1Char('/') + path;
        if (QFileInfo::exists(besideTest) || !QFileInfo::exists(path))
            file = besideTest;
    }
    try {
        return loadNeedle(file);
    } catch (const ScreenError &e) {
        throw MachineError(MachineError::Kind::Usage, e.message());
    }
}

std::optional<NeedleMatch> Machine::matchOnce(
    const Needle &needle, double threshold, NeedleMatch *best, QImage *screen)
{
    if (!std::isnan(threshold) && (threshold <= 0 || threshold > 1))
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: threshold %2 is not a similarity from 0 to 1 (0.96 = 96 %)")
                .arg(m_spec.name)
                .arg(threshold));
    *screen = requireScreen("to match a needle on");
    try {
        const NeedleMatch match = matchNeedle(needle, *screen,
            std::isnan(threshold) ? std::nullopt : std::optional<double>(threshold));
        if (best->areas.isEmpty() || match.worst() > best->worst())
            *best = match;
        if (match.ok())
            return match;
    } catch (const ScreenError &e) {
        throw MachineError(MachineError::Kind::Usage,
            QStringLiteral("machine %1: %2").arg(m_spec.name, e.message()));
    }
    return std::nullopt;
}

QVariantMap Machine::matchScreen(const QString &needlePath, double threshold)
{
    return actionResult<QVariantMap>(QStringLiteral("match_screen"),
        { { QStringLiteral("needle"), needlePath } }, [&]() -> QVariantMap {
            NeedleMatch best;
            QImage screen;
            const auto match = matchOnce(needle(needlePath), threshold, &best, &screen);
            return match ? matchValue(*match) : QVariantMap();
        });
}

NeedleMatch Machine::waitForNeedle(const QString &needlePath, double timeout, double threshold)
{
    const Needle wanted = needle(needlePath);
    QElapsedTimer clock;
    clock.start();
    NeedleMatch best;
    QImage screen, bestScreen;
    for (;;) {
        const double before = best.areas.isEmpty() ? -1 : best.worst();
        if (const auto match = matchOnce(wanted, threshold, &best, &screen))
            return *match;
        if (best.worst() > before)
            bestScreen = screen;
        if (double(clock.elapsed()) / 1000.0 >= timeout) {
            const QString diff = outputPath(QStringLiteral("needles"),
                QStringLiteral("%1-%2-diff.png")
                    .arg(m_spec.name, QFileInfo(wanted.file).completeBaseName()));
            savePng(needleDiffImage(wanted, bestScreen, best), diff);
            actionArtifact() = diff;
            throw MachineError(MachineError::Kind::Timeout,
                formatText(u"machine %1: the needle %2 did not match within %3 s: %4; the "
                           "differences at the best place: %5",
                    m_spec.name, wanted.file, timeout, best.summary(), diff));
        }
        pollPause();
    }
}

QVariantMap Machine::waitForScreen(const QString &needlePath, double timeout, double threshold)
{
    return actionResult<QVariantMap>(QStringLiteral("wait_for_screen"),
        { { QStringLiteral("needle"), needlePath } },
        [&] { return matchValue(waitForNeedle(needlePath, timeout, threshold)); });
}

QList<QRect> Machine::clickText(const QString &regex, double timeout)
{
    return actionResult<QList<QRect>>(
        QStringLiteral("click_text"), { { QStringLiteral("regex"), regex } }, [&] {
            const QRect box = waitForTextBox(regex, timeout);
            clickAt(box.center().x(), box.center().y(), QStringLiteral("left"));
            return QList<QRect> { box };
        });
}

QVariantMap Machine::clickNeedle(const QString &needlePath, double timeout, double threshold)
{
    return actionResult<QVariantMap>(
        QStringLiteral("click_needle"), { { QStringLiteral("needle"), needlePath } }, [&] {
            const NeedleMatch match = waitForNeedle(needlePath, timeout, threshold);
            clickAt(match.click.x(), match.click.y(), QStringLiteral("left"));
            return matchValue(match);
        });
}

} // namespace vivarium
