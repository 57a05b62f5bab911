// copy_from_host and copy_from_machine. Files cross as tar archives, and the host never acts on
// a path a guest can change: /tmp/shared is the host's directory, but the guest writes in it, so
// a link planted there would turn a host write into one anywhere on the host (as root). The
// host writes an archive into a file it has just created there under a random name (O_EXCL,
// which never follows a link), and reads what comes back from the backdoor, not from the share.
#include "core/machine/machine.h"
#include "core/machine/sharedlimit.h"
#include "core/util/textformat.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

namespace vivarium {

namespace {

// The path as tar takes it: its directory and its name ("/root/d/" is d in /root).
struct Split {
    QString directory, name;
};

Split split(const QString &path)
{
    const QString clean = QDir::cleanPath(path);
    const QFileInfo info(clean);
    return { info.path(), info.fileName() };
}

// Runs tar on the host; its output goes to fd when one is given, its input is input.
QString runTar(const QStringList &arguments, int outputFd, const QByteArray &input = {})
{
    QProcess tar;
    if (outputFd >= 0) {
        tar.setStandardOutputFile(QProcess::nullDevice());
        tar.setChildProcessModifier([outputFd] { ::dup2(outputFd, STDOUT_FILENO); });
    }
    tar.start(QStringLiteral("tar"), arguments);
    if (!tar.waitForStarted())
        return QStringLiteral("cannot run tar: ") + tar.errorString();
    if (!input.isEmpty())
        tar.write(input);
    tar.closeWriteChannel();
    if (!tar.waitForFinished(-1) || tar.exitStatus() != QProcess::NormalExit || tar.exitCode() != 0)
        return QString::fromLocal8Bit(tar.readAllStandardError()).trimmed();
    return {};
}

// Leaves only files and directories below dir: a guest's links, devices and pipes do not reach
// the host's output directory (a link there would point a reader at a host file).
void keepPlainFiles(const QString &dir)
{
    QDirIterator it(dir, QDir::AllEntries | QDir::System | QDir::Hidden | QDir::NoDotAndDotDot,
        QDirIterator::Subdirectories);
    QStringList strays;
    while (it.hasNext()) {
        const QFileInfo info(it.next());
        if (info.isSymLink() || (!info.isFile() && !info.isDir()))
            strays.append(info.filePath());
    }
    for (const QString &path : strays)
        ::unlink(QFile::encodeName(path).constData());
}

} // namespace

void Machine::copyFromHost(const QString &source, const QString &target)
{
    action(QStringLiteral("copy_from_host"),
        { { QStringLiteral("source"), source }, { QStringLiteral("target"), target } }, [&] {
            const QFileInfo info(QDir::cleanPath(QFileInfo(source).absoluteFilePath()));
            if (!info.exists() && !info.isSymLink())
                throw MachineError(MachineError::Kind::Usage,
                    formatText(u"copy_from_host: %1 does not exist", source));
            const Split from = split(info.absoluteFilePath());
            if (from.name.isEmpty())
                throw MachineError(MachineError::Kind::Usage,
                    formatText(
                        u"copy_from_host: cannot copy %1 (name a file or directory)", source));
            // A machine with an image root shares no directory: the archive is staged in the
            // machine's private directory and sent over the backdoor.
            const bool shared = m_spec.root == RootKind::Share;
            const QString stageDir = shared ? m_paths.sharedDir() : m_paths.root;
            QByteArray staged = QFile::encodeName(stageDir) + "/.from-host-XXXXXX";
            const int fd = ::mkostemp(staged.data(), O_CLOEXEC);
            if (fd < 0)
                throw MachineError(MachineError::Kind::Failed,
                    formatText(u"copy_from_host: cannot stage %1 in %2", source, stageDir));
            // The host's archive is not the guest's writing (the shared directory's limit).
            const QString stagedPath = QFile::decodeName(staged);
            SharedLimit::exempt(stagedPath, true);
            const auto unexempt = qScopeGuard([&] { SharedLimit::exempt(stagedPath, false); });
            const QString problem = runTar(
                { QStringLiteral("-c"), QStringLiteral("-f"), QStringLiteral("-"),
                    QStringLiteral("-C"), from.directory, QStringLiteral("--"), from.name },
                fd);
            ::close(fd);
            if (!problem.isEmpty()) {
                ::unlink(staged.constData());
                throw MachineError(MachineError::Kind::Failed,
                    formatText(u"copy_from_host: cannot pack %1: %2", source, problem));
            }
            QString guestStaged = QStringLiteral("/tmp/shared/") + QFileInfo(stagedPath).fileName();
            if (!shared) {
                try {
                    guestStaged = sendArchive(stagedPath);
                } catch (const MachineError &) {
                    ::unlink(staged.constData());
                    throw;
                }
            }
            // The guest unpacks into a directory of its own and copies from there (cp -rT:
            // the target becomes the copy). A subshell, for its EXIT trap: the machine's
            // shell persists between commands, and its own trap would never run.
            try {
                succeedBody(formatText(u"(d=$(mktemp -d); trap 'rm -rf \"$d\" %1' EXIT; "
                                       "tar -x --no-same-owner -f %1 -C \"$d\" && "
                                       "mkdir -p \"$(dirname %2)\" && cp -rT \"$d\"/%3 %2)",
                                shellQuote(guestStaged), shellQuote(target), shellQuote(from.name)),
                    defaultTimeout);
            } catch (const MachineError &) {
                ::unlink(staged.constData()); // unlink follows no link: at worst a guest's file
                throw;
            }
            ::unlink(staged.constData());
        });
}

QString Machine::sendArchive(const QString &path)
{
    // The backdoor carries commands, not input: the archive goes as base64 in commands of a few
    // MiB (a command may be 64 MiB), appended to a file the guest made.
    const CommandResult made = runCommand(QStringLiteral("mktemp /tmp/.from-host-XXXXXX"), 60);
    const QString guestPath = QString::fromUtf8(made.stdoutBytes).trimmed();
    if (made.status != 0 || !guestPath.startsWith(QLatin1String("/tmp/.from-host-")))
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("copy_from_host: cannot make a file in the guest's /tmp: ")
                + printableText(QString::fromUtf8(made.stderrBytes).trimmed()));
    QFile archive(path);
    if (!archive.open(QIODevice::ReadOnly))
        throw MachineError(MachineError::Kind::Failed,
            QStringLiteral("copy_from_host: cannot read the staged archive ") + path);
    try {
        while (!archive.atEnd()) {
            const QByteArray piece = archive.read(6 * 1024 * 1024).toBase64();
            const CommandResult sent
                = runCommand(QStringLiteral("base64 -d >> %1 <<'VIVARIUM_END'\n%2\nVIVARIUM_END")
                                 .arg(shellQuote(guestPath), QString::fromLatin1(piece)),
                    defaultTimeout);
            if (sent.status != 0)
                throw MachineError(MachineError::Kind::Failed,
                    formatText(u"copy_from_host: cannot write %1 in the guest: %2", guestPath,
                        printableText(QString::fromUtf8(sent.stderrBytes).trimmed())));
        }
    } catch (const MachineError &) {
        runCommand(QStringLiteral("rm -f ") + shellQuote(guestPath), 60);
        throw;
    }
    return guestPath;
}

QString Machine::copyFromMachine(const QString &source, const QString &targetDir)
{
    return actionResult<QString>(
        QStringLiteral("copy_from_machine"), { { QStringLiteral("source"), source } }, [&] {
            const Split from = split(source);
            if (from.name.isEmpty() || from.name == QLatin1String(".."))
                throw MachineError(MachineError::Kind::Usage,
                    formatText(
                        u"copy_from_machine: cannot copy %1 (name a file or directory)", source));
            // The archive comes back over the backdoor (byte for byte, of any size); links are
            // followed in the guest, so what arrives is the guest's files, never a link.
            // A dangling link is left out, not a failure (--ignore-failed-read); a missing
            // source is one.
            const CommandResult packed = runCommand(
                formatText(
                    u"cd %1 && { test -e %2 || test -L %2 || { echo 'no such file or directory' "
                    ">&2; exit 1; }; } && tar -c -h --ignore-failed-read -f - -- %2",
                    shellQuote(from.directory), shellQuote(from.name)),
                defaultTimeout);
            // tar's status 1 is a file that changed or went while it was read (a link that
            // leads nowhere in the guest): the archive is whole without it.
            if (packed.status != 0 && packed.status != 1)
                throw MachineError(MachineError::Kind::Failed,
                    formatText(u"copy_from_machine: cannot read %1 in the machine: %2", source,
                        QString::fromUtf8(packed.stderrBytes).trimmed()));
            const QString destDir = QDir(m_context.outDir).absoluteFilePath(targetDir);
            if (!QDir().mkpath(destDir))
                throw MachineError(MachineError::Kind::Failed,
                    formatText(u"copy_from_machine: cannot create %1", destDir));
            // Unpacked beside its place (the same file system, for the rename), in a directory
            // only this run has, and cleaned of anything but files and directories.
            QTemporaryDir unpacked(destDir + QStringLiteral("/.vivarium-copy-XXXXXX"));
            if (!unpacked.isValid())
                throw MachineError(MachineError::Kind::Failed,
                    formatText(u"copy_from_machine: cannot write in %1", destDir));
            const QString problem = runTar(
                { QStringLiteral("-x"), QStringLiteral("-f"), QStringLiteral("-"),
                    QStringLiteral("-C"), unpacked.path(), QStringLiteral("--no-same-owner"),
                    QStringLiteral("--no-same-permissions") },
                -1, packed.stdoutBytes);
            if (!problem.isEmpty())
                throw MachineError(MachineError::Kind::Failed,
                    formatText(u"copy_from_machine: cannot unpack %1: %2", source, problem));
            keepPlainFiles(unpacked.path());
            const QString dest = destDir + QLatin1Char('/') + from.name;
            const QFileInfo existing(dest);
            if (existing.isDir() && !existing.isSymLink())
                QDir(dest).removeRecursively(); // an earlier copy of the same path in this run
            else if (existing.exists() || existing.isSymLink())
                QFile::remove(dest);
            const QByteArray moved
                = QFile::encodeName(unpacked.path() + QLatin1Char('/') + from.name);
            if (::rename(moved.constData(), QFile::encodeName(dest).constData()) != 0)
                throw MachineError(MachineError::Kind::Failed,
                    formatText(u"copy_from_machine: cannot move %1 to %2", source, dest));
            return dest;
        });
}

} // namespace vivarium
