#include "core/spec/tomlreader.h"

#include "core/spec/linkfields.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace vivarium {

QString tomlString(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QString TomlReader::path(const toml::node &node, const QString &key, bool mustExist)
{
    const auto value = string(node, key);
    if (!value)
        return {};
    const QString absolute = QDir(m_dir).absoluteFilePath(*value);
    if (mustExist && !QFileInfo::exists(absolute))
        error(node.source(), QStringLiteral("'%1': %2 does not exist").arg(key, absolute));
    return absolute;
}

QString TomlReader::bootFile(
    const toml::node &node, const QString &key, const QList<QByteArray> &magic)
{
    const QString file = path(node, key, true);
    if (file.isEmpty() || !QFileInfo::exists(file))
        return file;
    QFile f(file);
    const QByteArray head = f.open(QIODevice::ReadOnly) ? f.read(0x210) : QByteArray();
    for (const QByteArray &m : magic) {
        // A bzImage says "HdrS" at 0x202; the others start with their magic.
        const qsizetype at = m == "HdrS" ? 0x202 : 0;
        if (head.mid(at, m.size()) == m)
            return file;
    }
    error(node.source(),
        QStringLiteral("'%1': %2 is not a %3")
            .arg(key, file,
                key == QLatin1String("kernel")
                    ? QStringLiteral("Linux kernel (an ELF vmlinux or a bzImage)")
                    : QStringLiteral("initramfs (cpio, gzip, xz, zstd, lz4 or bzip2)")));
    return {};
}

void TomlReader::linkSetting(const QString &key, const toml::node &node, LinkSettings &settings)
{
    if (key == QLatin1String("capture")) {
        settings.capture = boolean(node, key).value_or(false);
        return;
    }
    const LinkField *field = linkField(key);
    if (!field)
        return;
    const auto value = node.value<double>();
    if (!value || !(node.is_integer() || node.is_floating_point())) {
        error(node.source(), QStringLiteral("'%1' must be a number").arg(key));
        return;
    }
    if (field->integer && !node.is_integer()) {
        error(node.source(), QStringLiteral("'%1' must be an integer").arg(key));
        return;
    }
    const QString problem = field->check(*value);
    if (!problem.isEmpty())
        error(node.source(), problem);
    else
        field->set(settings, *value);
}

} // namespace vivarium
