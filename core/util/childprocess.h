#pragma once

#include <QList>
#include <functional>
#include <utility>

class QProcess;
class QString;

namespace vivarium {

// Makes the child die with Vivarium, also when Vivarium is killed with SIGKILL
// (PR_SET_PDEATHSIG), and gives it a process group of its own. inherited maps descriptors of
// ours to the numbers the child gets them as (the rest stay closed on exec). inChild, if set,
// runs in the child just before exec (system calls only: the parent has other threads).
void dieWithParent(QProcess *process, const QList<std::pair<int, int>> &inherited = {},
    std::function<void()> inChild = {});

// "SIGKILL" for 9: how messages name the signal that ended a process.
QString signalName(int signal);

} // namespace vivarium
