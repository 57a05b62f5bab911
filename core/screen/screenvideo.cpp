#include "core/screen/screenvideo.h"

#include "core/util/childprocess.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QPainter>
#include <QProcess>

namespace vivarium {

namespace {

QStringList ffmpegArguments(const QSize &size, const QString &path)
{
    return { QStringLiteral("-y"), QStringLiteral("-loglevel"), QStringLiteral("error"),
        QStringLiteral("-f"), QStringLiteral("rawvideo"), QStringLiteral("-pix_fmt"),
        QStringLiteral("rgb24"), QStringLiteral("-s"),
        QStringLiteral("%1x%2").arg(size.width()).arg(size.height()),
        QStringLiteral("-use_wallclock_as_timestamps"), QStringLiteral("1"), QStringLiteral("-i"),
        QStringLiteral("-"), QStringLiteral("-fps_mode"), QStringLiteral("passthrough"),
        // ultrafast: ~7 % of a core with every frame changing at 1024x768 (docs/benchmark.md).
        QStringLiteral("-c:v"), QStringLiteral("libx264"), QStringLiteral("-preset"),
        QStringLiteral("ultrafast"), QStringLiteral("-pix_fmt"), QStringLiteral("yuv420p"),
        QStringLiteral("-movflags"), QStringLiteral("frag_keyframe+empty_moov"), path };
}

// A frame of another size (the 640x480 console before Xorg's 1024x768, a mode change) in the
// middle of the video's, made smaller only when it is larger.
QImage fitted(const QImage &frame, const QSize &size)
{
    QImage out(size, QImage::Format_RGB888);
    out.fill(Qt::black);
    const QImage scaled = frame.width() <= size.width() && frame.height() <= size.height()
        ? frame
        : frame.scaled(size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    QPainter painter(&out);
    painter.drawImage(
        (size.width() - scaled.width()) / 2, (size.height() - scaled.height()) / 2, scaled);
    return out;
}

} // namespace

ScreenVideo::ScreenVideo(QString path, std::function<QImage()> grab)
    : m_path(std::move(path))
    , m_grab(std::move(grab))
{
}

ScreenVideo::~ScreenVideo()
{
    stop();
}

bool ScreenVideo::start(QString *error)
{
    QProcess probe;
    probe.start(QStringLiteral("ffmpeg"), { QStringLiteral("-version") });
    if (!probe.waitForFinished(10000) || probe.exitCode() != 0) {
        *error = QStringLiteral("cannot record the screen's video: ffmpeg does not run here "
                                "(install the Debian package ffmpeg, or turn videos off)");
        return false;
    }
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    m_startMs = QDateTime::currentMSecsSinceEpoch();
    m_thread = std::thread([this] { loop(); });
    return true;
}

void ScreenVideo::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void ScreenVideo::loop()
{
    QProcess ffmpeg; // driven with waitFor*: this thread has no event loop
    QSize size;
    QImage last;
    QElapsedTimer sinceWrite, sinceChange;
    sinceChange.start();
    const auto write = [&](const QImage &frame) {
        const QImage rgb = (frame.size() == size ? frame : fitted(frame, size))
                               .convertToFormat(QImage::Format_RGB888);
        for (int y = 0; y < rgb.height(); ++y)
            ffmpeg.write(reinterpret_cast<const char *>(rgb.constScanLine(y)), rgb.width() * 3);
        while (ffmpeg.bytesToWrite() > 0 && ffmpeg.waitForBytesWritten(5000)) { }
        sinceWrite.restart();
    };
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            const int wait = sinceChange.elapsed() > 1000 ? idleIntervalMs : intervalMs;
            if (m_wake.wait_for(lock, std::chrono::milliseconds(wait), [&] { return m_stopping; }))
                break;
        }
        QImage frame;
        try {
            frame = m_grab();
        } catch (...) {
            continue; // QEMU not running now (between boots): no frame
        }
        if (frame.isNull())
            continue;
        if (size.isEmpty()) {
            size = frame.size().expandedTo(QSize(1024, 768));
            dieWithParent(&ffmpeg);
            ffmpeg.setStandardOutputFile(QProcess::nullDevice());
            ffmpeg.setStandardErrorFile(m_path + QStringLiteral(".log"));
            ffmpeg.start(QStringLiteral("ffmpeg"), ffmpegArguments(size, m_path));
            if (!ffmpeg.waitForStarted(10000))
                return;
        }
        const bool changed = frame != last;
        if (changed)
            sinceChange.restart();
        if (changed || sinceWrite.elapsed() >= stillMs) {
            write(frame);
            last = frame;
        }
    }
    if (size.isEmpty())
        return;
    if (!last.isNull())
        write(last); // the end of the run, so the video lasts until then
    ffmpeg.closeWriteChannel();
    if (!ffmpeg.waitForFinished(30000))
        ffmpeg.kill();
    if (QFileInfo(m_path + QStringLiteral(".log")).size() == 0)
        QFile::remove(m_path + QStringLiteral(".log"));
}

} // namespace vivarium
