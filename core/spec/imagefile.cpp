#include "core/spec/imagefile.h"

#include <QFile>

namespace vivarium {

namespace {

struct Magic {
    qint64 offset;
    QByteArray bytes;
};

} // namespace

QString imageFileFormat(const QString &path, QString *why)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("%1 cannot be read: %2").arg(path, file.errorString());
        return {};
    }
    // The file systems' own signatures (as blkid knows them).
    const QByteArray head = file.read(0x1000);
    if (head.startsWith("QFI\xfb"))
        return QStringLiteral("qcow2");
    const Magic raw[] = {
        { 0x438, QByteArray("\x53\xef", 2) }, // ext2/3/4 superblock magic 0xEF53
        { 0x400, QByteArray("\xe2\xe1\xf5\xe0", 4) }, // erofs 0xE0F5E1E2
        { 0x1fe, QByteArray("\x55\xaa", 2) }, // an MBR or a GPT's protective MBR
    };
    for (const Magic &m : raw) {
        if (head.mid(m.offset, m.bytes.size()) == m.bytes)
            return QStringLiteral("raw");
    }
    *why = QStringLiteral("%1 is not an ext2/3/4 or erofs file system image, a disk with a "
                          "partition table, or qcow2 (the file systems the guest kernel has "
                          "built in)")
               .arg(path);
    return {};
}

} // namespace vivarium
