#pragma once

class QProcess;

namespace vivarium {

// Makes the child die with Vivarium, also when Vivarium is killed with SIGKILL
// (PR_SET_PDEATHSIG), and gives it a process group of its own.
void dieWithParent(QProcess *process);

} // namespace vivarium
