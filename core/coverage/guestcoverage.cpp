#include "core/coverage/guestcoverage.h"

#include "core/guest/machinefiles.h"
#include "core/util/textformat.h"

#include <QDir>
#include <QFile>
#include <sys/stat.h>

namespace vivarium::guestcoverage {

namespace {

QString below(const char *dir)
{
    return QLatin1String(guestDir) + QLatin1Char('/') + QLatin1String(dir);
}

const QString pythonRc = QStringLiteral("/vivarium/config/coveragerc");

QMap<QString, QString> environment(const CoverageSettings &settings)
{
    // GCOV_PREFIX_STRIP=0: the counters keep the object file's whole path, so the host finds
    // the .gcno beside the object it was built with. %p-%m: one raw profile per process and
    // program, merged on the host.
    QMap<QString, QString> env {
        { QStringLiteral("GCOV_PREFIX"), below(gcovDir) },
        { QStringLiteral("GCOV_PREFIX_STRIP"), QStringLiteral("0") },
        { QStringLiteral("LLVM_PROFILE_FILE"), below(llvmDir) + QStringLiteral("/%p-%m.profraw") },
    };
    if (settings.python)
        env.insert(QStringLiteral("COVERAGE_PROCESS_START"), pythonRc);
    return env;
}

} // namespace

MachineSpec withCoverage(const MachineSpec &machine, const CoverageSettings &settings)
{
    MachineSpec m = machine;
    const QMap<QString, QString> env = environment(settings);
    QString defaults;
    for (auto it = env.cbegin(); it != env.cend(); ++it) {
        if (!m.environment.contains(it.key()))
            m.environment.insert(it.key(), it.value());
        defaults += QStringLiteral(" \"%1=%2\"").arg(it.key(), m.environment.value(it.key()));
    }
    const auto add = [&m](const QString &path, const QString &content) {
        if (!m.files.contains(path))
            m.files.insert(path, GuestFile(content));
    };
    // systemd's services (and the shells it starts) get it from the manager.
    add(QStringLiteral("/etc/systemd/system.conf.d/vivarium-coverage.conf"),
        QStringLiteral("[Manager]\nDefaultEnvironment=%1\n").arg(defaults.trimmed()));
    if (settings.python) {
        // A .pth line that starts with "import" runs at every interpreter's start; coverage.py
        // starts measuring only where COVERAGE_PROCESS_START is set. sigterm: a process ended
        // by SIGTERM (a service stopped) still writes its data.
        add(QStringLiteral("/usr/lib/python3/dist-packages/vivarium-coverage.pth"),
            QStringLiteral("import os, sys; exec('try:\\n import coverage\\n "
                           "coverage.process_startup()\\nexcept ImportError:\\n pass') if "
                           "os.environ.get('COVERAGE_PROCESS_START') else None\n"));
        add(pythonRc,
            QStringLiteral("[run]\nbranch = True\nparallel = True\nsigterm = True\n"
                           "data_file = %1/.coverage\n")
                .arg(below(pythonDir)));
    }
    return m;
}

QByteArray environmentScript(const CoverageSettings &settings)
{
    QByteArray script;
    const QMap<QString, QString> env = environment(settings);
    for (auto it = env.cbegin(); it != env.cend(); ++it)
        script += QStringLiteral("export %1=%2\n").arg(it.key(), shellQuote(it.value())).toUtf8();
    return script;
}

QString prepareDirectory(const QString &hostDir)
{
    for (const char *dir : { gcovDir, llvmDir, pythonDir }) {
        const QString path = hostDir + QLatin1Char('/') + QLatin1String(dir);
        if (!QDir().mkpath(path))
            return QStringLiteral("cannot create %1 for the machine's coverage counters").arg(path);
        // Sticky and open to every user, as /tmp: a program run as any user writes here.
        if (::chmod(QFile::encodeName(path).constData(), 01777) != 0)
            return QStringLiteral("cannot make %1 writable for the guest's users").arg(path);
    }
    return {};
}

} // namespace vivarium::guestcoverage
