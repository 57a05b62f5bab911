#pragma once

#include <QStringList>
#include <string>
#include <vector>

namespace vivarium {

// What guests see of the host through the host share (9p of "/"): all of it but its secrets.
// QEMU serves the share, so QEMU starts in a mount namespace of its own in which /root and
// /home are empty and the shadow files and SSH host keys are empty files; the directories QEMU
// itself needs (its kernel, the machine's directory) are bound back in. Without the rights to
// make a mount namespace (not root) QEMU reads only what the user may read, and the view is
// the user's own (docs/guests.md).
class HostView {
public:
    // needed: directories QEMU must still reach, even below a hidden one. empty: an empty file
    // of ours to show in place of each hidden file.
    HostView(const QStringList &needed, const QString &empty);

    // In the child between fork and exec: makes the view. Only system calls on data prepared
    // by the constructor (no allocation: the parent has other threads). Returns false when
    // the namespace cannot be made (then QEMU sees what its user may read).
    bool applyInChild() const;

    // Host paths hidden from guests, for docs and tests.
    static QStringList hiddenDirectories();
    static QStringList hiddenFiles();

private:
    std::vector<std::string> m_coverDirs;
    std::vector<std::string> m_hideFiles;
    std::string m_empty;
    // Needed directories below a covered one, with a buffer to create their path in.
    struct Keep {
        std::string path;
        mutable std::vector<char> scratch;
    };
    std::vector<Keep> m_keep;
};

} // namespace vivarium
