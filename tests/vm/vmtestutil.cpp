#include "vmtestutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <cstdio>
#include <cstdlib>

using namespace vivarium;

void writeTestFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

TestSpec specFromToml(const QString &dir, const QString &name, const QByteArray &toml)
{
    const QString path = dir + "/" + name + ".toml";
    writeTestFile(path, toml);
    SpecLoader loader;
    std::optional<TestSpec> spec = loader.loadFile(path);
    if (!spec)
        qFatal("bad test spec: %s", qPrintable(loader.errors().join('\n')));
    return *spec;
}

QString testOutputDir(const QString &name)
{
    return qEnvironmentVariable("VIVARIUM_TEST_BINARY_DIR", QDir::currentPath()) + "/test-output/"
        + name;
}

QString vivariumTestProgram()
{
    return QCoreApplication::applicationDirPath() + "/../../app/vivarium-test";
}

ProgramRun runVivariumTest(
    const QStringList &arguments, const QString &workingDir, int timeoutS, const QByteArray &input)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    if (!workingDir.isEmpty())
        process.setWorkingDirectory(workingDir);
    process.start(vivariumTestProgram(), arguments);
    if (!process.waitForStarted())
        qFatal("cannot start vivarium-test");
    if (!input.isEmpty())
        process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(timeoutS * 1000)) {
        // SIGTERM: vivarium-test stops its machines, writes its reports and removes its run
        // directory; the output says where the script was.
        process.terminate();
        process.waitForFinished(60000);
        const ProgramRun stopped { -1, QString::fromUtf8(process.readAll()) };
        qFatal("vivarium-test did not finish within %d s; its output ends:\n%s", timeoutS,
            qPrintable(scriptOutput(stopped).right(3000)));
    }
    return { process.exitCode(), QString::fromUtf8(process.readAll()) };
}

QString scriptOutput(const ProgramRun &run)
{
    static const QRegularExpression console(
        QStringLiteral("^\\S+ # .*\n?"), QRegularExpression::MultilineOption);
    return QString(run.output).remove(console);
}

bool passed(const ProgramRun &run)
{
    if (run.exitCode == 0)
        return true;
    fprintf(stderr, "--- the end of the script's output (exit code %d) ---\n%s\n---\n",
        run.exitCode, qPrintable(scriptOutput(run).right(4000)));
    return false;
}

std::unique_ptr<TestRun> makeRun(const TestSpec &spec)
{
    TestRun::Options options;
    options.outDir = testOutputDir(spec.name);
    QDir(options.outDir).removeRecursively();
    QString error;
    std::unique_ptr<TestRun> run = TestRun::create(spec, options, &error);
    if (!run)
        qFatal("cannot create the run: %s", qPrintable(error));
    return run;
}
