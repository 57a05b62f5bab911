#include "core/guest/baseimage.h"

#include "core/guest/rootimage.h"
#include "core/guest/systemdunits.h"
#include "core/spec/testspec.h"
#include "core/util/childprocess.h"
#include "core/util/filelock.h"
#include "core/util/textformat.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <algorithm>
#include <mutex>

namespace vivarium {

namespace {

// Bumped when what goes into a base image changes: older images are then rebuilt.
constexpr auto recipe = "vivarium base image 1";

// The Debian suite of each base ("debian-trixie": trixie).
QString suiteOf(const QString &base)
{
    return knownBases().contains(base) ? base.mid(int(qstrlen("debian-"))) : QString();
}

// Where the packages come from: the host's own apt sources when they are of the same suite
// (a mirror or snapshot the host is set up for), else Debian's default mirror.
QString sourcesFor(const QString &suite)
{
    for (const char *path : { "/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list" }) {
        QFile file { QString::fromLatin1(path) };
        if (file.open(QIODevice::ReadOnly) && file.readAll().contains(suite.toUtf8()))
            return QLatin1String(path);
    }
    return QStringLiteral("http://deb.debian.org/debian");
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(bytes) == bytes.size();
}

QString besideImage(const QString &image, const char *suffix)
{
    return image.left(image.size() - int(qstrlen(".erofs"))) + QLatin1String(suffix);
}

// Runs a program to its end, telling progress each line it prints; its last lines on failure.
QString runWithProgress(const QString &program, const QStringList &arguments,
    const std::function<void(const QString &)> &line)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    dieWithParent(&process);
    process.start(program, arguments);
    if (!process.waitForStarted())
        return QStringLiteral("cannot run %1: %2").arg(program, process.errorString());
    QStringList tail;
    const auto take = [&] {
        while (process.canReadLine()) {
            const QString text = printableText(QString::fromUtf8(process.readLine()).trimmed());
            if (text.isEmpty())
                continue;
            tail << text;
            if (tail.size() > 8)
                tail.removeFirst();
            line(text);
        }
    };
    while (!process.waitForFinished(1000)) {
        if (process.state() == QProcess::NotRunning)
            break;
        take();
    }
    take();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return QStringLiteral("%1 failed (status %2): %3")
            .arg(program)
            .arg(process.exitCode())
            .arg(tail.join(QStringLiteral(" / ")));
    return {};
}

QString build(const QString &base, const QStringList &packages, const QString &path,
    const BaseImage::Progress &progress)
{
    for (const char *tool : { "mmdebstrap", "mkfs.erofs" }) {
        if (QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty())
            return QStringLiteral("%1 is not installed (apt-get install mmdebstrap erofs-utils, "
                                  "or scripts/setup)")
                .arg(QLatin1String(tool));
    }
    const QString stage = besideImage(path, ".stage");
    const QString partial = path + QStringLiteral(".partial");
    QDir(stage).removeRecursively();
    QFile::remove(partial);
    const auto cleanUp = [&] {
        QDir(stage).removeRecursively();
        QFile::remove(partial);
    };
    QElapsedTimer elapsed;
    elapsed.start();
    const QString suite = suiteOf(base);
    const QStringList all = BaseImage::guestPackages() + packages;
    const auto say = [&](const QString &what) {
        if (progress)
            progress(QStringLiteral("building the base image %1 (%2 s): %3")
                         .arg(base)
                         .arg(elapsed.elapsed() / 1000)
                         .arg(what));
    };
    say(QStringLiteral("mmdebstrap %1 with %2").arg(suite, packages.join(QLatin1Char(' '))));
    // mmdebstrap's "I: ..." lines say where it is (update, download, extract, install).
    QString problem = runWithProgress(QStringLiteral("mmdebstrap"),
        { QStringLiteral("--variant=minbase"),
            QStringLiteral("--include=") + all.join(QLatin1Char(',')), suite, stage,
            sourcesFor(suite) },
        [&](const QString &line) { say(line); });
    if (problem.isEmpty()) {
        say(QStringLiteral("mkfs.erofs"));
        // Kept beside the image: what the machine's root is written from.
        if (!writeFile(
                besideImage(path, ".passwd"), readFile(stage + QStringLiteral("/etc/passwd")))
            || !writeFile(
                besideImage(path, ".group"), readFile(stage + QStringLiteral("/etc/group")))
            || !writeFile(
                besideImage(path, ".units"), hostUnitLinks(stage).join(QLatin1Char('\n')).toUtf8()))
            problem = QStringLiteral("cannot write beside %1").arg(path);
    }
    if (problem.isEmpty())
        problem = runWithProgress(QStringLiteral("mkfs.erofs"),
            { QStringLiteral("-zlz4"), QStringLiteral("--quiet"), partial, stage },
            [](const QString &) {});
    if (problem.isEmpty() && !QFile::rename(partial, path))
        problem = QStringLiteral("cannot move the new image to %1").arg(path);
    cleanUp();
    if (!problem.isEmpty())
        return QStringLiteral("building the base image %1 failed: %2").arg(base, problem);
    say(QStringLiteral("built %1 (%2 MiB)").arg(path).arg(QFileInfo(path).size() >> 20));
    return {};
}

} // namespace

QStringList BaseImage::bases()
{
    return knownBases();
}

QStringList BaseImage::guestPackages()
{
    return { QStringLiteral("iproute2"), QStringLiteral("iputils-ping"), QStringLiteral("procps"),
        QStringLiteral("kmod"), QStringLiteral("systemd"), QStringLiteral("systemd-sysv"),
        QStringLiteral("dbus"), QStringLiteral("udev"),
        // wait_for_open_port and wait_for_closed_port ask nc, as NixOS's driver does.
        QStringLiteral("netcat-openbsd") };
}

QString BaseImage::key(const QString &base, const QStringList &packages)
{
    QStringList sorted = packages;
    sorted.sort();
    sorted.removeDuplicates();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    const QByteArray recipeText = QByteArray(recipe) + '\n' + base.toUtf8() + '\n'
        + guestPackages().join(QLatin1Char(' ')).toUtf8() + '\n'
        + sorted.join(QLatin1Char(' ')).toUtf8() + '\n';
    hash.addData(recipeText);
    const QString sources = sourcesFor(suiteOf(base));
    hash.addData(sources.startsWith(QLatin1Char('/')) ? readFile(sources) : sources.toUtf8());
    return QString::fromLatin1(hash.result().toHex().left(16));
}

QString BaseImage::ensure(
    const QString &base, const QStringList &packages, const Progress &progress, QString *error)
{
    if (!bases().contains(base)) {
        *error = QStringLiteral("there is no base image \"%1\" (known: %2)")
                     .arg(base, bases().join(QStringLiteral(", ")));
        return {};
    }
    static std::mutex mutex; // machines of one run wait for one build
    std::lock_guard guard(mutex);
    const QString dir = RootImage::cacheDirectory();
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("cannot create the image cache %1").arg(dir);
        return {};
    }
    const QString path = dir + QStringLiteral("/base-%1.erofs").arg(key(base, packages));
    const QString problem = buildOnce(path, dir + QStringLiteral("/base-image.lock"), progress,
        QStringLiteral("waiting for another run building a base image in %1").arg(dir),
        [&] { return build(base, packages, path, progress); });
    if (!problem.isEmpty()) {
        *error = problem;
        return {};
    }
    return path;
}

QByteArray BaseImage::passwd(const QString &image)
{
    return readFile(besideImage(image, ".passwd"));
}

QByteArray BaseImage::group(const QString &image)
{
    return readFile(besideImage(image, ".group"));
}

QStringList BaseImage::unitLinks(const QString &image)
{
    return QString::fromUtf8(readFile(besideImage(image, ".units")))
        .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

} // namespace vivarium
