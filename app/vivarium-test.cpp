// vivarium-test: runs a test headless (DESIGN section 7).
#include "machine/testrun.h"
#include "spec/specloader.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <cstdio>

using namespace vivarium;

namespace {

enum ExitCode { Passed = 0, TestFailed = 1, BadInput = 2, Environment = 3 };

void say(const QString &line)
{
    std::fprintf(stdout, "%s\n", qPrintable(line));
    std::fflush(stdout);
}

void complain(const QString &line)
{
    std::fprintf(stderr, "%s\n", qPrintable(line));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("vivarium-test"));
    QCoreApplication::setApplicationVersion(QStringLiteral(VIVARIUM_VERSION));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs a Vivarium test headless.\n"
        "Exit status: 0 passed, 1 test failed, 2 bad test file or usage, 3 environment."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption outDir({ QStringLiteral("o"), QStringLiteral("output") },
        QStringLiteral("Output directory."), QStringLiteral("DIR"));
    const QCommandLineOption keep({ QStringLiteral("K"), QStringLiteral("keep-machine-state") },
        QStringLiteral("Keep the machines' disks and run directory."));
    const QCommandLineOption accel(QStringLiteral("accel"),
        QStringLiteral("auto, kvm or tcg (default: $VIVARIUM_ACCEL or auto)."),
        QStringLiteral("ACCEL"));
    const QCommandLineOption timeout(QStringLiteral("global-timeout"),
        QStringLiteral("Seconds before the run is stopped."), QStringLiteral("S"));
    parser.addOptions({ outDir, keep, accel, timeout });
    parser.addPositionalArgument(QStringLiteral("TEST.toml"), QStringLiteral("The test file."));
    if (!parser.parse(app.arguments())) {
        complain(QStringLiteral("vivarium-test: ") + parser.errorText());
        return BadInput;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(0);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();
    if (parser.positionalArguments().size() != 1) {
        complain(QStringLiteral("vivarium-test: give one test file (see --help)"));
        return BadInput;
    }
    const QString accelValue = parser.value(accel);
    if (!accelValue.isEmpty()
        && !QStringList { QStringLiteral("auto"), QStringLiteral("kvm"), QStringLiteral("tcg") }
                .contains(accelValue)) {
        complain(QStringLiteral("vivarium-test: --accel must be auto, kvm or tcg, not \"%1\"")
                     .arg(accelValue));
        return BadInput;
    }

    SpecLoader loader;
    std::optional<TestSpec> spec = loader.loadFile(parser.positionalArguments().constFirst());
    if (!spec) {
        for (const QString &error : loader.errors())
            complain(error);
        return BadInput;
    }
    if (parser.isSet(timeout))
        spec->globalTimeoutS = parser.value(timeout).toInt();

    TestRun::Options options;
    options.outDir = parser.value(outDir);
    options.accel = accelValue;
    options.keepMachineState = parser.isSet(keep);
    QString error;
    std::unique_ptr<TestRun> run = TestRun::create(*spec, options, &error);
    if (!run) {
        complain(QStringLiteral("vivarium-test: ") + error);
        return Environment;
    }
    say(QStringLiteral("vivarium-test: %1 (%2 machines), accelerator %3 (%4), output in %5")
            .arg(spec->name)
            .arg(spec->machines.size())
            .arg(run->accel().accel, run->accel().reason, run->outDir()));
    QElapsedTimer clock;
    clock.start();
    try {
        run->waitAllReady(spec->globalTimeoutS);
        for (const auto &m : run->machines())
            say(QStringLiteral("  %1: ready after %2 s")
                    .arg(m->name())
                    .arg(m->readySeconds(), 0, 'f', 2));
        if (!spec->script.isEmpty())
            say(QStringLiteral("vivarium-test: the machines are up; running scripts needs the "
                               "script engine, which this build does not have yet"));
        for (const auto &m : run->machines())
            m->shutdown(60);
    } catch (const MachineError &e) {
        complain(QStringLiteral("vivarium-test: FAILED: ") + QString::fromStdString(e.what()));
        return TestFailed;
    }
    say(QStringLiteral("vivarium-test: passed in %1 s")
            .arg(double(clock.elapsed()) / 1000.0, 0, 'f', 1));
    if (options.keepMachineState)
        say(QStringLiteral("vivarium-test: machine state kept in %1").arg(run->runDir()));
    return Passed;
}
