#include "core/spec/specloader.h"

#include "core/spec/linkfields.h"
#include "core/spec/tomlguard.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <algorithm>
#include <toml++/toml.h>

namespace vivarium {

namespace {

const QStringList machineKeys = {
    QStringLiteral("vlans"),
    QStringLiteral("memory"),
    QStringLiteral("cpus"),
    QStringLiteral("init"),
    QStringLiteral("services"),
    QStringLiteral("commands"),
    QStringLiteral("files"),
    QStringLiteral("packages"),
    QStringLiteral("graphics"),
    QStringLiteral("vnc"),
    QStringLiteral("image"),
    QStringLiteral("start_command"),
    QStringLiteral("kernel"),
    QStringLiteral("initrd"),
    QStringLiteral("append"),
    QStringLiteral("qemu_options"),
};
// The link keys: the settings of the link-field table, and whether to capture.
const QStringList linkKeys = [] {
    QStringList keys;
    for (const LinkField &field : linkFields())
        keys << QLatin1String(field.key);
    keys << QStringLiteral("capture");
    return keys;
}();

constexpr qsizetype maxAppend = 1024;
const QList<QByteArray> kernelMagic { QByteArray("\x7f"
                                                 "ELF"),
    QByteArray("HdrS") };
const QList<QByteArray> initrdMagic { QByteArray("070701"), QByteArray("070702"),
    QByteArray("\x1f\x8b"),
    QByteArray("\xfd"
               "7zXZ"),
    QByteArray("\x28\xb5\x2f\xfd"), QByteArray("\x02\x21\x4c\x18"), QByteArray("BZh") };

QString str(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

// Reads one document; collects errors with locations.
class Reader {
public:
    Reader(const QString &file, const QString &dir, QStringList &errors)
        : m_file(file)
        , m_dir(dir)
        , m_errors(errors)
    {
    }

    SourceLocation at(const toml::source_region &region) const
    {
        return { m_file, int(region.begin.line), int(region.begin.column) };
    }
    void error(const toml::source_region &region, const QString &message)
    {
        m_errors.append(at(region).toString() + QStringLiteral(": ") + message);
    }

    template<typename T>
    std::optional<T> inRange(const toml::node &node, const QString &key, T value, T min, T max)
    {
        if (value < min || value > max) {
            error(node.source(),
                QStringLiteral("'%1' must be between %2 and %3, not %4")
                    .arg(key)
                    .arg(min)
                    .arg(max)
                    .arg(value));
            return std::nullopt;
        }
        return value;
    }

    std::optional<qint64> integer(
        const toml::node &node, const QString &key, qint64 min, qint64 max)
    {
        const auto value = node.value_exact<int64_t>();
        if (!value) {
            error(node.source(), QStringLiteral("'%1' must be an integer").arg(key));
            return std::nullopt;
        }
        return inRange<qint64>(node, key, *value, min, max);
    }

    std::optional<double> number(const toml::node &node, const QString &key, double min, double max)
    {
        const auto value = node.value<double>();
        if (!value || !(node.is_integer() || node.is_floating_point())) {
            error(node.source(), QStringLiteral("'%1' must be a number").arg(key));
            return std::nullopt;
        }
        return inRange<double>(node, key, *value, min, max);
    }

    std::optional<QString> string(const toml::node &node, const QString &key)
    {
        const auto value = node.value_exact<std::string>();
        if (!value) {
            error(node.source(), QStringLiteral("'%1' must be a string").arg(key));
            return std::nullopt;
        }
        if (value->find('\0') != std::string::npos) {
            error(node.source(), QStringLiteral("'%1' must not contain a NUL character").arg(key));
            return std::nullopt;
        }
        return str(*value);
    }

    std::optional<bool> boolean(const toml::node &node, const QString &key)
    {
        const auto value = node.value_exact<bool>();
        if (!value) {
            error(node.source(), QStringLiteral("'%1' must be true or false").arg(key));
            return std::nullopt;
        }
        return *value;
    }

    std::optional<QStringList> strings(const toml::node &node, const QString &key)
    {
        const toml::array *array = node.as_array();
        if (!array) {
            error(node.source(), QStringLiteral("'%1' must be an array of strings").arg(key));
            return std::nullopt;
        }
        QStringList result;
        for (const toml::node &item : *array) {
            const auto value = item.value_exact<std::string>();
            if (!value) {
                error(item.source(), QStringLiteral("'%1' must hold only strings").arg(key));
                return std::nullopt;
            }
            if (value->find('\0') != std::string::npos) {
                error(item.source(),
                    QStringLiteral("'%1' must not contain a NUL character").arg(key));
                return std::nullopt;
            }
            result.append(str(*value));
        }
        return result;
    }

    QString path(const toml::node &node, const QString &key, bool mustExist)
    {
        const auto value = string(node, key);
        if (!value)
            return {};
        const QString absolute = QDir(m_dir).absoluteFilePath(*value);
        if (mustExist && !QFileInfo::exists(absolute))
            error(node.source(), QStringLiteral("'%1': %2 does not exist").arg(key, absolute));
        return absolute;
    }

    // A kernel or initramfs of the machine's own: an existing file that starts like one.
    QString bootFile(const toml::node &node, const QString &key, const QList<QByteArray> &magic)
    {
        const QString file = path(node, key, true);
        if (file.isEmpty() || !QFileInfo::exists(file))
            return file;
        QFile f(file);
        const QByteArray head = f.open(QIODevice::ReadOnly) ? f.read(0x210) : QByteArray();
        for (const QByteArray &m : magic) {
            // A bzImage says "HdrS" at 0x202; the others start with their magic.
            const qsizetype at = m == "HdrS" ? 0x202 : 0;
            if (head.mid(at, m.size()) == m)
                return file;
        }
        error(node.source(),
            QStringLiteral("'%1': %2 is not a %3")
                .arg(key, file,
                    key == QLatin1String("kernel")
                        ? QStringLiteral("Linux kernel (an ELF vmlinux or a bzImage)")
                        : QStringLiteral("initramfs (cpio, gzip, xz, zstd, lz4 or bzip2)")));
        return {};
    }

    void linkSetting(const QString &key, const toml::node &node, LinkSettings &settings)
    {
        if (key == QLatin1String("capture")) {
            settings.capture = boolean(node, key).value_or(false);
            return;
        }
        const LinkField *field = linkField(key);
        if (!field)
            return;
        const auto value = node.value<double>();
        if (!value || !(node.is_integer() || node.is_floating_point())) {
            error(node.source(), QStringLiteral("'%1' must be a number").arg(key));
            return;
        }
        if (field->integer && !node.is_integer()) {
            error(node.source(), QStringLiteral("'%1' must be an integer").arg(key));
            return;
        }
        const QString problem = field->check(*value);
        if (!problem.isEmpty())
            error(node.source(), problem);
        else
            field->set(settings, *value);
    }

    void machineKey(const QString &key, const toml::node &node, MachineSpec &m)
    {
        if (key == QLatin1String("vlans")) {
            const toml::array *array = node.as_array();
            if (!array) {
                error(node.source(), QStringLiteral("'vlans' must be an array of VLAN numbers"));
                return;
            }
            m.vlans.clear();
            for (const toml::node &item : *array) {
                if (const auto vlan = integer(item, QStringLiteral("vlans"), 1, 254)) {
                    if (m.vlans.contains(int(*vlan)))
                        error(item.source(), QStringLiteral("VLAN %1 is listed twice").arg(*vlan));
                    else
                        m.vlans.append(int(*vlan));
                }
            }
        } else if (key == QLatin1String("memory")) {
            m.memoryMiB = int(integer(node, key, 64, 65536).value_or(m.memoryMiB));
        } else if (key == QLatin1String("cpus")) {
            m.cpus = int(integer(node, key, 1, 64).value_or(m.cpus));
        } else if (key == QLatin1String("init")) {
            if (const auto init = string(node, key)) {
                if (*init == QLatin1String("minimal"))
                    m.init = InitKind::Minimal;
                else if (*init == QLatin1String("systemd"))
                    m.init = InitKind::Systemd;
                else
                    error(node.source(),
                        QStringLiteral("'init' must be \"minimal\" or \"systemd\", not \"%1\"")
                            .arg(*init));
            }
        } else if (key == QLatin1String("services")) {
            m.services = strings(node, key).value_or(QStringList());
        } else if (key == QLatin1String("commands")) {
            m.commands = strings(node, key).value_or(QStringList());
        } else if (key == QLatin1String("packages")) {
            m.packages = strings(node, key).value_or(QStringList());
            // Debian's rule for package names (and an optional :arch): nothing that a program
            // asked about them could take for an option.
            static const QRegularExpression packageName(
                QStringLiteral("^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$"));
            for (const QString &package : std::as_const(m.packages)) {
                if (!packageName.match(package).hasMatch()) {
                    error(node.source(),
                        QStringLiteral("'packages': \"%1\" is not a Debian package name")
                            .arg(package));
                    m.packages.clear();
                    return;
                }
            }
            m_packageNodes.append({ m.name.isEmpty() ? QStringLiteral("[defaults]")
                                                     : QStringLiteral("machine '%1'").arg(m.name),
                m.packages, node.source() });
        } else if (key == QLatin1String("qemu_options")) {
            m.qemuOptions = strings(node, key).value_or(QStringList());
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
                        error(node.source(),
                            QStringLiteral("'qemu_options': \"%1\" would make QEMU listen on "
                                           "\"%2\", beyond this host; use 127.0.0.1")
                                .arg(option,
                                    host.isEmpty() ? QStringLiteral("every address") : host));
                }
            }
        } else if (key == QLatin1String("files")) {
            const toml::table *table = node.as_table();
            if (!table) {
                error(node.source(), QStringLiteral("'files' must be a table of path = content"));
                return;
            }
            m.files.clear();
            for (auto &&[path, content] : *table) {
                const QString guestPath = str(path.str());
                if (guestPath.contains(QChar(0)))
                    error(path.source(),
                        QStringLiteral("file path \"%1\" must not contain a NUL character")
                            .arg(QString(guestPath).replace(QChar(0), QLatin1String("\\0"))));
                else if (!guestPath.startsWith(QLatin1Char('/'))
                    || guestPath.contains(QLatin1String("/../")))
                    error(path.source(),
                        QStringLiteral("file path \"%1\" must be absolute").arg(guestPath));
                else if (const auto text = string(content, guestPath))
                    m.files.insert(guestPath, *text);
            }
        } else if (key == QLatin1String("graphics")) {
            m.graphics = boolean(node, key).value_or(false);
        } else if (key == QLatin1String("vnc")) {
            m.vnc = boolean(node, key).value_or(true);
        } else if (key == QLatin1String("image") || key == QLatin1String("start_command")) {
            // Known keys of the format that this version cannot run yet: said now, with where,
            // rather than when the machine starts.
            error(node.source(),
                QStringLiteral("'%1' machines are not supported yet (host-share guests only)")
                    .arg(key));
        } else if (key == QLatin1String("kernel")) {
            m.kernel = bootFile(node, key, kernelMagic);
        } else if (key == QLatin1String("initrd")) {
            m.initrd = bootFile(node, key, initrdMagic);
        } else if (key == QLatin1String("append")) {
            m.append = string(node, key).value_or(QString());
            if (m.append.size() > maxAppend) {
                error(node.source(),
                    QStringLiteral("'append' has %1 characters; at most %2 fit beside "
                                   "Vivarium's own (the kernel's command line holds 2048)")
                        .arg(m.append.size())
                        .arg(maxAppend));
                m.append.clear();
            }
        }
    }

    // Applies the keys of a machine (or [defaults]) table.
    void machineTable(const toml::table &table, MachineSpec &m)
    {
        for (auto &&[k, v] : table) {
            const QString key = str(k.str());
            if (!machineKeys.contains(key)) {
                error(k.source(),
                    QStringLiteral("unknown machine key '%1' (known: %2)")
                        .arg(key, machineKeys.join(QStringLiteral(", "))));
                continue;
            }
            machineKey(key, v, m);
        }
    }

    void checkMachine(const MachineSpec &m, const toml::source_region &where)
    {
        if (!m.image.isEmpty() && !m.startCommand.isEmpty())
            error(where,
                QStringLiteral("machine '%1' sets both 'image' and 'start_command'").arg(m.name));
        if (m.init == InitKind::Minimal && !m.services.isEmpty())
            error(where,
                QStringLiteral("machine '%1' lists services but its init is \"minimal\"; "
                               "set init = \"systemd\"")
                    .arg(m.name));
    }

    struct PackageUse {
        QString who;
        QStringList packages;
        toml::source_region where;
    };
    QList<PackageUse> m_packageNodes;

private:
    QString m_file;
    QString m_dir;
    QStringList &m_errors;
};

const QRegularExpression machineName(QStringLiteral("^[a-z][a-z0-9_-]*$"));

} // namespace

SpecLoader::SpecLoader()
    : m_missingPackages(&SpecLoader::missingDebianPackages)
{
}

std::optional<TestSpec> SpecLoader::loadFile(const QString &path)
{
    m_errors.clear();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        m_errors.append(
            QStringLiteral("%1: cannot read the test file: %2").arg(path, file.errorString()));
        return std::nullopt;
    }
    return loadString(file.readAll(), QFileInfo(path).absoluteFilePath());
}

std::optional<TestSpec> SpecLoader::loadString(const QByteArray &text, const QString &path)
{
    m_errors.clear();
    if (const QString problem = guardTomlText(text); !problem.isEmpty()) {
        m_errors.append(path + QLatin1Char(':') + problem);
        return std::nullopt;
    }
    const std::string pathUtf8 = path.toStdString();
    toml::table root;
    try {
        root = toml::parse(
            std::string_view(text.constData(), size_t(text.size())), std::string_view(pathUtf8));
    } catch (const toml::parse_error &e) {
        m_errors.append(QStringLiteral("%1:%2:%3: %4")
                            .arg(path)
                            .arg(e.source().begin.line)
                            .arg(e.source().begin.column)
                            .arg(str(e.description())));
        return std::nullopt;
    }
    const QFileInfo info(path);
    Reader reader(path, info.absolutePath(), m_errors);

    TestSpec spec;
    spec.file = path;
    spec.name = info.completeBaseName();
    MachineSpec defaults;
    const toml::table *machinesTable = nullptr;
    const toml::table *vlansTable = nullptr;
    const toml::array *linkArray = nullptr;

    for (auto &&[k, v] : root) {
        const QString key = str(k.str());
        if (key == QLatin1String("name")) {
            // The name names the output directory: no path, nothing hidden.
            static const QRegularExpression testName(
                QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]*$"));
            const QString name = reader.string(v, key).value_or(spec.name);
            if (testName.match(name).hasMatch() && name.size() <= 100)
                spec.name = name;
            else
                reader.error(v.source(),
                    QStringLiteral("'name' \"%1\" must be letters, digits, '.', '_' and '-' "
                                   "(at most 100, not starting with '.' or '-')")
                        .arg(name));
        } else if (key == QLatin1String("script")) {
            spec.script = reader.path(v, key, true);
        } else if (key == QLatin1String("global_timeout")) {
            spec.globalTimeoutS
                = int(reader.integer(v, key, 1, 7 * 24 * 3600).value_or(spec.globalTimeoutS));
        } else if (key == QLatin1String("defaults")) {
            if (const toml::table *t = v.as_table())
                reader.machineTable(*t, defaults);
            else
                reader.error(v.source(), QStringLiteral("'defaults' must be a table"));
        } else if (key == QLatin1String("machines")) {
            machinesTable = v.as_table();
            if (!machinesTable)
                reader.error(v.source(), QStringLiteral("'machines' must be a table of machines"));
        } else if (key == QLatin1String("vlans")) {
            vlansTable = v.as_table();
            if (!vlansTable)
                reader.error(v.source(), QStringLiteral("'vlans' must be a table ([vlans.N])"));
        } else if (key == QLatin1String("link")) {
            linkArray = v.as_array();
            if (!linkArray)
                reader.error(
                    v.source(), QStringLiteral("'link' must be an array of tables ([[link]])"));
        } else {
            reader.error(k.source(),
                QStringLiteral("unknown key '%1' (known: name, script, "
                               "global_timeout, defaults, machines, vlans, link)")
                    .arg(key));
        }
    }

    if ((!machinesTable || machinesTable->empty()) && spec.script.isEmpty()) {
        // A script may make its machines itself (vivarium.stateful's networks); without one
        // there is nothing to run.
        m_errors.append(QStringLiteral("%1:1:1: the test declares no machines and no script "
                                       "(add a [machines.NAME] table)")
                            .arg(path));
    } else if (machinesTable) {
        for (auto &&[k, v] : *machinesTable) {
            MachineSpec machine = defaults;
            machine.name = str(k.str());
            machine.location = reader.at(k.source());
            if (!machineName.match(machine.name).hasMatch())
                reader.error(k.source(),
                    QStringLiteral("machine name '%1' must match [a-z][a-z0-9_-]*")
                        .arg(machine.name));
            if (const toml::table *t = v.as_table())
                reader.machineTable(*t, machine);
            else
                reader.error(
                    v.source(), QStringLiteral("machine '%1' must be a table").arg(machine.name));
            reader.checkMachine(machine, k.source());
            spec.machines.append(machine);
        }
        std::sort(spec.machines.begin(), spec.machines.end(),
            [](const MachineSpec &a, const MachineSpec &b) { return a.name < b.name; });
    }

    QList<int> usedVlans;
    for (const MachineSpec &m : std::as_const(spec.machines)) {
        for (int vlan : m.vlans) {
            if (!usedVlans.contains(vlan))
                usedVlans.append(vlan);
        }
    }
    for (int vlan : std::as_const(usedVlans))
        spec.vlans.insert(vlan, {});
    // A NIC's address ends in the machine's place among all the names (the NixOS rule): 254
    // places at most for a machine on a VLAN.
    for (qsizetype i = 254; i < spec.machines.size(); ++i) {
        const MachineSpec &m = spec.machines.at(i);
        if (!m.vlans.isEmpty()) {
            m_errors.append(QStringLiteral("%1: machine '%2' is number %3 of the sorted names; a "
                                           "machine on a VLAN must be among the first 254 "
                                           "(its address 192.168.N.%3 would not exist)")
                                .arg(m.location.toString(), m.name)
                                .arg(i + 1));
            break;
        }
    }

    if (vlansTable) {
        for (auto &&[k, v] : *vlansTable) {
            bool ok = false;
            const int vlan = str(k.str()).toInt(&ok);
            if (!ok || vlan < 1 || vlan > 254) {
                reader.error(k.source(),
                    QStringLiteral("VLAN '%1' must be a number from 1 to 254").arg(str(k.str())));
                continue;
            }
            if (!usedVlans.contains(vlan)) {
                reader.error(k.source(),
                    QStringLiteral("VLAN %1 has settings but no machine is on it").arg(vlan));
                continue;
            }
            const toml::table *t = v.as_table();
            if (!t) {
                reader.error(v.source(), QStringLiteral("[vlans.%1] must be a table").arg(vlan));
                continue;
            }
            LinkSettings settings;
            for (auto &&[lk, lv] : *t) {
                const QString key = str(lk.str());
                if (!linkKeys.contains(key))
                    reader.error(lk.source(),
                        QStringLiteral("unknown link key '%1' (known: %2)")
                            .arg(key, linkKeys.join(QStringLiteral(", "))));
                else
                    reader.linkSetting(key, lv, settings);
            }
            spec.vlans.insert(vlan, settings);
        }
    }

    if (linkArray) {
        for (const toml::node &node : *linkArray) {
            const toml::table *t = node.as_table();
            if (!t) {
                reader.error(node.source(), QStringLiteral("each [[link]] must be a table"));
                continue;
            }
            LinkSpec link;
            link.location = reader.at(node.source());
            if (const toml::node *machine = t->get("machine"))
                link.machine
                    = reader.string(*machine, QStringLiteral("machine")).value_or(QString());
            if (const toml::node *vlan = t->get("vlan"))
                link.vlan = int(reader.integer(*vlan, QStringLiteral("vlan"), 1, 254).value_or(0));
            // A [[link]] starts from its VLAN's settings and overrides what it names; capturing
            // the VLAN is one file for the VLAN, not one per NIC.
            link.settings = spec.vlans.value(link.vlan);
            link.settings.capture = false;
            for (auto &&[lk, lv] : *t) {
                const QString key = str(lk.str());
                if (linkKeys.contains(key))
                    reader.linkSetting(key, lv, link.settings);
                else if (key != QLatin1String("machine") && key != QLatin1String("vlan"))
                    reader.error(lk.source(),
                        QStringLiteral("unknown link key '%1' (known: machine, vlan, %2)")
                            .arg(key, linkKeys.join(QStringLiteral(", "))));
            }
            const MachineSpec *m = spec.machine(link.machine);
            if (link.machine.isEmpty() || link.vlan == 0)
                reader.error(
                    node.source(), QStringLiteral("a [[link]] needs 'machine' and 'vlan'"));
            else if (!m)
                reader.error(node.source(),
                    QStringLiteral("[[link]] names unknown machine '%1'").arg(link.machine));
            else if (!m->vlans.contains(link.vlan))
                reader.error(node.source(),
                    QStringLiteral("[[link]]: machine '%1' is not on VLAN %2")
                        .arg(link.machine)
                        .arg(link.vlan));
            else
                spec.links.append(link);
        }
    }

    for (const auto &use : std::as_const(reader.m_packageNodes)) {
        const QStringList missing = m_missingPackages(use.packages);
        if (!missing.isEmpty()) {
            reader.error(use.where,
                QStringLiteral("%1 needs packages that are not installed on "
                               "this host (guests share its programs): apt-get install %2")
                    .arg(use.who, missing.join(QLatin1Char(' '))));
        }
    }

    if (!m_errors.isEmpty())
        return std::nullopt;
    return spec;
}

QStringList SpecLoader::missingDebianPackages(const QStringList &packages)
{
    if (packages.isEmpty())
        return {};
    QProcess dpkg;
    dpkg.start(QStringLiteral("dpkg-query"),
        QStringList { QStringLiteral("-W"), QStringLiteral("-f=${Package} ${Status}\\n") }
            + packages);
    dpkg.waitForFinished(10000);
    const QString output = QString::fromUtf8(dpkg.readAllStandardOutput());
    QStringList missing;
    for (const QString &package : packages) {
        const QRegularExpression installed(QStringLiteral("^%1(:\\S+)? .*install ok installed$")
                                               .arg(QRegularExpression::escape(package)),
            QRegularExpression::MultilineOption);
        if (!installed.match(output).hasMatch())
            missing.append(package);
    }
    return missing;
}

} // namespace vivarium
