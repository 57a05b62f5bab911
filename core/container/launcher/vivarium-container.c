/*
 * vivarium-container: starts one container machine and stays its parent.
 *
 * Run by Vivarium (as root) for a machine with kind = "container". Each boot is a child in new
 * user, mount, PID, network, UTS and IPC namespaces. Its root is an overlay:
 *   lower  the host's root, read-only, under the hide layer (the host's secrets covered),
 *   upper  the machine's own disk (the ext4 image a VM's overlay uses, on a loop device that
 *          goes when the container's mounts go), kept across crash()/start(),
 * with every layer an idmapped mount, so the host's root-owned files are the container root's
 * while the container's root is an unprivileged user (uid base..base+65535) on the host. The
 * host's secrets are covered in the upper layer before the container runs: an empty opaque
 * directory over each hidden directory, an empty file over each hidden file. (The upper layer
 * cannot live in a directory of the host's root: overlayfs refuses layers that overlap.)
 * /dev holds only the usual nodes, the console (the Serial terminal's pty) on /dev/console and
 * /dev/ttyS0 and the Shell's pty on /dev/hvc0, as on a VM. The machine's NICs are tap devices
 * made in its network namespace; their descriptors go to Vivarium over descriptor 3, which
 * joins them to the VLAN switches.
 *
 * Signals: SIGINT to this process is Ctrl+Alt+Delete (passed on to the container's init),
 * SIGTERM ends the container at once. When init dies by SIGHUP (reboot(2) in its namespace),
 * the container boots again in fresh namespaces over the same upper layer, and "reset" is
 * written to stdout; any other end of init ends this process: status 0 after a power-off
 * (init exited 0 or died by SIGINT, reboot(2)'s power-off), else 1 with the reason on stderr.
 * A failure to set the container up is "vivarium-container: FAILED: ..." on stderr, status 2.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/loop.h>
#include <net/if_arp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MaxNics = 16, MaxHidden = 32, IdCount = 65536, ControlFd = 3 };

struct Nic {
    char name[IFNAMSIZ];
    unsigned char mac[6];
};

static struct {
    const char *hostname, *lower, *disk, *guest, *console, *shell, *init;
    const char *hideDirs[MaxHidden], *hideFiles[MaxHidden];
    int hideDirCount, hideFileCount;
    const char *cgroup; /* name under each controller's vivarium/ */
    long long memory; /* bytes, 0: no limit */
    double cpus; /* 0: no limit */
    unsigned long uidBase;
    struct Nic nics[MaxNics];
    int nicCount;
} config;

static pid_t child = -1;
static volatile sig_atomic_t terminated = 0;

static void fail(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fputs("vivarium-container: FAILED: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    _exit(2);
}

static void writeFile(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        fail("cannot write %s: %s", path, strerror(errno));
    close(fd);
}

/* Descriptors across a unix socket, with a short text. */
static void sendFds(int socket, const char *text, const int *fds, int count)
{
    char control[CMSG_SPACE(sizeof(int) * MaxNics)];
    memset(control, 0, sizeof control);
    struct iovec iov = { (void *)text, strlen(text) + 1 };
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (count > 0) {
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * count);
        memcpy(CMSG_DATA(header), fds, sizeof(int) * count);
    }
    if (sendmsg(socket, &message, MSG_NOSIGNAL) < 0)
        fail("cannot pass descriptors: %s", strerror(errno));
}

static int receiveFds(int socket, int *fds, int max)
{
    char text[256];
    char control[CMSG_SPACE(sizeof(int) * MaxNics)];
    struct iovec iov = { text, sizeof text };
    struct msghdr message = { .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control,
        .msg_controllen = sizeof control };
    if (recvmsg(socket, &message, MSG_CMSG_CLOEXEC) <= 0)
        return -1;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (!header || header->cmsg_type != SCM_RIGHTS)
        return 0;
    int count = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    if (count > max)
        count = max;
    memcpy(fds, CMSG_DATA(header), sizeof(int) * count);
    return count;
}

/* ---- in the container (the child of clone) ---- */

static void makeTaps(int sync)
{
    int fds[MaxNics];
    char names[MaxNics * (IFNAMSIZ + 1) + 1] = "";
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (int i = 0; i < config.nicCount; ++i) {
        fds[i] = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fds[i] < 0)
            fail("cannot open /dev/net/tun for %s: %s", config.nics[i].name, strerror(errno));
        struct ifreq request;
        memset(&request, 0, sizeof request);
        request.ifr_flags = IFF_TAP | IFF_NO_PI;
        strncpy(request.ifr_name, config.nics[i].name, IFNAMSIZ - 1);
        if (ioctl(fds[i], TUNSETIFF, &request) < 0)
            fail("cannot make the tap device %s: %s", config.nics[i].name, strerror(errno));
        request.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(request.ifr_hwaddr.sa_data, config.nics[i].mac, 6);
        if (ioctl(sock, SIOCSIFHWADDR, &request) < 0)
            fail("cannot set the MAC of %s: %s", config.nics[i].name, strerror(errno));
        strcat(names, config.nics[i].name);
        strcat(names, " ");
    }
    close(sock);
    sendFds(sync, names, fds, config.nicCount);
    for (int i = 0; i < config.nicCount; ++i)
        close(fds[i]);
}

static void mountOrFail(const char *source, const char *target, const char *type,
    unsigned long flags, const char *data)
{
    if (mount(source, target, type, flags, data) < 0)
        fail("cannot mount %s on %s: %s", type ? type : source, target, strerror(errno));
}

static void attach(int fd, const char *target)
{
    mkdir(target, 0755);
    if (move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        fail("cannot attach a layer at %s: %s", target, strerror(errno));
    close(fd);
}

static void bindOrFail(const char *source, const char *target, int isDirectory)
{
    if (isDirectory) {
        mkdir(target, 0755);
    } else {
        int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
    }
    mountOrFail(source, target, NULL, MS_BIND, NULL);
}

static void makeDev(const char *root)
{
    char path[512];
    snprintf(path, sizeof path, "%s/dev", root);
    mountOrFail("tmpfs", path, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=1m");
    static const char *nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; ++i) {
        char source[64];
        snprintf(source, sizeof source, "/dev/%s", nodes[i]);
        snprintf(path, sizeof path, "%s/dev/%s", root, nodes[i]);
        bindOrFail(source, path, 0);
    }
    snprintf(path, sizeof path, "%s/dev/console", root);
    bindOrFail(config.console, path, 0);
    snprintf(path, sizeof path, "%s/dev/ttyS0", root);
    bindOrFail(config.console, path, 0);
    snprintf(path, sizeof path, "%s/dev/hvc0", root);
    bindOrFail(config.shell, path, 0);
    snprintf(path, sizeof path, "%s/dev/pts", root);
    mkdir(path, 0755);
    mountOrFail("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=620,gid=5");
    snprintf(path, sizeof path, "%s/dev/ptmx", root);
    if (symlink("pts/ptmx", path) < 0)
        fail("cannot link /dev/ptmx: %s", strerror(errno));
    static const char *links[][2] = { { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
        { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" } };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; ++i) {
        snprintf(path, sizeof path, "%s/dev/%s", root, links[i][1]);
        symlink(links[i][0], path);
    }
    snprintf(path, sizeof path, "%s/dev/shm", root);
    mkdir(path, 01777);
    snprintf(path, sizeof path, "%s/dev/net", root);
    mkdir(path, 0755);
}

/* The machine's files (config/files.sh, as the VM's initramfs runs it), its host name and
   hosts, each boot, with the host's shell before the container's root is entered. */
static void writeMachineFiles(const char *root)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(root) < 0)
            _exit(1);
        execl("/bin/sh", "sh", "-ec",
            "sh vivarium/config/files.sh\n"
            "[ ! -f vivarium/config/etc/hostname ] || cp vivarium/config/etc/hostname etc/hostname\n"
            "[ ! -f vivarium/config/etc/hosts ] || cp vivarium/config/etc/hosts etc/hosts\n",
            (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        fail("cannot put the machine's files into its root (config/files.sh)");
}

static int containerMain(void *argument)
{
    int sync = *(int *)argument;
    /* Wait for the parent: the ID maps, the cgroup and the idmapped layers. */
    int layers[3];
    if (receiveFds(sync, layers, 3) != 3)
        fail("the launcher did not pass the root's layers");
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 || setgroups(0, NULL) < 0)
        fail("cannot become root in the user namespace: %s", strerror(errno));
    /* Dies with the launcher (and with it every process of the container). Set after the
       change of credentials above, which clears it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    makeTaps(sync);
    close(sync);
    /* Its cgroup (joined by the parent by now) is the root of its cgroup namespace. */
    if (unshare(CLONE_NEWCGROUP) < 0)
        fail("cannot make the cgroup namespace: %s", strerror(errno));

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        fail("cannot make the mounts private: %s", strerror(errno));
    /* A staging tmpfs of our own, on a directory every host has. */
    const char *stage = "/run";
    mountOrFail("tmpfs", stage, "tmpfs", 0, "mode=700,size=1m");
    attach(layers[0], "/run/lower");
    attach(layers[1], "/run/disk");
    attach(layers[2], "/run/guest");
    mkdir("/run/root", 0755);
    mountOrFail("overlay", "/run/root", "overlay", 0,
        "lowerdir=/run/lower,upperdir=/run/disk/upper,workdir=/run/disk/work,userxattr");
    const char *root = "/run/root";
    char path[512];
    snprintf(path, sizeof path, "%s/vivarium", root);
    bindOrFail("/run/guest", path, 1);
    makeDev(root);
    writeMachineFiles(root);
    snprintf(path, sizeof path, "%s/proc", root);
    mkdir(path, 0555);
    mountOrFail("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    snprintf(path, sizeof path, "%s/sys", root);
    mkdir(path, 0555);
    mountOrFail("sysfs", path, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    /* systemd keeps its services in cgroups: the container's own v2 hierarchy. */
    snprintf(path, sizeof path, "%s/sys/fs/cgroup", root);
    if (mount("cgroup2", path, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0
        && errno != ENOENT)
        fail("cannot mount cgroup2 on %s: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/.oldroot", root);
    mkdir(path, 0700);
    if (syscall(SYS_pivot_root, root, path) < 0)
        fail("cannot pivot to the container's root: %s", strerror(errno));
    if (chdir("/") < 0 || umount2("/.oldroot", MNT_DETACH) < 0)
        fail("cannot leave the host's root: %s", strerror(errno));
    rmdir("/.oldroot");
    if (sethostname(config.hostname, strlen(config.hostname)) < 0)
        fail("cannot set the host name: %s", strerror(errno));

    /* Init's output goes to the console, which is not its controlling terminal: init stays in
       the launcher's session, so opening the console (a pty, not the kernel's console device)
       never makes it init's, and the serial shell can take it. */
    int console = open("/dev/console", O_RDWR | O_NOCTTY);
    if (console < 0)
        fail("cannot open the console: %s", strerror(errno));
    dup2(console, 0);
    dup2(console, 1);
    dup2(console, 2);
    if (console > 2)
        close(console);
    clearenv();
    setenv("container", "vivarium", 1);
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    setenv("TERM", "linux", 1);
    setenv("HOME", "/root", 1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execl(config.init, config.init, (char *)NULL);
    fprintf(stderr, "vivarium-container: FAILED: cannot run the init %s: %s\n", config.init,
        strerror(errno));
    _exit(2);
}

/* ---- on the host (this process) ---- */

static void cgroupPath(char *path, size_t size, const char *controller, const char *file)
{
    snprintf(path, size, "/sys/fs/cgroup/%s/vivarium/%s%s%s", controller, config.cgroup,
        file ? "/" : "", file ? file : "");
}

/* The container's cgroups (cgroup v1, as this host has; v2 in one directory): memory, CPU,
   PIDs, the devices it may open, and the freezer pause() uses. */
static void joinCgroups(pid_t pid)
{
    char path[512], text[64];
    static const char *controllers[] = { "memory", "cpu", "pids", "devices", "freezer" };
    int v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    for (size_t i = 0; i < (v2 ? 1 : sizeof controllers / sizeof controllers[0]); ++i) {
        const char *controller = v2 ? "" : controllers[i];
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s/vivarium", controller);
        mkdir(path, 0755);
        cgroupPath(path, sizeof path, controller, NULL);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            fail("cannot make the cgroup %s: %s", path, strerror(errno));
        if (!v2 && strcmp(controller, "devices") == 0) {
            cgroupPath(path, sizeof path, controller, "devices.deny");
            writeFile(path, "a");
            static const char *allowed[] = { "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
                "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
                "c 10:200 rwm" };
            for (size_t a = 0; a < sizeof allowed / sizeof allowed[0]; ++a) {
                cgroupPath(path, sizeof path, controller, "devices.allow");
                writeFile(path, allowed[a]);
            }
        }
        if (config.memory > 0 && (v2 || strcmp(controller, "memory") == 0)) {
            cgroupPath(path, sizeof path, controller, v2 ? "memory.max" : "memory.limit_in_bytes");
            snprintf(text, sizeof text, "%lld", config.memory);
            writeFile(path, text);
        }
        if (config.cpus > 0 && (v2 || strcmp(controller, "cpu") == 0)) {
            if (v2) {
                cgroupPath(path, sizeof path, controller, "cpu.max");
                snprintf(text, sizeof text, "%ld 100000", (long)(config.cpus * 100000));
            } else {
                cgroupPath(path, sizeof path, controller, "cpu.cfs_quota_us");
                snprintf(text, sizeof text, "%ld", (long)(config.cpus * 100000));
            }
            writeFile(path, text);
        }
        cgroupPath(path, sizeof path, controller, "cgroup.procs");
        snprintf(text, sizeof text, "%d", pid);
        writeFile(path, text);
    }
}

/* The cgroup v2 directory handed to the container (its cgroup namespace's root, where systemd
   makes its own slices): /sys/fs/cgroup on a v2 host, its "unified" hierarchy on a hybrid one.
   Empty when the host has neither. */
static void delegatedCgroup(char *path, size_t size)
{
    if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
        snprintf(path, size, "/sys/fs/cgroup/vivarium/%s", config.cgroup);
    else if (access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0)
        snprintf(path, size, "/sys/fs/cgroup/unified/vivarium/%s", config.cgroup);
    else
        path[0] = 0;
}

/* The container's root owns its cgroup v2 directory and the files of delegation (not its
   limits), so its init can make cgroups below it. */
static void delegateCgroup(pid_t pid)
{
    char path[512], file[600], text[32];
    delegatedCgroup(path, sizeof path);
    if (!path[0])
        return;
    if (access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0) {
        mkdir("/sys/fs/cgroup/unified/vivarium", 0755);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            fail("cannot make the cgroup %s: %s", path, strerror(errno));
    }
    static const char *owned[] = { "", "/cgroup.procs", "/cgroup.threads",
        "/cgroup.subtree_control" };
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; ++i) {
        snprintf(file, sizeof file, "%s%s", path, owned[i]);
        if (chown(file, (uid_t)config.uidBase, (gid_t)config.uidBase) < 0 && errno != ENOENT)
            fail("cannot delegate %s to the container: %s", file, strerror(errno));
    }
    snprintf(file, sizeof file, "%s/cgroup.procs", path);
    snprintf(text, sizeof text, "%d", pid);
    writeFile(file, text);
}

/* A cgroup and the cgroups its init made below it (empty once the container is gone). */
static void removeTree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir) {
        for (struct dirent *entry; (entry = readdir(dir));) {
            if (entry->d_type != DT_DIR || entry->d_name[0] == '.')
                continue;
            char below[1024];
            snprintf(below, sizeof below, "%s/%s", path, entry->d_name);
            removeTree(below);
        }
        closedir(dir);
    }
    rmdir(path);
}

static void removeCgroups(void)
{
    char path[512];
    static const char *controllers[] = { "memory", "cpu", "pids", "devices", "freezer", "" };
    delegatedCgroup(path, sizeof path);
    if (path[0])
        removeTree(path);
    for (size_t i = 0; i < sizeof controllers / sizeof controllers[0]; ++i) {
        cgroupPath(path, sizeof path, controllers[i], NULL);
        rmdir(path);
    }
}

/* A detached mount made idmapped into the container's user namespace. */
static int idmap(int fd, const char *what, int userns, int readOnly)
{
    struct mount_attr attributes = { .attr_set = MOUNT_ATTR_IDMAP
            | (readOnly ? MOUNT_ATTR_RDONLY : 0) | MOUNT_ATTR_NODEV,
        .userns_fd = (unsigned long long)userns };
    if (mount_setattr(fd, "", AT_EMPTY_PATH, &attributes, sizeof attributes) < 0)
        fail("cannot idmap %s into the container (its file system must support idmapped "
             "mounts: Linux 5.12 or later, 6.3 for tmpfs): %s",
            what, strerror(errno));
    return fd;
}

static int copyOfMount(const char *directory)
{
    int fd = open_tree(AT_FDCWD, directory, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (fd < 0)
        fail("cannot copy the mount of %s: %s", directory, strerror(errno));
    return fd;
}

/* The machine's disk on a loop device that clears itself when its last mount goes (the
   container's mount namespace ends with its processes, whatever killed them). */
static int mountDisk(void)
{
    int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (control < 0)
        fail("cannot open /dev/loop-control for the machine's disk: %s", strerror(errno));
    int backing = open(config.disk, O_RDWR | O_CLOEXEC);
    if (backing < 0)
        fail("cannot open the machine's disk %s: %s", config.disk, strerror(errno));
    char device[64];
    int loop = -1;
    for (int attempt = 0; attempt < 100 && loop < 0; ++attempt) {
        int n = ioctl(control, LOOP_CTL_GET_FREE);
        if (n < 0)
            fail("no free loop device for the machine's disk: %s", strerror(errno));
        snprintf(device, sizeof device, "/dev/loop%d", n);
        loop = open(device, O_RDWR | O_CLOEXEC);
        if (loop < 0)
            fail("cannot open %s: %s", device, strerror(errno));
        struct loop_config loopConfig = { .fd = (unsigned)backing };
        loopConfig.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (ioctl(loop, LOOP_CONFIGURE, &loopConfig) < 0) {
            if (errno != EBUSY)
                fail("cannot attach the machine's disk to %s: %s", device, strerror(errno));
            close(loop); /* taken meanwhile by someone else */
            loop = -1;
        }
    }
    close(control);
    close(backing);
    if (loop < 0)
        fail("no loop device stayed free for the machine's disk");
    int fs = fsopen("ext4", FSOPEN_CLOEXEC);
    if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", device, 0) < 0
        || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        fail("cannot mount the machine's disk %s (ext4): %s", config.disk, strerror(errno));
    int disk = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOATIME);
    if (disk < 0)
        fail("cannot mount the machine's disk %s: %s", config.disk, strerror(errno));
    close(fs);
    close(loop); /* the mount holds the device now */
    return disk;
}

/* mkdir -p of path (relative) below the directory at, each part owned by root. */
static void makeParents(int at, const char *path)
{
    char part[512];
    for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        snprintf(part, sizeof part, "%.*s", (int)(slash - path), path);
        mkdirat(at, part, 0755);
    }
}

/* The upper layer's layout, and the host's secrets covered in it where nothing covers them
   yet: an opaque empty directory (the container's own from then on), an empty file. */
static void prepareUpper(int disk)
{
    mkdirat(disk, "upper", 0755);
    mkdirat(disk, "work", 0755);
    int upper = openat(disk, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (upper < 0)
        fail("the machine's disk has no upper directory: %s", strerror(errno));
    struct stat st;
    for (int i = 0; i < config.hideDirCount; ++i) {
        const char *path = config.hideDirs[i] + 1; /* relative */
        if (fstatat(upper, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        makeParents(upper, path);
        if (mkdirat(upper, path, 0755) < 0)
            fail("cannot cover %s: %s", config.hideDirs[i], strerror(errno));
        int dir = openat(upper, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0 || fsetxattr(dir, "user.overlay.opaque", "y", 1, 0) < 0)
            fail("cannot make %s opaque on the machine's disk: %s", config.hideDirs[i],
                strerror(errno));
        close(dir);
    }
    for (int i = 0; i < config.hideFileCount; ++i) {
        const char *path = config.hideFiles[i] + 1;
        if (fstatat(upper, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        makeParents(upper, path);
        int file = openat(upper, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (file < 0)
            fail("cannot cover %s: %s", config.hideFiles[i], strerror(errno));
        close(file);
    }
    close(upper);
}

static void onSignal(int signal)
{
    if (signal != SIGINT)
        terminated = 1;
    if (child > 0)
        kill(child, signal == SIGINT ? SIGINT : SIGKILL);
}

/* One boot: returns how init ended (a wait status). */
static int boot(void)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        fail("socketpair: %s", strerror(errno));
    static char stack[256 * 1024] __attribute__((aligned(16)));
    int childEnd = pair[1];
    child = clone(containerMain, stack + sizeof stack,
        CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC
            | SIGCHLD,
        &childEnd);
    if (child < 0)
        fail("cannot make the container's namespaces (%s): the host must allow user "
             "namespaces (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone "
             "is not needed as root)",
            strerror(errno));
    close(pair[1]);
    char path[128], map[64];
    snprintf(map, sizeof map, "0 %lu %d\n", config.uidBase, IdCount);
    snprintf(path, sizeof path, "/proc/%d/uid_map", child);
    writeFile(path, map);
    snprintf(path, sizeof path, "/proc/%d/gid_map", child);
    writeFile(path, map);
    joinCgroups(child);
    delegateCgroup(child);
    snprintf(path, sizeof path, "/proc/%d/ns/user", child);
    int userns = open(path, O_RDONLY | O_CLOEXEC);
    if (userns < 0)
        fail("cannot open %s: %s", path, strerror(errno));
    int disk = mountDisk();
    prepareUpper(disk);
    int layers[3] = { idmap(copyOfMount(config.lower), config.lower, userns, 1),
        idmap(disk, config.disk, userns, 0), idmap(copyOfMount(config.guest), config.guest, userns, 0) };
    close(userns);
    sendFds(pair[0], "layers", layers, 3);
    for (int i = 0; i < 3; ++i)
        close(layers[i]);
    int taps[MaxNics];
    int count = receiveFds(pair[0], taps, MaxNics);
    if (count >= 0 && config.nicCount > 0) {
        sendFds(ControlFd, "taps", taps, count);
        for (int i = 0; i < count; ++i)
            close(taps[i]);
    }
    close(pair[0]);
    printf("started %d\n", child);
    fflush(stdout);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    child = -1;
    return status;
}

static int parseMac(const char *text, unsigned char *mac)
{
    return sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
               &mac[4], &mac[5])
        == 6;
}

int main(int argc, char **argv)
{
    static const struct option options[] = { { "hostname", required_argument, 0, 'h' },
        { "lower", required_argument, 0, 'l' }, { "hide-dir", required_argument, 0, 'H' },
        { "hide-file", required_argument, 0, 'F' }, { "disk", required_argument, 0, 'd' },
        { "guest", required_argument, 0, 'g' },
        { "console", required_argument, 0, 'c' }, { "shell", required_argument, 0, 'S' },
        { "init", required_argument, 0, 'i' }, { "nic", required_argument, 0, 'n' },
        { "cgroup", required_argument, 0, 'C' }, { "memory", required_argument, 0, 'm' },
        { "cpus", required_argument, 0, 'p' }, { "uid-base", required_argument, 0, 'u' },
        { 0, 0, 0, 0 } };
    for (int option; (option = getopt_long(argc, argv, "", options, NULL)) != -1;) {
        switch (option) {
        case 'h': config.hostname = optarg; break;
        case 'l': config.lower = optarg; break;
        case 'H':
        case 'F': {
            int *count = option == 'H' ? &config.hideDirCount : &config.hideFileCount;
            if (optarg[0] != '/' || *count == MaxHidden)
                fail("bad hidden path %s (absolute, at most %d)", optarg, MaxHidden);
            (option == 'H' ? config.hideDirs : config.hideFiles)[(*count)++] = optarg;
            break;
        }
        case 'd': config.disk = optarg; break;
        case 'g': config.guest = optarg; break;
        case 'c': config.console = optarg; break;
        case 'S': config.shell = optarg; break;
        case 'i': config.init = optarg; break;
        case 'C': config.cgroup = optarg; break;
        case 'm': config.memory = atoll(optarg); break;
        case 'p': config.cpus = atof(optarg); break;
        case 'u': config.uidBase = strtoul(optarg, NULL, 10); break;
        case 'n': {
            const char *equals = strchr(optarg, '=');
            struct Nic *nic = &config.nics[config.nicCount];
            if (!equals || config.nicCount == MaxNics || equals - optarg >= IFNAMSIZ
                || !parseMac(equals + 1, nic->mac))
                fail("bad --nic %s (NAME=MAC, at most %d)", optarg, MaxNics);
            memcpy(nic->name, optarg, (size_t)(equals - optarg));
            ++config.nicCount;
            break;
        }
        default: fail("unknown option");
        }
    }
    if (!config.hostname || !config.lower || !config.disk || !config.guest
        || !config.console || !config.shell || !config.init || !config.cgroup
        || config.uidBase == 0)
        fail("usage: vivarium-container --hostname NAME --lower DIR --disk IMAGE --guest DIR "
             "[--hide-dir DIR]... [--hide-file FILE]... --console PTY --shell PTY --init PATH --cgroup NAME --uid-base N "
             "[--nic NAME=MAC]... [--memory BYTES] [--cpus N]");
    if (geteuid() != 0)
        fail("containers need root on the host (the user namespace's ID maps, idmapped "
             "mounts and cgroups): run Vivarium as root or with sudo");
    /* Vivarium blocks the signals it waits for; its children inherit the mask. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction action = { .sa_handler = onSignal };
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    for (;;) {
        int status = boot();
        if (terminated) {
            /* Ended by Vivarium (crash(), stop(), the end of a run): the container is gone,
               and so are its cgroups now. */
            removeCgroups();
            return 0;
        }
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP) {
            printf("reset\n"); /* reboot(2) in the container: boot it again */
            fflush(stdout);
            continue;
        }
        removeCgroups();
        if ((WIFEXITED(status) && WEXITSTATUS(status) == 0)
            || (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT))
            return 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
            return 2; /* the set-up failed and said why */
        if (WIFEXITED(status))
            fprintf(stderr, "vivarium-container: init ended with status %d\n",
                WEXITSTATUS(status));
        else
            fprintf(stderr, "vivarium-container: init was killed by signal %d (%s)\n",
                WTERMSIG(status), strsignal(WTERMSIG(status)));
        return 1;
    }
}
