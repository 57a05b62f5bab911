/*
 * vivarium-agent: the backdoor inside every host-share guest.
 *
 * Runs on a virtio console (hvc0) in raw mode and keeps one bash alive, so a command costs one
 * round trip and one fork. Frames in both directions are
 *   'V' 'V' type flags  id:u32le  length:u32le  payload[length]
 * Host to guest: 'C' run the payload as a bash command, 'K' kill the running command.
 * Guest to host: 'R' ready (payload: version), 'O' stdout bytes, 'E' stderr bytes,
 *                'X' exit (payload: status as i32le; 128+N for signal N).
 * The command text goes to bash as NUL-terminated data and is eval'ed, so a syntax error in it
 * is that command's failure, never the protocol's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

enum { HeaderSize = 12, MaxPayload = 64 * 1024 * 1024 };

/* Commands run in the one shell, without a subshell: a fork costs ~9 ms under TCG. `cd` and
 * shell options are reset after each command; `exit` ends the shell, whose EXIT trap still
 * reports the status, and the agent starts a new one. */
static const char shellSetup[] =
    "trap 'echo $? exit >&5' EXIT\n"
    "__vv_run() { IFS= read -r -d '' __vv_cmd; eval \"$__vv_cmd\" </dev/null; }\n"
    "_() { __vv_run; echo $? >&5; builtin cd /; set +euxo pipefail; }\n";
/* bash reads a pipe one byte at a time, and each read is a syscall: keep this line short. */
static const char runLine[] = "_\n";

static int tty = -1;
static pid_t shell = -1;
static int shellIn = -1, shellOut = -1, shellErr = -1, shellStatus = -1;

static void die(const char *what)
{
    fprintf(stderr, "vivarium-agent: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void writeAll(int fd, const void *data, size_t size)
{
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                if (errno == EAGAIN) {
                    struct pollfd w = { fd, POLLOUT, 0 };
                    poll(&w, 1, 100);
                }
                continue;
            }
            die("write");
        }
        p += n;
        size -= (size_t)n;
    }
}

static void putU32(unsigned char *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (v >> 24) & 0xff;
}

static uint32_t getU32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void sendFrame(char type, uint32_t id, const void *payload, uint32_t size)
{
    unsigned char header[HeaderSize] = { 'V', 'V', (unsigned char)type, 0 };
    putU32(header + 4, id);
    putU32(header + 8, size);
    writeAll(tty, header, sizeof header);
    if (size > 0)
        writeAll(tty, payload, size);
}

static void startShell(void)
{
    int in[2], out[2], err[2], status[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)
        || pipe2(status, O_CLOEXEC))
        die("pipe");
    shell = fork();
    if (shell < 0)
        die("fork");
    if (shell == 0) {
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        dup2(status[1], 5);
        signal(SIGPIPE, SIG_DFL);
        if (chdir("/") != 0)
            _exit(127);
        execlp("bash", "bash", "--noprofile", "--norc", (char *)NULL);
        _exit(127);
    }
    setpgid(shell, shell);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    close(status[1]);
    shellIn = in[1];
    shellOut = out[0];
    shellErr = err[0];
    shellStatus = status[0];
    fcntl(shellOut, F_SETFL, O_NONBLOCK);
    fcntl(shellErr, F_SETFL, O_NONBLOCK);
    writeAll(shellIn, shellSetup, sizeof shellSetup - 1);
}

static void stopShell(void)
{
    if (shell > 0) {
        kill(-shell, SIGKILL);
        waitpid(shell, NULL, 0);
    }
    close(shellIn);
    close(shellOut);
    close(shellErr);
    close(shellStatus);
    shell = -1;
}

/* Forwards what a pipe holds now; returns 0 at end of file. */
static int forward(int fd, char type, uint32_t id, int send)
{
    static char buffer[65536];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n > 0) {
            if (send)
                sendFrame(type, id, buffer, (uint32_t)n);
            continue;
        }
        if (n == 0)
            return 0;
        if (errno == EINTR)
            continue;
        return 1;
    }
}

/* The minimal init's first steps in one program: under TCG every program started costs tens of
   milliseconds, and these were fifteen. Returns 0, or 1 after saying what failed. */
static int earlyInit(const char *hostname)
{
    static const struct {
        const char *type, *target, *options;
        mode_t directoryMode;
    } mounts[] = {
        { "proc", "/proc", NULL, 0 },
        { "sysfs", "/sys", NULL, 0 },
        { "devtmpfs", "/dev", NULL, 0 },
        { "devpts", "/dev/pts", "gid=5,mode=620,ptmxmode=666", 0755 },
        { "tmpfs", "/dev/shm", "mode=1777", 01777 },
        { "tmpfs", "/run", "mode=755", 0 },
        { "tmpfs", "/tmp", "mode=1777", 0 },
    };
    static const char *links[][2] = {
        { "/proc/self/fd", "/dev/fd" },
        { "/proc/self/fd/0", "/dev/stdin" },
        { "/proc/self/fd/1", "/dev/stdout" },
        { "/proc/self/fd/2", "/dev/stderr" },
    };
    for (size_t i = 0; i < sizeof mounts / sizeof mounts[0]; ++i) {
        if (mounts[i].directoryMode)
            mkdir(mounts[i].target, mounts[i].directoryMode);
        if (mount(mounts[i].type, mounts[i].target, mounts[i].type, 0, mounts[i].options) < 0) {
            fprintf(stderr, "vivarium-init: FAILED: cannot mount %s on %s: %s\n", mounts[i].type,
                mounts[i].target, strerror(errno));
            return 1;
        }
        if (strcmp(mounts[i].target, "/dev") == 0) {
            for (size_t l = 0; l < sizeof links / sizeof links[0]; ++l)
                symlink(links[l][0], links[l][1]);
        }
    }
    mkdir("/run/lock", 0755);
    mkdir("/tmp/shared", 0755);
    if (mount("/vivarium/shared", "/tmp/shared", NULL, MS_BIND, NULL) < 0) {
        fprintf(stderr, "vivarium-init: FAILED: cannot bind /vivarium/shared to /tmp/shared: %s\n",
            strerror(errno));
        return 1;
    }
    if (sethostname(hostname, strlen(hostname)) < 0) {
        fprintf(stderr, "vivarium-init: FAILED: cannot set the host name: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--early-init") == 0)
        return earlyInit(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: vivarium-agent TTY | vivarium-agent --early-init HOSTNAME\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    tty = open(argv[1], O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty < 0)
        die(argv[1]);
    struct termios mode;
    if (tcgetattr(tty, &mode) == 0) {
        cfmakeraw(&mode);
        tcsetattr(tty, TCSANOW, &mode);
    }
    setenv("HOME", "/root", 1);
    setenv("USER", "root", 1);
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    startShell();
    static const char version[] = "vivarium-agent 1";
    sendFrame('R', 0, version, sizeof version - 1);

    unsigned char *input = malloc(HeaderSize + MaxPayload);
    size_t have = 0;
    int running = 0;
    uint32_t runningId = 0;
    char statusText[32];
    size_t statusLength = 0;

    for (;;) {
        struct pollfd fds[4] = {
            { tty, POLLIN, 0 },
            { shellOut, POLLIN, 0 },
            { shellErr, POLLIN, 0 },
            { shellStatus, POLLIN, 0 },
        };
        if (poll(fds, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (fds[1].revents)
            forward(shellOut, 'O', runningId, running);
        if (fds[2].revents)
            forward(shellErr, 'E', runningId, running);
        if (fds[3].revents) {
            ssize_t n = read(shellStatus, statusText + statusLength,
                             sizeof statusText - 1 - statusLength);
            if (n <= 0) {
                /* The shell died (exec, exit in a weird place): report and start a new one. */
                stopShell();
                startShell();
                if (running) {
                    int32_t status = 255;
                    sendFrame('X', runningId, &status, 4);
                    running = 0;
                }
                statusLength = 0;
            } else {
                statusLength += (size_t)n;
                char *newline = memchr(statusText, '\n', statusLength);
                if (newline) {
                    *newline = 0;
                    int exited = strstr(statusText, " exit") != NULL;
                    forward(shellOut, 'O', runningId, running);
                    forward(shellErr, 'E', runningId, running);
                    if (running) {
                        int32_t status = atoi(statusText);
                        unsigned char le[4];
                        putU32(le, (uint32_t)status);
                        sendFrame('X', runningId, le, 4);
                        running = 0;
                    }
                    statusLength = 0;
                    if (exited) {
                        stopShell();
                        startShell();
                    }
                }
            }
        }
        if (fds[0].revents & (POLLHUP | POLLERR)) {
            usleep(100000);
        }
        if (!(fds[0].revents & POLLIN))
            continue;
        ssize_t n = read(tty, input + have, HeaderSize + MaxPayload - have);
        if (n <= 0) {
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                usleep(100000);
            continue;
        }
        have += (size_t)n;
        for (;;) {
            /* Resynchronise on the magic if the stream ever carries anything else. */
            size_t skip = 0;
            while (skip + 1 < have && !(input[skip] == 'V' && input[skip + 1] == 'V'))
                ++skip;
            if (skip > 0 && skip + 1 >= have && input[have - 1] != 'V')
                skip = have;
            if (skip > 0) {
                memmove(input, input + skip, have - skip);
                have -= skip;
            }
            if (have < HeaderSize)
                break;
            uint32_t length = getU32(input + 8);
            if (length > MaxPayload) {
                memmove(input, input + 2, have - 2);
                have -= 2;
                continue;
            }
            if (have < HeaderSize + length)
                break;
            char type = (char)input[2];
            uint32_t id = getU32(input + 4);
            if (type == 'C' && !running) {
                forward(shellOut, 'O', 0, 0);
                forward(shellErr, 'E', 0, 0);
                running = 1;
                runningId = id;
                writeAll(shellIn, runLine, sizeof runLine - 1);
                writeAll(shellIn, input + HeaderSize, length);
                writeAll(shellIn, "", 1);
            } else if (type == 'K' && running && id == runningId) {
                stopShell();
                startShell();
                unsigned char le[4];
                putU32(le, 128 + SIGKILL);
                sendFrame('X', runningId, le, 4);
                running = 0;
                statusLength = 0;
            }
            memmove(input, input + HeaderSize + length, have - HeaderSize - length);
            have -= HeaderSize + length;
        }
    }
}
