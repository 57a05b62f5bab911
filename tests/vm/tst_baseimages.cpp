// Base images (docs/guests.md, "Base images"): a machine boots Debian's archive with the
// packages it asks for, built by mmdebstrap into a cached image, beside a machine on the host's
// root; a package the archive lacks fails the start with mmdebstrap's words. Images of the
// user's own (docs/guests.md, "Images of your own"): an ext4 image and a qcow2 one, made here
// from that Debian root, boot with Vivarium's kernel, run the API, snapshot, and are never
// written; a file that is no image is refused at load.
#include "buildpaths.h"
#include "core/guest/baseimage.h"
#include "vmtestutil.h"

#include <QCryptographicHash>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

QString run(const QString &program, const QStringList &arguments)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, arguments);
    if (!p.waitForFinished(600000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return program + ": " + QString::fromLocal8Bit(p.readAll()) + p.errorString();
    return {};
}

QByteArray sha256(const QString &path)
{
    QFile f(path);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    return f.open(QIODevice::ReadOnly) && hash.addData(&f) ? hash.result() : QByteArray();
}

} // namespace

class TestBaseImages : public QObject {
    Q_OBJECT

private slots:
    void aMachineBootsDebiansArchive()
    {
        QTemporaryDir out;
        const ProgramRun run
            = runVivariumTest({ QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/images/base.toml"),
                                  "--no-video", "-o", out.path() },
                {}, 1200);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("BASE OK"));
    }

    // Machines on other Debian releases, each with its release's services: an old client
    // (Debian 11's Python) fetches from a new server (Debian 13's); the agent this host built
    // runs on both (it is static: Debian 11's glibc is older than the host's).
    void machinesRunOtherDebianReleases()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/images/releases.toml"), "--no-video",
                "-o", out.path() },
            {}, 1800);
        QVERIFY2(passed(run), "the test failed: its output is above");
        QVERIFY(run.output.contains("RELEASES OK"));
    }

    void aPackageTheArchiveLacksIsNamed()
    {
        QTemporaryDir out;
        const ProgramRun run = runVivariumTest(
            { QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/vm/images/nosuchpackage.toml"),
                "--no-video", "-o", out.path() },
            {}, 600);
        QVERIFY2(!passed(run), qPrintable(run.output));
        QVERIFY2(run.output.contains("machine deb (base = \"debian-bookworm\"): building the base "
                                     "image debian-bookworm failed")
                && run.output.contains("vivarium-no-such-package"),
            qPrintable(run.output));
    }

    // An image of the user's own, raw ext4 and qcow2, made from Debian's archive (the cached
    // base image of the test above, extracted): both boot, run the API and ping each other;
    // the raw one snapshots; neither file is written.
    void anImageOfYourOwnBoots()
    {
        QString error;
        const QString base = BaseImage::ensure(
            QStringLiteral("debian-bookworm"), { QStringLiteral("hello") }, [](const QString &) {},
            &error);
        QVERIFY2(!base.isEmpty(), qPrintable(error));
        QTemporaryDir dir;
        const QString tree = dir.filePath("tree"), raw = dir.filePath("own.ext4"),
                      cow = dir.filePath("own.qcow2");
        QCOMPARE(run("fsck.erofs", { "--extract=" + tree, base }), QString());
        QFile marker(tree + "/etc/vivarium-own-image");
        QVERIFY(marker.open(QIODevice::WriteOnly));
        marker.write("made by tst_baseimages\n");
        marker.close();
        QCOMPARE(run("mke2fs", { "-q", "-t", "ext4", "-d", tree, raw, "1200M" }), QString());
        QCOMPARE(
            run("qemu-img", { "convert", "-q", "-f", "raw", "-O", "qcow2", raw, cow }), QString());
        const QByteArray rawHash = sha256(raw), cowHash = sha256(cow);
        writeTestFile(dir.filePath("own.py"),
            "start_all()\n"
            "raw.wait_for_ready()\n"
            "cow.wait_for_unit('multi-user.target')\n"
            "for m in (raw, cow):\n"
            "    assert m.succeed('cat /etc/vivarium-own-image') == 'made by tst_baseimages\\n'\n"
            "    m.fail('test -e /usr/bin/qemu-system-x86_64')\n"
            "    m.succeed('grep -q VERSION_CODENAME=bookworm /etc/os-release')\n"
            "    m.succeed('echo changed > /etc/vivarium-own-image')\n"
            "raw.succeed('ping -c 1 -W 5 cow')\n"
            "cow.succeed('ping -c 1 -W 5 raw')\n"
            "raw.succeed('echo before > /root/mark')\n"
            "raw.snapshot('one')\n"
            "raw.succeed('rm /root/mark')\n"
            "raw.restore('one')\n"
            "raw.succeed('grep before /root/mark')\n"
            "print('OWN OK')\n");
        writeTestFile(dir.filePath("own.toml"),
            "script = \"own.py\"\n[machines.raw]\nimage = \"own.ext4\"\n"
            "[machines.cow]\nimage = \"own.qcow2\"\ninit = \"systemd\"\n");
        const ProgramRun own = runVivariumTest(
            { dir.filePath("own.toml"), "--no-video", "-o", dir.filePath("out") }, {}, 900);
        QVERIFY2(passed(own) && own.output.contains("OWN OK"), qPrintable(scriptOutput(own)));
        QCOMPARE(sha256(raw), rawHash);
        QCOMPARE(sha256(cow), cowHash);

        // A file that is no image, and accounts added to an image's own: refused at load.
        writeTestFile(dir.filePath("bad.toml"),
            "script = \"own.py\"\n[machines.raw]\nimage = \"own.py\"\n"
            "[machines.cow]\nimage = \"own.qcow2\"\nusers = [{ name = \"alice\" }]\n");
        const ProgramRun bad = runVivariumTest({ dir.filePath("bad.toml") }, {}, 60);
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.output.contains("bad.toml:3:9: 'image': " + dir.filePath("own.py")
                     + " is not an ext2/3/4 or erofs file system image"),
            qPrintable(bad.output));
        QVERIFY2(bad.output.contains("machine 'cow' boots its own image, whose accounts are its "
                                     "own"),
            qPrintable(bad.output));
    }
};

QTEST_MAIN(TestBaseImages)
#include "tst_baseimages.moc"
