#pragma once

#include <QImage>
#include <QString>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace vivarium {

// A video of a machine's screen: a thread takes the screen five times a second while it
// changes (once a second when it has been still for a second: each take costs QEMU a dump)
// and hands the frames that changed (and one every two seconds when nothing does) to ffmpeg,
// which writes
// H.264 in a fragmented MP4 (playable in a browser, and still readable when the run was
// killed). Frames carry the wall clock, so the video's time is the run's time.
class ScreenVideo {
public:
    // grab: the screen now; it may throw (QEMU not running), and that frame is skipped.
    ScreenVideo(QString path, std::function<QImage()> grab);
    ~ScreenVideo();
    ScreenVideo(const ScreenVideo &) = delete;
    ScreenVideo &operator=(const ScreenVideo &) = delete;

    // False, with why, when ffmpeg cannot be started.
    bool start(QString *error);
    // Writes what is left and waits for ffmpeg to end the file.
    void stop();
    QString path() const { return m_path; }
    qint64 startMs() const { return m_startMs; }

    static constexpr int intervalMs = 200; // 5 frames a second while the screen changes
    static constexpr int idleIntervalMs = 1000; // once it has been still for a second
    static constexpr int stillMs = 2000; // an unchanged screen is written again this often

private:
    void loop();

    QString m_path;
    std::function<QImage()> m_grab;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    qint64 m_startMs = 0;
};

} // namespace vivarium
