#include "core/spec/specloader.h"

#include "core/spec/hostkeys.h"
#include "core/spec/linkfields.h"
#include "core/spec/machinekeys.h"
#include "core/spec/tomlguard.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <algorithm>
#include <limits>
#include <toml++/toml.h>

namespace vivarium {

namespace {

// The script is read into log.html and run: it must be a readable file, and one that stays in
// the test's folder once links are followed, unless the test says otherwise (a link to
// /etc/shadow put beside a test would otherwise end up in its report).
void checkScript(TomlReader &reader, const toml::node &node, const QString &script, bool outside)
{
    const QFileInfo info(script);
    if (!info.exists())
        return; // said by reader.path
    if (info.isDir()) {
        reader.error(node.source(),
            QStringLiteral("'script': %1 is a directory, not a Python script").arg(script));
        return;
    }
    if (!info.isReadable()) {
        reader.error(node.source(), QStringLiteral("'script': %1 cannot be read").arg(script));
        return;
    }
    const QString folder = QDir(reader.directory()).canonicalPath();
    const QString resolved = info.canonicalFilePath();
    if (!outside && !resolved.startsWith(folder + QLatin1Char('/')))
        reader.error(node.source(),
            QStringLiteral("'script': %1 is %2, outside the test's folder %3 (set "
                           "script_outside_folder = true if that is meant)")
                .arg(script, resolved, folder));
}

// The link keys: the settings of the link-field table, and whether to capture.
const QStringList linkKeys = [] {
    QStringList keys;
    for (const LinkField &field : linkFields())
        keys << QLatin1String(field.key);
    keys << QStringLiteral("capture");
    return keys;
}();

// [property]: the settings of the script's vivarium.stateful properties.
void readPropertySettings(TomlReader &reader, const toml::table &table, PropertySettings &out)
{
    for (auto &&[k, v] : table) {
        const QString key = tomlString(k.str());
        if (key == QLatin1String("examples"))
            out.examples = reader.integer(v, key, 1, 1000000);
        else if (key == QLatin1String("steps"))
            out.steps = reader.integer(v, key, 1, 10000);
        else if (key == QLatin1String("seed"))
            out.seed = reader.integer(v, key, 0, std::numeric_limits<qint64>::max());
        else if (key == QLatin1String("derandomize"))
            out.derandomize = reader.boolean(v, key);
        else if (key == QLatin1String("forks"))
            out.forks = reader.boolean(v, key);
        else if (key == QLatin1String("guided"))
            out.guided = reader.boolean(v, key);
        else
            reader.error(k.source(),
                QStringLiteral("unknown [property] key '%1' (known: examples, steps, seed, "
                               "derandomize, forks, guided)")
                    .arg(key));
    }
}

// [coverage] (or `coverage = true`): what the machines' instrumented programs measure.
void readCoverageSettings(TomlReader &reader, const toml::node &node, CoverageSettings &out)
{
    if (const auto flag = node.value_exact<bool>()) {
        out.enabled = *flag;
        return;
    }
    const toml::table *table = node.as_table();
    if (!table) {
        reader.error(node.source(),
            QStringLiteral("'coverage' must be true, false or a table ([coverage])"));
        return;
    }
    out.enabled = true;
    for (auto &&[k, v] : *table) {
        const QString key = tomlString(k.str());
        if (key == QLatin1String("enabled")) {
            out.enabled = reader.boolean(v, key).value_or(true);
        } else if (key == QLatin1String("python")) {
            out.python = reader.boolean(v, key).value_or(true);
        } else if (key == QLatin1String("power_off")) {
            out.powerOff = reader.boolean(v, key).value_or(true);
        } else if (key == QLatin1String("llvm_programs")) {
            for (const QString &program : reader.strings(v, key).value_or(QStringList())) {
                if (!QFileInfo(program).isAbsolute() || !QFileInfo(program).isFile())
                    reader.error(v.source(),
                        QStringLiteral("'llvm_programs': %1 is not an existing file named by its "
                                       "absolute path")
                            .arg(program));
                else
                    out.llvmPrograms.append(program);
            }
        } else if (key == QLatin1String("flush")) {
            static const QRegularExpression programName(QStringLiteral("^[^/\\s'\"]{1,255}$"));
            for (const QString &program : reader.strings(v, key).value_or(QStringList())) {
                if (programName.match(program).hasMatch())
                    out.flush.append(program);
                else
                    reader.error(v.source(),
                        QStringLiteral("'flush': \"%1\" must be a program's file name (as pidof "
                                       "finds it: no '/', space or quote)")
                            .arg(program));
            }
        } else if (key == QLatin1String("flush_signal")) {
            if (const auto name = reader.choice<QString>(v, key,
                    { { "USR1", QStringLiteral("USR1") }, { "USR2", QStringLiteral("USR2") },
                        { "HUP", QStringLiteral("HUP") } }))
                out.flushSignal = *name;
        } else if (key == QLatin1String("include")) {
            out.include = reader.strings(v, key).value_or(QStringList());
        } else {
            reader.error(k.source(),
                QStringLiteral("unknown [coverage] key '%1' (known: enabled, python, "
                               "llvm_programs, flush, flush_signal, include, power_off)")
                    .arg(key));
        }
    }
}

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
    std::optional<toml::table> parsed = parseToml(text, path, m_errors);
    if (!parsed)
        return std::nullopt;
    const toml::table &root = *parsed;
    const QFileInfo info(path);
    TomlReader reader(path, info.absolutePath(), m_errors);
    MachineKeys machineKeys(reader);

    TestSpec spec;
    spec.file = path;
    spec.name = info.completeBaseName();
    MachineSpec defaults;
    const toml::table *machinesTable = nullptr;
    const toml::table *vlansTable = nullptr;
    const toml::array *linkArray = nullptr;
    const toml::node *scriptNode = nullptr;
    bool scriptOutsideFolder = false;

    for (auto &&[k, v] : root) {
        const QString key = tomlString(k.str());
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
            scriptNode = &v;
        } else if (key == QLatin1String("script_outside_folder")) {
            scriptOutsideFolder = reader.boolean(v, key).value_or(false);
        } else if (key == QLatin1String("global_timeout")) {
            spec.globalTimeoutS
                = int(reader.integer(v, key, 1, 7 * 24 * 3600).value_or(spec.globalTimeoutS));
        } else if (key == QLatin1String("defaults")) {
            if (const toml::table *t = v.as_table())
                machineKeys.table(*t, defaults);
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
        } else if (key == QLatin1String("property")) {
            if (const toml::table *t = v.as_table())
                readPropertySettings(reader, *t, spec.property);
            else
                reader.error(v.source(), QStringLiteral("'property' must be a table ([property])"));
        } else if (key == QLatin1String("coverage")) {
            readCoverageSettings(reader, v, spec.coverage);
        } else if (key == QLatin1String("hosts")) {
            readHosts(reader, v, spec.hosts);
        } else if (key == QLatin1String("link")) {
            linkArray = v.as_array();
            if (!linkArray)
                reader.error(
                    v.source(), QStringLiteral("'link' must be an array of tables ([[link]])"));
        } else {
            reader.error(k.source(),
                QStringLiteral(
                    "unknown key '%1' (known: name, script, script_outside_folder, "
                    "global_timeout, defaults, machines, vlans, link, property, coverage, hosts)")
                    .arg(key));
        }
    }

    if (scriptNode)
        checkScript(reader, *scriptNode, spec.script, scriptOutsideFolder);

    if ((!machinesTable || machinesTable->empty()) && spec.script.isEmpty()) {
        // A script may make its machines itself (vivarium.stateful's networks); without one
        // there is nothing to run.
        m_errors.append(QStringLiteral("%1:1:1: the test declares no machines and no script "
                                       "(add a [machines.NAME] table)")
                            .arg(path));
    } else if (machinesTable) {
        for (auto &&[k, v] : *machinesTable) {
            MachineSpec machine = defaults;
            machine.name = tomlString(k.str());
            machine.location = reader.at(k.source());
            if (!MachineKeys::isMachineName(machine.name))
                reader.error(k.source(),
                    QStringLiteral("machine name '%1' must be a host name: a letter, then letters, "
                                   "digits, '-' or '_' (at most 63)")
                        .arg(machine.name));
            for (const MachineSpec &other : std::as_const(spec.machines)) {
                if (other.name.compare(machine.name, Qt::CaseInsensitive) == 0
                    || other.pythonName() == machine.pythonName())
                    reader.error(k.source(),
                        QStringLiteral("machine name '%1' is taken by machine '%2' (host names "
                                       "ignore case; the script global turns '-' into '_')")
                            .arg(machine.name, other.name));
            }
            if (const toml::table *t = v.as_table())
                machineKeys.table(*t, machine);
            else
                reader.error(
                    v.source(), QStringLiteral("machine '%1' must be a table").arg(machine.name));
            machineKeys.check(machine, k.source());
            spec.machines.append(machine);
        }
        std::sort(spec.machines.begin(), spec.machines.end(),
            [](const MachineSpec &a, const MachineSpec &b) { return a.name < b.name; });
    }

    checkMachineHosts(spec, m_errors);
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
            const int vlan = tomlString(k.str()).toInt(&ok);
            if (!ok || vlan < 1 || vlan > 254) {
                reader.error(k.source(),
                    QStringLiteral("VLAN '%1' must be a number from 1 to 254")
                        .arg(tomlString(k.str())));
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
                const QString key = tomlString(lk.str());
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
                const QString key = tomlString(lk.str());
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

    checkPackages(reader, machineKeys, [&](const QString &name) {
        if (name.isEmpty()) // [defaults]: its packages matter for a machine without a base
            return std::all_of(spec.machines.cbegin(), spec.machines.cend(),
                       [](const MachineSpec &m) { return !m.base.isEmpty(); })
                && !spec.machines.isEmpty();
        const MachineSpec *m = spec.machine(name);
        return m && !m->base.isEmpty();
    });
    spec.defaults = defaults;
    if (!m_errors.isEmpty())
        return std::nullopt;
    return spec;
}

void SpecLoader::checkPackages(TomlReader &reader, const MachineKeys &keys,
    const std::function<bool(const QString &machine)> &isBased)
{
    for (const auto &use : keys.packageUses()) {
        if (isBased(use.machine))
            continue;
        const QStringList missing = m_missingPackages(use.packages);
        if (!missing.isEmpty()) {
            reader.error(use.where,
                QStringLiteral("%1 needs packages that are not installed on "
                               "this host (guests share its programs): apt-get install %2")
                    .arg(use.who, missing.join(QLatin1Char(' '))));
        }
    }
}

std::optional<MachineSpec> SpecLoader::loadAddedMachine(
    const QString &name, const QByteArray &keys, const TestSpec &test)
{
    m_errors.clear();
    const QString where = QStringLiteral("add_machine(\"%1\")").arg(name);
    // The keys' text is made by the driver, not written by the user: a place in it would
    // mean nothing, so messages name the call and the key only.
    const auto done = [&]() -> bool {
        static const QRegularExpression place(
            QStringLiteral("^(add_machine\\(\"[^\"]*\"\\)):\\d+:\\d+:"));
        for (QString &error : m_errors)
            error.replace(place, QStringLiteral("\\1:"));
        return m_errors.isEmpty();
    };
    if (!MachineKeys::isMachineName(name)) {
        m_errors.append(QStringLiteral("%1: a machine name must be a host name: a letter, then "
                                       "letters, digits, '-' or '_' (at most 63)")
                            .arg(where));
        return std::nullopt;
    }
    std::optional<toml::table> parsed = parseToml(keys, where, m_errors);
    if (!parsed) {
        done();
        return std::nullopt;
    }
    const toml::table &root = *parsed;
    TomlReader reader(where, QFileInfo(test.file).absolutePath(), m_errors);
    MachineKeys machineKeys(reader);
    MachineSpec machine = test.defaults;
    machine.name = name;
    machine.location = SourceLocation { where, 0, 0 };
    for (const MachineSpec &other : test.machines) {
        if (other.name.compare(name, Qt::CaseInsensitive) == 0
            || other.pythonName() == machine.pythonName())
            m_errors.append(QStringLiteral("%1: machine name '%2' is taken by machine '%3' (host "
                                           "names ignore case; the script global turns '-' "
                                           "into '_')")
                                .arg(where, name, other.name));
    }
    machineKeys.table(root, machine);
    machineKeys.check(machine, root.source());
    // Other hosts are connected and checked before the run's first machine boots: one added
    // later runs here.
    if (machine.onOtherHost())
        m_errors.append(QStringLiteral("%1: host = \"%2\": a machine added while the test runs "
                                       "runs on this host (put machines on other hosts in the "
                                       "test file, where the hosts are checked before any "
                                       "machine boots)")
                            .arg(where, machine.host));
    // Added machines are numbered after every machine the test has (addressing.h).
    if (test.machines.size() >= 254 && !machine.vlans.isEmpty())
        m_errors.append(QStringLiteral("%1: the test has %2 machines already; a machine on a "
                                       "VLAN must be among the first 254 (its address "
                                       "192.168.N.%3 would not exist)")
                            .arg(where)
                            .arg(test.machines.size())
                            .arg(test.machines.size() + 1));
    checkPackages(reader, machineKeys, [&](const QString &) { return !machine.base.isEmpty(); });
    if (!done())
        return std::nullopt;
    return machine;
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
