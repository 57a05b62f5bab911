#pragma once

#include <QString>
#include <QStringList>

namespace vivarium {

// A private (0700) directory for one run's sockets and machine disks, removed at the end unless
// kept. Short, so unix socket paths stay under their 108-byte limit. It names its owner (the
// process id and its start time) in a file, so that a directory left by a process that was
// killed (SIGKILL cannot be caught) is known as stale and removed by the next run.
class RunDirectory {
public:
    RunDirectory();
    ~RunDirectory();
    RunDirectory(const RunDirectory &) = delete;
    RunDirectory &operator=(const RunDirectory &) = delete;

    bool isValid() const { return !m_path.isEmpty(); }
    QString path() const { return m_path; }
    void setKeep(bool keep) { m_keep = keep; }

    // Where run directories go: $VIVARIUM_RUN_DIR, else $XDG_RUNTIME_DIR, else /tmp.
    static QString base();
    // Removes the run directories under base() whose owner process is gone; kept ones (-K) are
    // left alone. Returns the paths removed.
    static QStringList removeStale();

private:
    QString m_path;
    bool m_keep = false;
};

} // namespace vivarium
