// The root image's recipe: what mkfs.erofs leaves out of a host root, checked on a real image of
// a small tree, and the key that says when the host changed.
#include "core/guest/rootimage.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <unistd.h>

using namespace vivarium;

namespace {

void put(const QString &path, const QByteArray &content = "x")
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
}

// A host root in miniature.
void makeTree(const QString &root)
{
    for (const char *path : { "usr/bin/tool", "usr/local/bin/mine", "etc/passwd", "etc/shadow",
             "etc/ssh/ssh_host_ed25519_key", "etc/ssh/sshd_config", "var/lib/dpkg/status",
             "var/log/syslog", "var/cache/apt/archives/x.deb", "var/lib/apt/lists/l", "var/tmp/t",
             "var/lib/keep", "opt/app/run", "home/user/.ssh/id_rsa", "root/.bash_history",
             "tmp/junk", "work/build/big", "boot/vmlinuz", ".dockerenv", "container_info.json" })
        put(root + QLatin1Char('/') + QLatin1String(path));
    QVERIFY(QFile::link(QStringLiteral("usr/bin"), root + QStringLiteral("/bin")));
}

QStringList entriesOf(const QString &root)
{
    QStringList found;
    QDirIterator it(root, QDir::AllEntries | QDir::System | QDir::Hidden | QDir::NoDotAndDotDot,
        QDirIterator::Subdirectories);
    while (it.hasNext())
        found << it.next().mid(root.size() + 1);
    found.sort();
    return found;
}

} // namespace

class TestRootImage : public QObject {
    Q_OBJECT

private slots:
    void theImageHoldsTheSystemNotTheHostsOwn()
    {
        if (QStandardPaths::findExecutable("fsck.erofs").isEmpty())
            QSKIP("erofs-utils is not installed (scripts/setup installs it)");
        if (::geteuid() != 0)
            QSKIP("building a root image needs root (a mount namespace)");
        QTemporaryDir dir;
        const QString source = dir.filePath("root");
        makeTree(source);
        QFile::setPermissions(source + "/tmp", QFileDevice::Permissions(0x7777));
        QStringList heard;
        const QString problem = RootImage::build(source, dir.filePath("root.erofs"), 0,
            [&](const QString &progress) { heard << progress; });
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(!QFileInfo::exists(dir.filePath("root.erofs.partial")));
        QVERIFY(heard.last().startsWith("built the root image"));
        QProcess fsck;
        fsck.setProcessChannelMode(QProcess::MergedChannels);
        fsck.start(
            "fsck.erofs", { "--extract=" + dir.filePath("out"), dir.filePath("root.erofs") });
        QVERIFY(fsck.waitForFinished(60000));
        QVERIFY2(fsck.exitCode() == 0, fsck.readAll().constData());

        // The host's secrets (HostView's list) are the real host's paths; the tree's own
        // etc/shadow is left out only when the host has one too.
        QStringList expected { "bin", "boot", "etc", "etc/passwd", "etc/ssh", "etc/ssh/sshd_config",
            "home", "opt", "opt/app", "opt/app/run", "root", "tmp", "usr", "usr/bin",
            "usr/bin/tool", "usr/local", "usr/local/bin", "usr/local/bin/mine", "var", "var/cache",
            "var/cache/apt", "var/lib", "var/lib/apt", "var/lib/apt/lists", "var/lib/dpkg",
            "var/lib/dpkg/status", "var/lib/keep", "var/log", "var/tmp" };
        if (!QFileInfo::exists("/etc/shadow"))
            expected << "etc/shadow";
        if (!QFileInfo::exists("/etc/ssh/ssh_host_ed25519_key"))
            expected << "etc/ssh/ssh_host_ed25519_key";
        expected.sort();
        QCOMPARE(entriesOf(dir.filePath("out")), expected);
        QVERIFY(QFileInfo(dir.filePath("out/bin")).isSymLink());
        // An emptied mount point keeps the host's mode (/tmp is sticky and world-writable).
        QCOMPARE(QFileInfo(dir.filePath("out/tmp")).permissions(),
            QFileInfo(source + "/tmp").permissions());
        // Nothing of the stage is left beside the image.
        QCOMPARE(QDir(dir.path()).entryList({ "stage-*" }, QDir::AllEntries), QStringList());
    }

    void theCacheRebuildsWhenTheHostChangesAndSaysSo()
    {
        if (QStandardPaths::findExecutable("mkfs.erofs").isEmpty() || ::geteuid() != 0)
            QSKIP("needs erofs-utils and root");
        QTemporaryDir dir;
        const QString source = dir.filePath("root");
        makeTree(source);
        qputenv("VIVARIUM_ROOT_IMAGE_DIR", dir.filePath("cache").toUtf8());
        QStringList heard;
        const auto listen = [&](const QString &progress) { heard << progress; };
        QString error;
        const QString first = RootImage::ensure(listen, &error, source);
        QVERIFY2(!first.isEmpty(), qPrintable(error));
        QVERIFY(first.startsWith(dir.filePath("cache") + "/root-"));
        QVERIFY(heard.first().contains("once"));
        heard.clear();
        // Up to date: the same image, nothing built.
        QCOMPARE(RootImage::ensure(listen, &error, source), first);
        QVERIFY(heard.isEmpty());
        // A package installed on the host: a new image, said why, the old one gone.
        put(source + "/var/lib/dpkg/status", "Package: sl\nStatus: install ok installed\n");
        put(source + "/usr/games/sl", "the new program");
        const QString second = RootImage::ensure(listen, &error, source);
        qunsetenv("VIVARIUM_ROOT_IMAGE_DIR");
        QVERIFY2(!second.isEmpty(), qPrintable(error));
        QVERIFY(second != first);
        QVERIFY(heard.first().contains("changed since the root image"));
        QVERIFY(!QFileInfo::exists(first));
        QProcess fsck;
        fsck.start("fsck.erofs", { "--extract=" + dir.filePath("out"), second });
        QVERIFY(fsck.waitForFinished(60000));
        QVERIFY(QFileInfo::exists(dir.filePath("out/usr/games/sl")));
    }

    void theKeyFollowsPackagesAndLocalFiles()
    {
        QTemporaryDir dir;
        const QString source = dir.path();
        makeTree(source);
        const QString key = RootImage::key(source);
        QCOMPARE(key.size(), 16);
        QCOMPARE(RootImage::key(source), key);
        // What guests replace with their own does not count.
        put(source + "/etc/hostname", "another-container");
        put(source + "/etc/hosts", "127.0.0.1 elsewhere");
        QCOMPARE(RootImage::key(source), key);

        put(source + "/var/lib/dpkg/status", "Package: sl\nStatus: install ok installed\n");
        const QString afterInstall = RootImage::key(source);
        QVERIFY(afterInstall != key);
        put(source + "/usr/local/bin/new-tool", "#!/bin/sh\n");
        const QString afterLocal = RootImage::key(source);
        QVERIFY(afterLocal != afterInstall);
        put(source + "/etc/app.conf", "changed");
        QVERIFY(RootImage::key(source) != afterLocal);
    }
};

QTEST_GUILESS_MAIN(TestRootImage)
#include "tst_rootimage.moc"
