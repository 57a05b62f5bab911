// vivarium-host-exec: runs one of a run's programs (QEMU, a switch, a wirefilter) on another
// host, started by Vivarium over that host's ssh connection (docs/scale-out.md).
//
//   vivarium-host-exec [--port SWITCHDIR,SOCKET,FD]... [--ready PATH] -- PROGRAM [ARG]...
//
// --port joins a port of the vde_switch whose --sock is SWITCHDIR (our end bound at SOCKET)
// and hands it to PROGRAM as descriptor FD: what Vivarium does itself for a QEMU on this host.
// The port lives while this process does. --ready prints "vivarium-ready" on stdout once PATH
// exists (QEMU's monitor socket: then every socket of it can be forwarded).
//
// The program ends when this process's input ends: ssh closes it when the connection or the
// local end (Vivarium) goes, which a program on the far side of ssh would not notice itself.
// The program's input is a pipe that ends with this process (vde_switch reads its console
// there). Exit status: the program's, or 128 + the signal that ended it.
#include "core/network/vdeport.h"

#include <QString>
#include <QStringList>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

[[noreturn]] void usage(const char *why)
{
    std::fprintf(stderr,
        "vivarium-host-exec: %s\nusage: vivarium-host-exec [--port SWITCHDIR,SOCKET,FD]... "
        "[--ready PATH] -- PROGRAM [ARG]...\n",
        why);
    std::exit(2);
}

struct Port {
    std::unique_ptr<vivarium::VdePort> port;
    int fd = -1;
};

} // namespace

int main(int argc, char **argv)
{
    std::vector<Port> ports;
    const char *ready = nullptr;
    int i = 1;
    for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
        if (std::strcmp(argv[i], "--ready") == 0 && i + 1 < argc) {
            ready = argv[++i];
        } else if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            const QStringList parts = QString::fromLocal8Bit(argv[++i]).split(QLatin1Char(','));
            bool number = false;
            const int fd = parts.size() == 3 ? parts[2].toInt(&number) : -1;
            if (!number || fd < 3)
                usage("--port takes SWITCHDIR,SOCKET,FD with FD above 2");
            Port p { std::make_unique<vivarium::VdePort>(), fd };
            QString error;
            if (!p.port->open(parts[0], parts[1], QStringLiteral("vivarium-host-exec"), &error)) {
                std::fprintf(stderr, "vivarium-host-exec: cannot join the VLAN switch: %s\n",
                    error.toLocal8Bit().constData());
                return 2;
            }
            ports.push_back(std::move(p));
        } else {
            usage("unknown option");
        }
    }
    if (i + 1 >= argc)
        usage("no program given");
    char **program = argv + i + 1;

    sigset_t childSignals;
    sigemptyset(&childSignals);
    sigaddset(&childSignals, SIGCHLD);
    sigprocmask(SIG_BLOCK, &childSignals, nullptr);
    const int childEnded = signalfd(-1, &childSignals, SFD_CLOEXEC);
    int input[2];
    if (childEnded < 0 || pipe2(input, O_CLOEXEC) < 0) {
        std::perror("vivarium-host-exec");
        return 2;
    }
    const pid_t parent = getpid();
    const pid_t child = fork();
    if (child < 0) {
        std::perror("vivarium-host-exec: fork");
        return 2;
    }
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        sigprocmask(SIG_UNBLOCK, &childSignals, nullptr);
        dup2(input[0], 0); // dup2 clears close-on-exec on the copy
        for (const Port &p : ports)
            dup2(p.port->dataSocket(), p.fd);
        execvp(program[0], program);
        std::fprintf(
            stderr, "vivarium-host-exec: cannot run %s: %s\n", program[0], std::strerror(errno));
        _exit(127);
    }
    close(input[0]); // input[1] stays open, unwritten, until this process ends
    for (Port &p : ports)
        p.port->releaseDataSocket(); // the program holds them; the ports stay ours

    bool said = ready == nullptr;
    bool inputEnded = false;
    for (;;) {
        pollfd waits[2] = { { inputEnded ? -1 : 0, POLLIN, 0 }, { childEnded, POLLIN, 0 } };
        const int n = poll(waits, 2, said ? -1 : 20);
        if (n < 0 && errno != EINTR)
            break;
        if (!said) {
            struct stat info;
            if (stat(ready, &info) == 0) {
                std::printf("vivarium-ready\n");
                std::fflush(stdout);
                said = true;
            }
        }
        if (waits[0].revents) {
            char buffer[256];
            const ssize_t got = read(0, buffer, sizeof buffer);
            if (got <= 0) { // the connection or Vivarium went: so does the program
                inputEnded = true;
                kill(child, SIGKILL);
            }
        }
        int status = 0;
        if (waitpid(child, &status, WNOHANG) == child) {
            if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
            return WEXITSTATUS(status);
        }
        if (waits[1].revents) {
            signalfd_siginfo info;
            [[maybe_unused]] const ssize_t got = read(childEnded, &info, sizeof info);
        }
    }
    kill(child, SIGKILL);
    return 2;
}
