#include "ui/testfiles.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace vivarium {

namespace {

QString scriptPathFor(const QString &tomlPath)
{
    const QFileInfo toml(tomlPath);
    return toml.absolutePath() + QLatin1Char('/') + toml.completeBaseName() + QStringLiteral(".py");
}

QString checkTargets(const QString &tomlPath)
{
    if (!tomlPath.endsWith(QLatin1String(".toml")))
        return QStringLiteral("%1: a test file's name ends in .toml").arg(tomlPath);
    for (const QString &path : { tomlPath, scriptPathFor(tomlPath) }) {
        if (QFileInfo::exists(path))
            return QStringLiteral("%1 exists already: choose another name").arg(path);
    }
    return {};
}

QString writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    if (!file.open(QIODevice::NewOnly) || file.write(content) != content.size() || !file.flush())
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

QString writePair(const QString &tomlPath, const QByteArray &toml, const QByteArray &script)
{
    if (QString problem = writeFile(scriptPathFor(tomlPath), script); !problem.isEmpty())
        return problem;
    if (QString problem = writeFile(tomlPath, toml); !problem.isEmpty()) {
        QFile::remove(scriptPathFor(tomlPath));
        return problem;
    }
    return {};
}

} // namespace

QString writeNewTest(const QString &tomlPath)
{
    if (QString problem = checkTargets(tomlPath); !problem.isEmpty())
        return problem;
    const QString script = QFileInfo(scriptPathFor(tomlPath)).fileName();
    const QByteArray toml
        = QStringLiteral("# A Vivarium test: its machines and VLANs (docs/test-file.md).\n"
                         "script = \"%1\"\n"
                         "\n"
                         "[machines.machine]\n"
                         "# init = \"systemd\"\n"
                         "# vlans = [1]\n")
              .arg(script)
              .toUtf8();
    const QByteArray python
        = "# The test's script: the NixOS test driver's API (docs/script-api.md).\n"
          "start_all()\n"
          "machine.wait_for_ready()\n"
          "machine.succeed(\"true\")\n";
    return writePair(tomlPath, toml, python);
}

QString copyTestAs(const QString &fromToml, const QString &toToml, const QString &scriptText)
{
    if (QString problem = checkTargets(toToml); !problem.isEmpty())
        return problem;
    QFile from(fromToml);
    if (!from.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read %1: %2").arg(fromToml, from.errorString());
    QString toml = QString::fromUtf8(from.readAll());
    const QString key
        = QStringLiteral("script = \"%1\"").arg(QFileInfo(scriptPathFor(toToml)).fileName());
    // The top-level key, before the first table: a machine's keys are not the script's.
    static const QRegularExpression scriptKey(
        QStringLiteral("^[ \\t]*script[ \\t]*=.*$"), QRegularExpression::MultilineOption);
    static const QRegularExpression firstTable(
        QStringLiteral("^[ \\t]*\\["), QRegularExpression::MultilineOption);
    const QRegularExpressionMatch table = firstTable.match(toml);
    const QRegularExpressionMatch found = scriptKey.match(toml);
    if (found.hasMatch() && (!table.hasMatch() || found.capturedStart() < table.capturedStart()))
        toml.replace(found.capturedStart(), found.capturedLength(), key);
    else
        toml.prepend(key + QLatin1Char('\n'));
    return writePair(toToml, toml.toUtf8(), scriptText.toUtf8());
}

} // namespace vivarium
