#include "core/guest/rootimage.h"

#include "core/util/childprocess.h"
#include "core/util/filelock.h"
#include "core/util/hostview.h"
#include "core/util/textformat.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <fcntl.h>
#include <mutex>
#include <sys/file.h>
#include <unistd.h>

namespace vivarium {

namespace {

// Bumped when what goes into an image changes: older images are then rebuilt.
constexpr auto recipe = "vivarium root image 1";

// Taken whole.
const QStringList wholeDirectories { QStringLiteral("usr"), QStringLiteral("etc"),
    QStringLiteral("var"), QStringLiteral("opt") };
// Kept as empty directories: mount points, and what is the host's own (its users' homes).
const QStringList emptyDirectories { QStringLiteral("proc"), QStringLiteral("sys"),
    QStringLiteral("dev"), QStringLiteral("run"), QStringLiteral("tmp"), QStringLiteral("home"),
    QStringLiteral("root"), QStringLiteral("mnt"), QStringLiteral("media"), QStringLiteral("srv"),
    QStringLiteral("boot") };
// Emptied inside the kept ones: the host's temporary files, package caches and logs.
const QStringList emptiedInside { QStringLiteral("var/tmp"), QStringLiteral("var/cache/apt"),
    QStringLiteral("var/lib/apt/lists"), QStringLiteral("var/log") };
// Files the guests get their own of, left out of the key so that a container's rewrites of them
// do not force a rebuild.
const QStringList unkeyedFiles { QStringLiteral("etc/hostname"), QStringLiteral("etc/hosts"),
    QStringLiteral("etc/resolv.conf"), QStringLiteral("etc/mtab") };

// A name as a POSIX extended regular expression (mkfs.erofs uses regcomp) matches it.
QString regexEscaped(const QString &name)
{
    QString out;
    for (const QChar c : name) {
        if (QStringLiteral(".[]{}()\\*+?^$|").contains(c))
            out += QLatin1Char('\\');
        out += c;
    }
    return out;
}

// The names and attributes of everything under dir (relative to source), sorted.
void listTree(const QString &source, const QString &dir, const QStringList &skip, QByteArray *out)
{
    QStringList lines;
    QDirIterator it(QDir(source).filePath(dir),
        QDir::AllEntries | QDir::System | QDir::Hidden | QDir::NoDotAndDotDot,
        QDirIterator::Subdirectories);
    const int prefix = QDir::cleanPath(source).size() + (source.endsWith(QLatin1Char('/')) ? 0 : 1);
    while (it.hasNext()) {
        const QFileInfo info(it.next());
        const QString relative = info.filePath().mid(prefix);
        if (skip.contains(relative))
            continue;
        lines << QStringLiteral("%1 %2 %3 %4")
                     .arg(relative)
                     .arg(info.size())
                     .arg(info.lastModified().toSecsSinceEpoch())
                     .arg(int(info.permissions()));
    }
    lines.sort();
    *out += lines.join(QLatin1Char('\n')).toUtf8();
}

QString mib(qint64 bytes)
{
    return QString::number(bytes / (1024 * 1024));
}

// What the build runs in a mount namespace of its own: a tmpfs stage holding the kept
// directories bound read-only from source, the emptied ones made afresh with the host's modes
// and the top-level links copied; then mkfs.erofs of the stage. (mkfs.erofs reads every xattr
// of its source before it applies any exclusion, and /proc has some it cannot read: the host's
// "/" itself cannot be the source.) Arguments: SOURCE STAGE MKFS-ARGUMENTS...
const char stageScript[] = R"(set -e
source=$1 stage=$2
shift 2
mount -t tmpfs -o mode=0755 vivarium-root-stage "$stage"
for d in %1; do
    [ -d "$source/$d" ] && [ ! -L "$source/$d" ] || continue
    mkdir "$stage/$d"
    mount --bind "$source/$d" "$stage/$d"
done
for d in %2; do
    [ -d "$source/$d" ] && [ ! -L "$source/$d" ] || continue
    mkdir "$stage/$d"
    chmod --reference="$source/$d" "$stage/$d"
done
for entry in "$source"/* "$source"/.[!.]*; do
    [ -L "$entry" ] && cp -P "$entry" "$stage/"
done
exec mkfs.erofs "$@" "$stage"
)";

} // namespace

QString RootImage::build(
    const QString &source, const QString &path, qint64 expectedBytes, const Progress &progress)
{
    for (const char *tool : { "mkfs.erofs", "unshare" }) {
        if (QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty())
            return QStringLiteral("%1 is not installed (apt-get install erofs-utils "
                                  "util-linux, or scripts/setup)")
                .arg(QLatin1String(tool));
    }
    const QString partial = path + QStringLiteral(".partial");
    QFile::remove(partial);
    QTemporaryDir stage(QFileInfo(path).absolutePath() + QStringLiteral("/stage-XXXXXX"));
    if (!stage.isValid())
        return QStringLiteral("cannot make a directory beside %1: %2")
            .arg(path, stage.errorString());
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    // unshare execs the shell, which execs mkfs.erofs: the death signal holds for all three.
    dieWithParent(&process);
    process.start(QStringLiteral("unshare"),
        QStringList { QStringLiteral("--mount"), QStringLiteral("--propagation"),
            QStringLiteral("private"), QStringLiteral("/bin/sh"), QStringLiteral("-c"),
            QString::fromLatin1(stageScript)
                .arg(wholeDirectories.join(QLatin1Char(' ')),
                    emptyDirectories.join(QLatin1Char(' '))),
            QStringLiteral("sh"), source, stage.path(), QStringLiteral("-zlz4"),
            QStringLiteral("--quiet") }
            << exclusions(HostView::hiddenFiles()) << partial);
    if (!process.waitForStarted())
        return QStringLiteral("cannot run unshare: %1").arg(process.errorString());
    QElapsedTimer elapsed;
    elapsed.start();
    QByteArray output;
    while (!process.waitForFinished(2000)) {
        if (process.state() == QProcess::NotRunning)
            break;
        output += process.readAll();
        const qint64 written = QFileInfo(partial).size();
        QString text = QStringLiteral("building the root image: %1 MiB written in %2 s")
                           .arg(mib(written))
                           .arg(elapsed.elapsed() / 1000);
        if (expectedBytes > 0)
            text += QStringLiteral(" (about %1 % of the last build's size)")
                        .arg(qMin<qint64>(99, written * 100 / expectedBytes));
        if (progress)
            progress(text);
    }
    output += process.readAll();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        QFile::remove(partial);
        QString reason = printableText(QString::fromLocal8Bit(output).trimmed().right(600));
        if (::geteuid() != 0)
            reason += QStringLiteral(" (an image of the host's root is built as root: it binds "
                                     "the host's directories in a mount namespace and reads all "
                                     "of them; run as root, or boot the machine with root = "
                                     "\"share\")");
        return QStringLiteral("building the root image %1 failed: %2").arg(path, reason);
    }
    if (!QFile::rename(partial, path)) {
        QFile::remove(partial);
        return QStringLiteral("cannot move the new root image to %1").arg(path);
    }
    if (progress)
        progress(QStringLiteral("built the root image %1 (%2 MiB) in %3 s")
                     .arg(path, mib(QFileInfo(path).size()))
                     .arg(elapsed.elapsed() / 1000));
    return {};
}

QStringList RootImage::exclusions(const QStringList &hidden)
{
    QStringList emptied;
    for (const QString &name : emptiedInside)
        emptied << regexEscaped(name);
    QStringList arguments {
        QStringLiteral("--exclude-regex=^(%1)/.").arg(emptied.join(QLatin1Char('|')))
    };
    for (const QString &file : hidden)
        arguments << QStringLiteral("--exclude-path=") + file.mid(file.startsWith(u'/') ? 1 : 0);
    return arguments;
}

QString RootImage::key(const QString &source)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(recipe);
    hash.addData(exclusions(HostView::hiddenFiles()).join(QLatin1Char('\n')).toUtf8());
    QFile status(source + QStringLiteral("/var/lib/dpkg/status"));
    if (status.open(QIODevice::ReadOnly))
        hash.addData(&status);
    QByteArray listing;
    QStringList unkeyed = unkeyedFiles;
    for (const QString &file : HostView::hiddenFiles())
        unkeyed << file.mid(1);
    for (const QString &dir :
        { QStringLiteral("etc"), QStringLiteral("opt"), QStringLiteral("usr/local") })
        listTree(source, dir, unkeyed, &listing);
    hash.addData(listing);
    return QString::fromLatin1(hash.result().toHex().left(16));
}

QString RootImage::cacheDirectory()
{
    const QString chosen = qEnvironmentVariable("VIVARIUM_ROOT_IMAGE_DIR");
    if (!chosen.isEmpty())
        return chosen;
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)
        + QStringLiteral("/vivarium");
}

QString RootImage::ensure(const Progress &progress, QString *error, const QString &source)
{
    // Machines started together in one process wait for one build (the file lock below is for
    // other processes: this one's second thread would be told another run builds it).
    static std::mutex mutex;
    std::lock_guard guard(mutex);
    const QString currentKey = key(source);
    const QString dir = cacheDirectory();
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("cannot create the root image cache %1").arg(dir);
        return {};
    }
    const QString path = dir + QStringLiteral("/root-%1.erofs").arg(currentKey);
    const QString problem = buildOnce(path, dir + QStringLiteral("/root-image.lock"), progress,
        QStringLiteral("waiting for another run building the root image in %1").arg(dir), [&] {
            const QFileInfoList older = QDir(dir).entryInfoList(
                { QStringLiteral("root-*.erofs") }, QDir::Files, QDir::Time);
            if (progress)
                progress(older.isEmpty()
                        ? QStringLiteral("building the root image of this host for root = "
                                         "\"image\" machines, once (about a minute)")
                        : QStringLiteral("the host's packages or its /etc, /opt or /usr/local "
                                         "changed since the root image %1 was built: "
                                         "rebuilding it")
                              .arg(older.first().filePath()));
            const qint64 expected = older.isEmpty() ? 0 : older.first().size();
            if (QString failed = build(source, path, expected, progress); !failed.isEmpty())
                return failed;
            // The older images are of a host that is gone; a machine still using one keeps
            // its open file.
            for (const QFileInfo &old : older)
                QFile::remove(old.filePath());
            return QString();
        });
    if (!problem.isEmpty()) {
        *error = problem;
        return {};
    }
    return path;
}

} // namespace vivarium
