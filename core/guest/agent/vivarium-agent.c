/*
 * vivarium-agent: the backdoor inside every host-share guest.
 *
 * Runs on a virtio serial port (named org.vivarium.backdoor; not a console: QEMU throttles a
 * plain port when the host side is slow, where it drops a console's data), or in a container on
 * the unix socket /vivarium/backdoor.sock (Vivarium takes one connection at a time), and keeps
 * one bash
 * alive, so a command costs one round trip and one fork. The port can be open only once, and
 * the agent holds it (close-on-exec): no other program in the guest can write frames to it.
 * Frames in both directions are
 *   'V' 'V' type flags  id:u32le  length:u32le  headerCrc:u32le  payloadCrc:u32le  payload
 * with CRC-32 (zlib's) over the first 12 bytes and over the payload: a frame that fails either
 * is not a frame, and the reader resynchronises on the next one that passes.
 * Host to guest: 'C' run the payload as a bash command, 'K' kill the running command.
 * Guest to host: 'R' ready (payload: version), 'O' stdout bytes, 'E' stderr bytes,
 *                'X' exit (payload: status i32le, 128+N for signal N; then the command's stdout
 *                and stderr byte counts as u64le, so the host can tell that nothing was lost).
 * The command text goes to bash as NUL-terminated data and is eval'ed, so a syntax error in it
 * is that command's failure, never the protocol's. The command runs without the status
 * descriptor (5), so it cannot report a status of its own.
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
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { HeaderSize = 20, MaxPayload = 64 * 1024 * 1024 };
static const char portName[] = "org.vivarium.backdoor";
static const char containerSocket[] = "/vivarium/backdoor.sock";

/* Commands run in the one shell, without a subshell: a fork costs ~9 ms under TCG. As in the
 * NixOS driver (`bash -c "set -euo pipefail; CMD"` in /tmp), each command starts in /tmp with
 * -e, -u and pipefail set; the options are cleared after it. A failure under -e, `exit N` or
 * exec ends the shell: the agent reports the shell's own exit status as the command's and
 * starts a new one. The machine's profile (its `environment` and /etc/profile.d files, not the
 * host's /etc/profile, which runs programs) is read once per shell. */
static const char shellSetup[] =
    "[ -r /vivarium/config/profile ] && . /vivarium/config/profile\n"
    "__vv_run() { IFS= read -r -d '' __vv_cmd; builtin cd /tmp; set -euo pipefail;"
    " eval \"$__vv_cmd\" </dev/null 5>&-; }\n"
    "_() { __vv_run; echo $? >&5; set +euxo pipefail; }\n";
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

static void putU64(unsigned char *p, uint64_t v)
{
    putU32(p, (uint32_t)v);
    putU32(p + 4, (uint32_t)(v >> 32));
}

/* CRC-32 as zlib computes it (reflected, polynomial 0xEDB88320). */
static uint32_t crc32(const void *data, size_t size)
{
    static uint32_t table[256];
    if (!table[1]) {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    }
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    while (size-- > 0)
        c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void sendFrame(char type, uint32_t id, const void *payload, uint32_t size)
{
    unsigned char header[HeaderSize] = { 'V', 'V', (unsigned char)type, 0 };
    putU32(header + 4, id);
    putU32(header + 8, size);
    putU32(header + 12, crc32(header, 12));
    putU32(header + 16, crc32(payload, size));
    writeAll(tty, header, sizeof header);
    if (size > 0)
        writeAll(tty, payload, size);
}

/* The counts of the running command's output, reported with its exit. */
static uint64_t sentOut, sentErr;

static void sendExit(uint32_t id, int32_t status)
{
    unsigned char payload[20];
    putU32(payload, (uint32_t)status);
    putU64(payload + 4, sentOut);
    putU64(payload + 12, sentErr);
    sendFrame('X', id, payload, sizeof payload);
}

/* The device of the virtio port with this name (/dev/vportNpM), waiting a while for the
   kernel to create it. */
static int openPort(const char *name)
{
    for (int attempt = 0; attempt < 200; ++attempt) {
        for (int dev = 0; dev < 4; ++dev) {
            for (int port = 0; port < 8; ++port) {
                char path[96];
                snprintf(path, sizeof path, "/sys/class/virtio-ports/vport%dp%d/name", dev, port);
                FILE *file = fopen(path, "r");
                if (!file)
                    continue;
                char found[64] = "";
                if (!fgets(found, sizeof found, file))
                    found[0] = 0;
                fclose(file);
                found[strcspn(found, "\n")] = 0;
                if (strcmp(found, name) != 0)
                    continue;
                snprintf(path, sizeof path, "/dev/vport%dp%d", dev, port);
                int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (fd >= 0)
                    return fd;
            }
        }
        usleep(50000);
    }
    fprintf(stderr, "vivarium-agent: no virtio port named %s\n", name);
    exit(1);
}

/* A container's channel: the socket Vivarium listens on in the machine's directory. */
static int openSocket(void)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    strncpy(address.sun_path, containerSocket, sizeof address.sun_path - 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) < 0)
        die("cannot connect to the backdoor socket");
    return fd;
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

/* The output pipes of shells that ended while programs they started in the background still
   hold them: drained, their bytes dropped, until those programs close them, so that a
   daemon's writes neither fail (SIGPIPE killed one at its first `echo`) nor block. */
enum { MaxOrphans = 32 };
static int orphans[MaxOrphans];
static int orphanCount = 0;

static void adopt(int fd)
{
    if (orphanCount == MaxOrphans) {
        close(orphans[0]);
        memmove(orphans, orphans + 1, (MaxOrphans - 1) * sizeof orphans[0]);
        --orphanCount;
    }
    orphans[orphanCount++] = fd;
}

static void drainOrphan(int i)
{
    static char sink[65536];
    ssize_t n;
    while ((n = read(orphans[i], sink, sizeof sink)) > 0) {
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(orphans[i]);
        orphans[i] = orphans[--orphanCount];
    }
}

/* killGroup: a command killed (timeout, 'K') goes with everything it started; a shell that
   ended by itself leaves its background programs running, with their pipes drained. */
static void stopShell(int killGroup)
{
    if (shell > 0 && killGroup) {
        kill(-shell, SIGKILL);
        waitpid(shell, NULL, 0);
    }
    close(shellIn);
    if (killGroup) {
        close(shellOut);
        close(shellErr);
    } else {
        adopt(shellOut);
        adopt(shellErr);
    }
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
            if (send) {
                sendFrame(type, id, buffer, (uint32_t)n);
                *(type == 'O' ? &sentOut : &sentErr) += (uint64_t)n;
            }
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
    /* A container's launcher made /proc, /sys and /dev (its devices are its own). */
    const int container = getenv("container") != NULL;
    for (size_t i = 0; i < sizeof mounts / sizeof mounts[0]; ++i) {
        if (container && i < 4)
            continue;
        if (mounts[i].directoryMode)
            mkdir(mounts[i].target, mounts[i].directoryMode);
        if (mount(mounts[i].type, mounts[i].target, mounts[i].type, 0, mounts[i].options) < 0) {
            fprintf(stderr, "vivarium-init: FAILED: cannot mount %s on %s: %s\n", mounts[i].type,
                mounts[i].target, strerror(errno));
            return 1;
        }
        if (strcmp(mounts[i].target, "/dev") == 0 && !container) {
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
    /* A container's power-off and reboot: in its PID namespace reboot(2) ends its init, which
       tells its launcher which of the two it was. */
    if (argc == 2 && (strcmp(argv[1], "--poweroff") == 0 || strcmp(argv[1], "--reboot") == 0)) {
        sync();
        reboot(strcmp(argv[1], "--poweroff") == 0 ? RB_POWER_OFF : RB_AUTOBOOT);
        die("reboot");
    }
    if (argc != 1) {
        fprintf(stderr, "usage: vivarium-agent | vivarium-agent --early-init HOSTNAME | "
                        "vivarium-agent --poweroff | vivarium-agent --reboot\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    tty = access(containerSocket, F_OK) == 0 ? openSocket() : openPort(portName);
    setenv("HOME", "/root", 1);
    setenv("USER", "root", 1);
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    startShell();
    static const char version[] = "vivarium-agent 2";
    sendFrame('R', 0, version, sizeof version - 1);

    /* The input buffer grows with the frames that come (up to a whole 64 MiB frame): a
       machine with 112 MiB has too little free memory to take 64 MiB at once, and an agent
       that died there left every command waiting. */
    size_t capacity = 64 * 1024;
    unsigned char *input = malloc(capacity);
    if (!input)
        die("malloc");
    size_t have = 0;
    int running = 0;
    uint32_t runningId = 0;
    char statusText[32];
    size_t statusLength = 0;

    for (;;) {
        struct pollfd fds[4 + MaxOrphans] = {
            { tty, POLLIN, 0 },
            { shellOut, POLLIN, 0 },
            { shellErr, POLLIN, 0 },
            { shellStatus, POLLIN, 0 },
        };
        const int orphansPolled = orphanCount;
        for (int i = 0; i < orphansPolled; ++i)
            fds[4 + i] = (struct pollfd) { orphans[i], POLLIN, 0 };
        if (poll(fds, (nfds_t)(4 + orphansPolled), -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        /* From the last: draining one may move the last orphan into its place. */
        for (int i = orphansPolled - 1; i >= 0; --i) {
            if (fds[4 + i].revents)
                drainOrphan(i);
        }
        if (fds[1].revents)
            forward(shellOut, 'O', runningId, running);
        if (fds[2].revents)
            forward(shellErr, 'E', runningId, running);
        if (fds[3].revents) {
            ssize_t n = read(shellStatus, statusText + statusLength,
                             sizeof statusText - 1 - statusLength);
            if (n <= 0) {
                /* The shell ended (exit N, exec): its status is the command's. The output it
                   wrote before it went is still in the pipes. */
                forward(shellOut, 'O', runningId, running);
                forward(shellErr, 'E', runningId, running);
                int status = 255;
                int how = 0;
                if (waitpid(shell, &how, 0) == shell)
                    status = WIFEXITED(how) ? WEXITSTATUS(how) : 128 + WTERMSIG(how);
                /* What it started in the background lives on, as a NixOS backdoor's does: a
                   failure under -e ends the shell too, and must not take a test's daemons. */
                shell = -1;
                stopShell(0);
                startShell();
                if (running) {
                    sendExit(runningId, status);
                    running = 0;
                }
                statusLength = 0;
            } else {
                statusLength += (size_t)n;
                char *newline = memchr(statusText, '\n', statusLength);
                if (newline) {
                    *newline = 0;
                    forward(shellOut, 'O', runningId, running);
                    forward(shellErr, 'E', runningId, running);
                    if (running) {
                        sendExit(runningId, atoi(statusText));
                        running = 0;
                    }
                    statusLength = 0;
                }
            }
        }
        if (fds[0].revents & (POLLHUP | POLLERR)) {
            usleep(100000);
        }
        if (!(fds[0].revents & POLLIN))
            continue;
        if (have == capacity && capacity < HeaderSize + MaxPayload) {
            size_t grown = capacity * 2 < HeaderSize + MaxPayload ? capacity * 2
                                                                   : HeaderSize + MaxPayload;
            unsigned char *bigger = realloc(input, grown);
            if (bigger) {
                input = bigger;
                capacity = grown;
            } else {
                /* No memory for the frame: drop what came; its command fails by timeout. */
                fprintf(stderr, "vivarium-agent: no memory for a %zu-byte frame\n", grown);
                have = 0;
            }
        }
        ssize_t n = read(tty, input + have, capacity - have);
        if (n <= 0) {
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                usleep(100000);
            continue;
        }
        have += (size_t)n;
        for (;;) {
            /* A frame starts with the magic and a header whose CRC holds; anything else is
               skipped a byte at a time until one does. */
            size_t skip = 0;
            while (skip + HeaderSize <= have
                && !(input[skip] == 'V' && input[skip + 1] == 'V'
                    && getU32(input + skip + 12) == crc32(input + skip, 12)
                    && getU32(input + skip + 8) <= MaxPayload))
                ++skip;
            if (skip > 0) {
                memmove(input, input + skip, have - skip);
                have -= skip;
            }
            if (have < HeaderSize)
                break;
            uint32_t length = getU32(input + 8);
            if (have < HeaderSize + length)
                break;
            if (getU32(input + 16) != crc32(input + HeaderSize, length)) {
                memmove(input, input + 1, have - 1);
                have -= 1;
                continue;
            }
            char type = (char)input[2];
            uint32_t id = getU32(input + 4);
            if (type == 'C' && !running) {
                forward(shellOut, 'O', 0, 0);
                forward(shellErr, 'E', 0, 0);
                sentOut = sentErr = 0;
                running = 1;
                runningId = id;
                writeAll(shellIn, runLine, sizeof runLine - 1);
                writeAll(shellIn, input + HeaderSize, length);
                writeAll(shellIn, "", 1);
            } else if (type == 'K' && running && id == runningId) {
                stopShell(1);
                startShell();
                sendExit(runningId, 128 + SIGKILL);
                running = 0;
                statusLength = 0;
            }
            memmove(input, input + HeaderSize + length, have - HeaderSize - length);
            have -= HeaderSize + length;
        }
    }
}
