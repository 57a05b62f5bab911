#pragma once

#include <QString>

namespace vivarium {

// A run's output directory (-o), held for the run. Made 0700 when the run creates it (reports
// hold what guests printed); an existing directory is the user's and keeps its mode. A lock in
// it (.vivarium.lock, flock) refuses a second run with the same directory while the first is
// going: two runs writing one set of reports lose one of them.
class OutputDirectory {
public:
    OutputDirectory() = default;
    ~OutputDirectory();
    OutputDirectory(const OutputDirectory &) = delete;
    OutputDirectory &operator=(const OutputDirectory &) = delete;

    // False, with *error saying why (not a directory, cannot be made, in use by another run).
    bool claim(const QString &path, QString *error);
    QString path() const { return m_path; }
    // Whether a run holds path now (its lock taken), in this process or another.
    static bool inUse(const QString &path);

private:
    QString m_path;
    int m_lock = -1;
};

} // namespace vivarium
