#pragma once

#include <QString>

namespace vivarium {

// A private (0700) directory for one run's sockets and machine disks, removed at the end unless
// kept. Short, so unix socket paths stay under their 108-byte limit.
class RunDirectory {
public:
    RunDirectory();
    ~RunDirectory();
    RunDirectory(const RunDirectory &) = delete;
    RunDirectory &operator=(const RunDirectory &) = delete;

    bool isValid() const { return !m_path.isEmpty(); }
    QString path() const { return m_path; }
    void setKeep(bool keep) { m_keep = keep; }

private:
    QString m_path;
    bool m_keep = false;
};

} // namespace vivarium
