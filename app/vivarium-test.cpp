// vivarium-test: runs a test headless (DESIGN section 7).
#include "machine/testrun.h"
#include "report/eventrecorder.h"
#include "report/reports.h"
#include "report/terminallog.h"
#include "script/scriptengine.h"
#include "spec/specloader.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
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
    const QCommandLineOption interactive({ QStringLiteral("I"), QStringLiteral("interactive") },
        QStringLiteral("A Python prompt with the script's globals instead of the script."));
    const QCommandLineOption junit(QStringLiteral("junit-xml"),
        QStringLiteral("Where to write the JUnit report (default: OUTPUT/junit.xml)."),
        QStringLiteral("FILE"));
    parser.addOptions({ outDir, keep, accel, timeout, interactive, junit });
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
    if (parser.isSet(timeout)) {
        bool ok = false;
        spec->globalTimeoutS = parser.value(timeout).toInt(&ok);
        if (!ok || spec->globalTimeoutS <= 0) {
            complain(QStringLiteral("vivarium-test: --global-timeout must be a positive number of "
                                    "seconds, not \"%1\"")
                         .arg(parser.value(timeout)));
            return BadInput;
        }
    }

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
    EventRecorder recorder(run->outDir() + QStringLiteral("/events.jsonl"));
    recorder.watch(run->events());
    recorder.watch(run->network());
    TerminalLog terminal(&recorder);
    ScriptEngine engine(run.get());
    recorder.watch(&engine);
    engine.setGlobalTimeout(spec->globalTimeoutS);
    QString source;
    if (parser.isSet(interactive)) {
        engine.setGlobalTimeout(0);
        engine.startInteractive();
    } else if (spec->script.isEmpty()) {
        // No script: the test is that every machine comes up.
        source = QStringLiteral(
            "start_all()\nfor machine in machines:\n    machine.wait_for_ready()\n");
        engine.startSource(source, QStringLiteral("<no script>"));
    } else {
        QFile file(spec->script);
        if (!file.open(QIODevice::ReadOnly)) {
            complain(QStringLiteral("vivarium-test: cannot read the script %1: %2")
                         .arg(spec->script, file.errorString()));
            return BadInput;
        }
        source = QString::fromUtf8(file.readAll());
        engine.startSource(source, spec->script);
    }
    const ScriptResult result = engine.wait();
    recorder.recordResult(result);

    ReportInput report { spec->name, spec->script, source, recorder.events(), result };
    const QString junitPath = parser.isSet(junit)
        ? QFileInfo(parser.value(junit)).absoluteFilePath()
        : run->outDir() + QStringLiteral("/junit.xml");
    for (const QString &problem : { writeJunit(junitPath, report),
             writeHtmlReport(run->outDir() + QStringLiteral("/log.html"), report) }) {
        if (!problem.isEmpty())
            complain(QStringLiteral("vivarium-test: ") + problem);
    }
    const double seconds = double(clock.elapsed()) / 1000.0;
    if (options.keepMachineState)
        say(QStringLiteral("vivarium-test: machine state kept in %1").arg(run->runDir()));
    if (result.outcome == ScriptResult::Outcome::Passed) {
        say(QStringLiteral("vivarium-test: %1 passed in %2 s; report %3/log.html")
                .arg(spec->name)
                .arg(seconds, 0, 'f', 1)
                .arg(run->outDir()));
        return Passed;
    }
    const QString where
        = result.line > 0 ? QStringLiteral("%1:%2: ").arg(result.file).arg(result.line) : QString();
    complain(
        QStringLiteral("vivarium-test: %1 %2 after %3 s: %4%5\nvivarium-test: report %6/log.html")
            .arg(spec->name, ScriptResult::outcomeName(result.outcome).toUpper())
            .arg(seconds, 0, 'f', 1)
            .arg(where, result.message, run->outDir()));
    return TestFailed;
}
