#include "core/spec/machinekeys.h"

#include "core/spec/imagefile.h"

#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QRegularExpression>
#include <unistd.h>

namespace vivarium {

namespace {

constexpr qsizetype maxAppend = 1024;
const QList<QByteArray> kernelMagic { QByteArray("\x7f"
                                                 "ELF"),
    QByteArray("HdrS") };
const QList<QByteArray> initrdMagic { QByteArray("070701"), QByteArray("070702"),
    QByteArray("\x1f\x8b"),
    QByteArray("\xfd"
               "7zXZ"),
    QByteArray("\x28\xb5\x2f\xfd"), QByteArray("\x02\x21\x4c\x18"), QByteArray("BZh") };

} // namespace

const QStringList &MachineKeys::names()
{
    static const QStringList keys = {
        QStringLiteral("vlans"),
        QStringLiteral("addresses"),
        QStringLiteral("memory"),
        QStringLiteral("cpus"),
        QStringLiteral("kind"),
        QStringLiteral("init"),
        QStringLiteral("root"),
        QStringLiteral("shared_limit_mb"),
        QStringLiteral("services"),
        QStringLiteral("commands"),
        QStringLiteral("files"),
        QStringLiteral("users"),
        QStringLiteral("groups"),
        QStringLiteral("disks"),
        QStringLiteral("mounts"),
        QStringLiteral("environment"),
        QStringLiteral("packages"),
        QStringLiteral("base"),
        QStringLiteral("graphics"),
        QStringLiteral("vnc"),
        QStringLiteral("desktop"),
        QStringLiteral("x11_commands"),
        QStringLiteral("image"),
        QStringLiteral("start_command"),
        QStringLiteral("kernel"),
        QStringLiteral("initrd"),
        QStringLiteral("append"),
        QStringLiteral("qemu_options"),
        QStringLiteral("qemu_machine"),
        QStringLiteral("host"),
    };
    return keys;
}

bool MachineKeys::isMachineName(const QString &name)
{
    // NixOS takes any attribute name that is a host name; the script global replaces '-' by
    // '_'. Upper case is allowed (routerDummyNoNat); the loader refuses names that differ in
    // case only, as host names do not.
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z][A-Za-z0-9_-]{0,62}$"));
    return pattern.match(name).hasMatch();
}

void MachineKeys::key(const QString &key, const toml::node &node, MachineSpec &m)
{
    if (key == QLatin1String("vlans")) {
        const toml::array *array = node.as_array();
        if (!array) {
            m_reader.error(
                node.source(), QStringLiteral("'vlans' must be an array of VLAN numbers"));
            return;
        }
        m.vlans.clear();
        for (const toml::node &item : *array) {
            if (const auto vlan = m_reader.integer(item, QStringLiteral("vlans"), 1, 254)) {
                if (m.vlans.contains(int(*vlan)))
                    m_reader.error(
                        item.source(), QStringLiteral("VLAN %1 is listed twice").arg(*vlan));
                else
                    m.vlans.append(int(*vlan));
            }
        }
    } else if (key == QLatin1String("addresses")) {
        addresses(node, m);
    } else if (key == QLatin1String("memory")) {
        m.memoryMiB = int(m_reader.integer(node, key, 64, 65536).value_or(m.memoryMiB));
    } else if (key == QLatin1String("cpus")) {
        m.cpus = int(m_reader.integer(node, key, 1, 64).value_or(m.cpus));
    } else if (key == QLatin1String("kind")) {
        m.kind = m_reader
                     .choice<MachineKind>(node, key,
                         { { "vm", MachineKind::Vm }, { "container", MachineKind::Container } })
                     .value_or(m.kind);
    } else if (key == QLatin1String("init")) {
        m.init = m_reader
                     .choice<InitKind>(node, key,
                         { { "minimal", InitKind::Minimal }, { "systemd", InitKind::Systemd } })
                     .value_or(m.init);
    } else if (key == QLatin1String("root")) {
        m.root = m_reader
                     .choice<RootKind>(
                         node, key, { { "share", RootKind::Share }, { "image", RootKind::Image } })
                     .value_or(m.root);
    } else if (key == QLatin1String("base")) {
        const QString base = m_reader.string(node, key).value_or(QString());
        if (!knownBases().contains(base)) {
            m_reader.error(node.source(),
                QStringLiteral("'base' must be one of %1, not \"%2\" (docs/guests.md, \"Base "
                               "images\")")
                    .arg(knownBases().join(QStringLiteral(", ")), base));
            return;
        }
        m.base = base;
        m.root = RootKind::Image; // a base is an image: snapshots work
    } else if (key == QLatin1String("shared_limit_mb")) {
        m.sharedLimitMiB = int(m_reader.integer(node, key, 1, 1048576).value_or(m.sharedLimitMiB));
    } else if (key == QLatin1String("services")) {
        // As systemctl does, a name without a unit type is a service.
        m.services.clear();
        for (const QString &service : m_reader.strings(node, key).value_or(QStringList()))
            m.services.append(service.contains(QLatin1Char('.'))
                    ? service
                    : service + QStringLiteral(".service"));
    } else if (key == QLatin1String("commands")) {
        m.commands = m_reader.strings(node, key).value_or(QStringList());
    } else if (key == QLatin1String("packages")) {
        m.packages = m_reader.strings(node, key).value_or(QStringList());
        // Debian's rule for package names (and an optional :arch): nothing that a program
        // asked about them could take for an option.
        static const QRegularExpression packageName(
            QStringLiteral("^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$"));
        for (const QString &package : std::as_const(m.packages)) {
            if (!packageName.match(package).hasMatch()) {
                m_reader.error(node.source(),
                    QStringLiteral("'packages': \"%1\" is not a Debian package name").arg(package));
                m.packages.clear();
                return;
            }
        }
        m_packageUses.append({ m.name.isEmpty() ? QStringLiteral("[defaults]")
                                                : QStringLiteral("machine '%1'").arg(m.name),
            m.name, m.packages, node.source() });
    } else if (key == QLatin1String("qemu_options")) {
        m.qemuOptions = m_reader.strings(node, key).value_or(QStringList());
        // Vivarium opens no network port the test did not ask for: a monitor or a socket
        // QEMU would listen on beyond loopback is refused, with where.
        static const QRegularExpression listener(QStringLiteral(
            "(?:tcp|telnet|websocket):(\\[[^\\]]*\\]|[^:,]*):|host=(\\[[^\\]]*\\]|[^,]*)"));
        for (const QString &option : std::as_const(m.qemuOptions)) {
            for (auto it = listener.globalMatch(option); it.hasNext();) {
                const QRegularExpressionMatch match = it.next();
                const QString host
                    = match.captured(1).isNull() ? match.captured(2) : match.captured(1);
                if (!QStringList { QStringLiteral("127.0.0.1"), QStringLiteral("localhost"),
                        QStringLiteral("[::1]"), QStringLiteral("::1") }
                         .contains(host))
                    m_reader.error(node.source(),
                        QStringLiteral("'qemu_options': \"%1\" would make QEMU listen on "
                                       "\"%2\", beyond this host; use 127.0.0.1")
                            .arg(option, host.isEmpty() ? QStringLiteral("every address") : host));
            }
        }
    } else if (key == QLatin1String("qemu_machine")) {
        m.qemuMachine
            = m_reader
                  .choice<QemuMachineChoice>(node, key,
                      { { "auto", QemuMachineChoice::Auto }, { "pc", QemuMachineChoice::Pc },
                          { "microvm", QemuMachineChoice::Microvm } })
                  .value_or(m.qemuMachine);
    } else if (key == QLatin1String("files")) {
        files(node, m);
    } else if (key == QLatin1String("users")) {
        users(node, m);
    } else if (key == QLatin1String("groups")) {
        groups(node, m);
    } else if (key == QLatin1String("disks")) {
        disks(node, m);
    } else if (key == QLatin1String("mounts")) {
        mounts(node, m);
    } else if (key == QLatin1String("environment")) {
        environment(node, m);
    } else if (key == QLatin1String("graphics")) {
        m.graphics = m_reader.boolean(node, key).value_or(false);
    } else if (key == QLatin1String("vnc")) {
        m.vnc = m_reader.boolean(node, key).value_or(true);
    } else if (key == QLatin1String("desktop")) {
        if (const auto desktop = m_reader.string(node, key)) {
            if (*desktop == QLatin1String("x11")) {
                m.desktop = *desktop;
                m.graphics = true; // toml++ reads keys in order: a later graphics = false wins
            } else if (!desktop->isEmpty()) {
                m_reader.error(node.source(),
                    QStringLiteral("'desktop' must be \"x11\" (or \"\" for none), not \"%1\"")
                        .arg(*desktop));
            }
        }
    } else if (key == QLatin1String("x11_commands")) {
        m.x11Commands = m_reader.strings(node, key).value_or(QStringList());
    } else if (key == QLatin1String("image")) {
        m.image = m_reader.path(node, key, true);
        QString why;
        if (!m.image.isEmpty() && imageFileFormat(m.image, &why).isEmpty()) {
            m_reader.error(node.source(), QStringLiteral("'image': ") + why);
            m.image.clear();
        }
        m.root = RootKind::Image; // booted like the host's root image: snapshots work
    } else if (key == QLatin1String("start_command")) {
        // A known key of the format that this version cannot run: said now, with where,
        // rather than when the machine starts.
        m_reader.error(node.source(),
            QStringLiteral("'start_command' machines are not supported (give the machine's "
                           "'image', or its keys)"));
    } else if (key == QLatin1String("host")) {
        // Checked against the [hosts.NAME] tables once the whole file is read.
        m.host = m_reader.string(node, key).value_or(QString());
    } else if (key == QLatin1String("kernel")) {
        // A name is one of Vivarium's kernels (its initramfs implied); anything else a file
        // ("./debian" for a file of that name).
        if (const auto name = node.value<std::string>();
            name && namedKernels().contains(QString::fromStdString(*name)))
            m.kernelName = QString::fromStdString(*name);
        else
            m.kernel = m_reader.bootFile(node, key, kernelMagic);
    } else if (key == QLatin1String("initrd")) {
        m.initrd = m_reader.bootFile(node, key, initrdMagic);
    } else if (key == QLatin1String("append")) {
        m.append = m_reader.string(node, key).value_or(QString());
        if (m.append.size() > maxAppend) {
            m_reader.error(node.source(),
                QStringLiteral("'append' has %1 characters; at most %2 fit beside "
                               "Vivarium's own (the kernel's command line holds 2048)")
                    .arg(m.append.size())
                    .arg(maxAppend));
            m.append.clear();
        }
    }
}

void MachineKeys::table(const toml::table &table, MachineSpec &m)
{
    for (auto &&[k, v] : table) {
        const QString key = tomlString(k.str());
        if (!names().contains(key)) {
            m_reader.error(k.source(),
                QStringLiteral("unknown machine key '%1' (known: %2)")
                    .arg(key, names().join(QStringLiteral(", "))));
            continue;
        }
        this->key(key, v, m);
    }
    // A VM on another host boots from the root image: over 9p it would get that host's root,
    // another machine's files and secrets (docs/scale-out.md, "Machines on another host").
    if (m.onOtherHost() && m.kind == MachineKind::Vm && m.root == RootKind::Share) {
        if (const toml::node *root = table.get("root"))
            m_reader.error(root->source(),
                QStringLiteral("machine '%1' runs on host \"%2\" and boots from the root "
                               "image there: drop root = \"share\" (docs/scale-out.md)")
                    .arg(m.name, m.host));
        else
            m.root = RootKind::Image;
    }
}

void MachineKeys::addresses(const toml::node &node, MachineSpec &m)
{
    const toml::table *table = node.as_table();
    if (!table) {
        m_reader.error(node.source(),
            QStringLiteral("'addresses' must be a table of interface = [addresses], e.g. "
                           "{ eth1 = [\"10.0.0.1/24\", \"fd00::1/64\"] }"));
        return;
    }
    static const QRegularExpression interface(QStringLiteral("^eth([1-9][0-9]{0,2})$"));
    m.addresses.clear();
    for (auto &&[k, v] : *table) {
        const QString name = tomlString(k.str());
        if (!interface.match(name).hasMatch()) {
            m_reader.error(k.source(),
                QStringLiteral("'addresses': \"%1\" is not a VLAN interface (eth1, eth2 ...: "
                               "the NICs of 'vlans', in order)")
                    .arg(name));
            continue;
        }
        QStringList list;
        for (const QString &address :
            m_reader.strings(v, QStringLiteral("addresses")).value_or(QStringList())) {
            const auto subnet = QHostAddress::parseSubnet(address);
            if (!address.contains(QLatin1Char('/')) || subnet.first.isNull()) {
                m_reader.error(v.source(),
                    QStringLiteral("'addresses': \"%1\" of %2 must be an address with its prefix "
                                   "length (\"10.0.0.1/24\", \"fd00::1/64\")")
                        .arg(address, name));
                continue;
            }
            list.append(address);
        }
        m.addresses.insert(name, list);
    }
}

void MachineKeys::check(const MachineSpec &m, const toml::source_region &where)
{
    for (auto it = m.addresses.cbegin(); it != m.addresses.cend(); ++it) {
        if (it.key().mid(3).toInt() > m.vlans.size())
            m_reader.error(where,
                QStringLiteral("machine '%1' sets 'addresses' of %2, but it has %3 VLAN "
                               "interface(s) (eth1..eth%3, one per entry of 'vlans')")
                    .arg(m.name, it.key())
                    .arg(m.vlans.size()));
    }
    if (!m.image.isEmpty() && !m.base.isEmpty())
        m_reader.error(where,
            QStringLiteral("machine '%1' sets both 'image' and 'base': one root each").arg(m.name));
    if (!m.image.isEmpty() && (!m.users.isEmpty() || !m.groups.isEmpty()))
        m_reader.error(where,
            QStringLiteral("machine '%1' boots its own image, whose accounts are its own: "
                           "'users' and 'groups' cannot be added to them (create them in the "
                           "image, or use base = \"debian-bookworm\")")
                .arg(m.name));
    if (m.root == RootKind::Image && !m.initrd.isEmpty())
        m_reader.error(where,
            QStringLiteral("machine '%1' has root = \"image\" and its own 'initrd'; an image "
                           "root needs Vivarium's initramfs (it carries the machine's files): "
                           "drop 'initrd' or use root = \"share\"")
                .arg(m.name));
    if (!m.kernelName.isEmpty() && !m.initrd.isEmpty())
        m_reader.error(where,
            QStringLiteral("machine '%1' has kernel = \"%2\", which brings its own initramfs, "
                           "and an 'initrd': drop 'initrd', or give 'kernel' as a file")
                .arg(m.name, m.kernelName));
    if (m.init == InitKind::Minimal && !m.services.isEmpty())
        m_reader.error(where,
            QStringLiteral("machine '%1' lists services but its init is \"minimal\"; "
                           "set init = \"systemd\"")
                .arg(m.name));
    if (m.memoryMiB < MachineSpec::memoryFloorMiB(m.init))
        m_reader.error(where,
            QStringLiteral("machine '%1' has memory = %2 but init = \"systemd\" needs at least "
                           "%3 (MiB): with less, systemd never reaches multi-user.target and "
                           "every command times out")
                .arg(m.name)
                .arg(m.memoryMiB)
                .arg(MachineSpec::memoryFloorMiB(m.init)));
    if (!m.desktop.isEmpty() && !m.graphics)
        m_reader.error(where,
            QStringLiteral("machine '%1' has desktop = \"%2\" but graphics = false; a desktop "
                           "needs a screen")
                .arg(m.name, m.desktop));
    if (m.graphics && m.qemuMachine == QemuMachineChoice::Microvm)
        m_reader.error(where,
            QStringLiteral("machine '%1' has qemu_machine = \"microvm\" and a screen; microvm "
                           "has no display device: use \"pc\" or \"auto\"")
                .arg(m.name));
    if (m.desktop.isEmpty() && !m.x11Commands.isEmpty())
        m_reader.error(where,
            QStringLiteral("machine '%1' lists x11_commands but has no desktop; set "
                           "desktop = \"x11\"")
                .arg(m.name));
    checkContainer(m, where);
    checkGuest(m, where);
}

namespace {

// What this host lacks to run container machines (what vivarium-container needs), probed once;
// empty when it has it all.
QString containerHostObstacle()
{
    static const QString obstacle = [] {
        QStringList missing;
        if (::geteuid() != 0)
            missing << QStringLiteral("they need root (run as root or with sudo)");
        for (const char *device : { "/dev/loop-control", "/dev/net/tun" }) {
            if (!QFileInfo::exists(QLatin1String(device)))
                missing << QStringLiteral("%1 is missing").arg(QLatin1String(device));
        }
        QFile namespaces(QStringLiteral("/proc/sys/user/max_user_namespaces"));
        if (namespaces.open(QIODevice::ReadOnly)
            && namespaces.readAll().trimmed().toLongLong() <= 0)
            missing << QStringLiteral(
                "user namespaces are off (sysctl user.max_user_namespaces=10000 "
                "turns them on)");
        return missing.join(QStringLiteral("; "));
    }();
    return obstacle;
}

qint64 hostMemoryMiB()
{
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long pageSize = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0 ? qint64(pages) * pageSize / (1024 * 1024) : 0;
}

} // namespace

void MachineKeys::checkContainer(const MachineSpec &m, const toml::source_region &where)
{
    if (m.kind != MachineKind::Container)
        return;
    // What only a virtual machine has: a kernel, a screen, QEMU, a root image of its own.
    QStringList keys;
    if (m.graphics)
        keys << QStringLiteral("graphics");
    if (!m.desktop.isEmpty())
        keys << QStringLiteral("desktop");
    if (!m.kernel.isEmpty() || !m.kernelName.isEmpty())
        keys << QStringLiteral("kernel");
    if (!m.initrd.isEmpty())
        keys << QStringLiteral("initrd");
    if (!m.append.isEmpty())
        keys << QStringLiteral("append");
    if (!m.qemuOptions.isEmpty())
        keys << QStringLiteral("qemu_options");
    if (m.qemuMachine != QemuMachineChoice::Auto)
        keys << QStringLiteral("qemu_machine");
    if (!m.startCommand.isEmpty())
        keys << QStringLiteral("start_command");
    if (!m.image.isEmpty())
        keys << QStringLiteral("image");
    if (!m.base.isEmpty())
        keys << QStringLiteral("base");
    else if (m.root == RootKind::Image)
        keys << QStringLiteral("root = \"image\"");
    if (!m.disks.isEmpty())
        keys << QStringLiteral("disks");
    // A user namespace may mount tmpfs, proc, overlays and binds, not a network or block file
    // system: those need the host's kernel to trust the mounter.
    for (const GuestMount &mount : m.mounts) {
        static const QStringList userMountable { QStringLiteral("tmpfs"), QStringLiteral("none"),
            QStringLiteral("proc"), QStringLiteral("overlay"), QStringLiteral("bind") };
        if (!userMountable.contains(mount.fs) && !mount.options.contains(QStringLiteral("bind")))
            keys << QStringLiteral("mounts of %1 (%2)").arg(mount.fs, mount.mountPoint);
    }
    if (const QString missing = containerHostObstacle(); !missing.isEmpty())
        m_reader.error(where,
            QStringLiteral("machine '%1' is a container (kind = \"container\"), but this host "
                           "cannot run containers: %2 (docs/guests.md, \"Containers\")")
                .arg(m.name, missing));
    if (const qint64 hostMiB = hostMemoryMiB(); hostMiB > 0 && m.memoryMiB > hostMiB)
        m_reader.error(where,
            QStringLiteral("machine '%1' asks for memory = %2 (MiB), more than this host has "
                           "(%3 MiB)")
                .arg(m.name)
                .arg(m.memoryMiB)
                .arg(hostMiB));
    if (!keys.isEmpty())
        m_reader.error(where,
            QStringLiteral("machine '%1' is a container (kind = \"container\"), which has no %2: "
                           "a container runs on the host's kernel and root, with no screen, QEMU "
                           "or disks of its own; drop %3 or make it a VM (kind = \"vm\")")
                .arg(m.name, keys.join(QStringLiteral(", ")),
                    keys.size() == 1 ? QStringLiteral("it") : QStringLiteral("them")));
}

} // namespace vivarium
