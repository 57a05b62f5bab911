#include "core/coverage/tracefile.h"

#include <QFile>
#include <QFileInfo>
#include <QXmlStreamWriter>

namespace vivarium {

void FileCoverage::addBranch(const QString &key, qint64 taken)
{
    const auto it = branches.find(key);
    if (it == branches.end())
        branches.insert(key, taken);
    else if (taken >= 0)
        *it = std::max(*it, qint64(0)) + taken;
}

void FileCoverage::add(const FileCoverage &other)
{
    for (auto it = other.lines.cbegin(); it != other.lines.cend(); ++it)
        lines[it.key()] += it.value();
    for (auto it = other.branches.cbegin(); it != other.branches.cend(); ++it)
        addBranch(it.key(), it.value());
    for (auto it = other.functions.cbegin(); it != other.functions.cend(); ++it)
        functions[it.key()] += it.value();
    for (auto it = other.functionLines.cbegin(); it != other.functionLines.cend(); ++it)
        functionLines.insert(it.key(), it.value());
}

CoverageTotals CoverageTotals::of(const SourceCoverage &sources)
{
    CoverageTotals t;
    for (const FileCoverage &file : sources) {
        t.linesFound += int(file.lines.size());
        t.linesHit += int(std::count_if(
            file.lines.cbegin(), file.lines.cend(), [](qint64 hits) { return hits > 0; }));
        t.branchesFound += int(file.branches.size());
        t.branchesHit += int(std::count_if(
            file.branches.cbegin(), file.branches.cend(), [](qint64 taken) { return taken > 0; }));
        t.functionsFound += int(file.functions.size());
        t.functionsHit += int(std::count_if(file.functions.cbegin(), file.functions.cend(),
            [](qint64 calls) { return calls > 0; }));
    }
    return t;
}

Tracefile Tracefile::parse(const QByteArray &text, QString *error)
{
    Tracefile trace;
    QString test;
    FileCoverage *file = nullptr;
    int number = 0;
    const auto fail = [&](const QByteArray &line) {
        *error = QStringLiteral("line %1 is not lcov's tracefile format: %2")
                     .arg(number)
                     .arg(QString::fromUtf8(line.left(120)));
        return Tracefile();
    };
    for (const QByteArray &raw : text.split('\n')) {
        ++number;
        const QByteArray line = raw.trimmed();
        if (line.isEmpty())
            continue;
        if (line == "end_of_record") {
            file = nullptr;
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            return fail(line);
        const QByteArray tag = line.left(colon);
        const QByteArray value = line.mid(colon + 1);
        const QList<QByteArray> fields = value.split(',');
        bool ok = true;
        if (tag == "TN") {
            test = QString::fromUtf8(value);
        } else if (tag == "SF") {
            file = &trace.m_tests[test][QString::fromUtf8(value)];
        } else if (!file) {
            // Summary lines (LF, LH...) and the rest belong to a file.
            return fail(line);
        } else if (tag == "DA" && fields.size() >= 2) {
            bool lineOk = false;
            const int at = fields[0].toInt(&lineOk);
            file->lines[at] += fields[1].toLongLong(&ok);
            ok = ok && lineOk;
        } else if (tag == "BRDA" && fields.size() == 4) {
            const QString key = QString::fromUtf8(fields[0] + ',' + fields[1] + ',' + fields[2]);
            file->addBranch(key, fields[3] == "-" ? -1 : fields[3].toLongLong(&ok));
        } else if (tag == "FN" && fields.size() >= 2) {
            const QString name = QString::fromUtf8(fields.mid(1).join(','));
            file->functionLines.insert(name, fields[0].toInt(&ok));
            file->functions[name] += 0;
        } else if (tag == "FNDA" && fields.size() >= 2) {
            file->functions[QString::fromUtf8(fields.mid(1).join(','))]
                += fields[0].toLongLong(&ok);
        } else if (tag == "LF" || tag == "LH" || tag == "BRF" || tag == "BRH" || tag == "FNF"
            || tag == "FNH" || tag == "VER") {
            // Sums: recounted from the records.
        } else {
            return fail(line);
        }
        if (!ok)
            return fail(line);
    }
    return trace;
}

Tracefile Tracefile::read(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return {};
    }
    Tracefile trace = parse(file.readAll(), error);
    if (!error->isEmpty())
        error->prepend(path + QStringLiteral(": "));
    return trace;
}

QByteArray Tracefile::text() const
{
    QByteArray out;
    for (auto test = m_tests.cbegin(); test != m_tests.cend(); ++test) {
        for (auto source = test->cbegin(); source != test->cend(); ++source) {
            const FileCoverage &f = source.value();
            out += "TN:" + test.key().toUtf8() + "\nSF:" + source.key().toUtf8() + '\n';
            for (auto it = f.functionLines.cbegin(); it != f.functionLines.cend(); ++it)
                out += "FN:" + QByteArray::number(it.value()) + ',' + it.key().toUtf8() + '\n';
            for (auto it = f.functions.cbegin(); it != f.functions.cend(); ++it)
                out += "FNDA:" + QByteArray::number(it.value()) + ',' + it.key().toUtf8() + '\n';
            for (auto it = f.branches.cbegin(); it != f.branches.cend(); ++it)
                out += "BRDA:" + it.key().toUtf8() + ','
                    + (it.value() < 0 ? QByteArray("-") : QByteArray::number(it.value())) + '\n';
            for (auto it = f.lines.cbegin(); it != f.lines.cend(); ++it)
                out += "DA:" + QByteArray::number(it.key()) + ',' + QByteArray::number(it.value())
                    + '\n';
            const CoverageTotals t = CoverageTotals::of({ { source.key(), f } });
            out += "LF:" + QByteArray::number(t.linesFound)
                + "\nLH:" + QByteArray::number(t.linesHit) + "\nend_of_record\n";
        }
    }
    return out;
}

void Tracefile::add(const Tracefile &other)
{
    for (auto test = other.m_tests.cbegin(); test != other.m_tests.cend(); ++test)
        for (auto source = test->cbegin(); source != test->cend(); ++source)
            m_tests[test.key()][source.key()].add(source.value());
}

SourceCoverage Tracefile::combined() const
{
    SourceCoverage all;
    for (const SourceCoverage &test : m_tests)
        for (auto source = test.cbegin(); source != test.cend(); ++source)
            all[source.key()].add(source.value());
    return all;
}

QStringList Tracefile::testsThatRan(const QString &source, int line) const
{
    QStringList ran;
    for (auto test = m_tests.cbegin(); test != m_tests.cend(); ++test) {
        const auto file = test->constFind(source);
        if (file != test->cend() && file->lines.value(line) > 0)
            ran.append(test.key());
    }
    return ran;
}

CoverageFrontier::Added CoverageFrontier::add(const Tracefile &example)
{
    Added added;
    const SourceCoverage ran = example.combined();
    for (auto file = ran.cbegin(); file != ran.cend(); ++file) {
        for (auto line = file->lines.cbegin(); line != file->lines.cend(); ++line) {
            if (line.value() <= 0)
                continue;
            ++added.lines;
            const QString key = file.key() + QLatin1Char(':') + QString::number(line.key());
            if (!m_lines.contains(key)) {
                m_lines.insert(key);
                ++added.newLines;
            }
        }
        for (auto branch = file->branches.cbegin(); branch != file->branches.cend(); ++branch) {
            if (branch.value() <= 0)
                continue;
            ++added.branches;
            const QString key = file.key() + QLatin1Char(':') + branch.key();
            if (!m_branches.contains(key)) {
                m_branches.insert(key);
                ++added.newBranches;
            }
        }
    }
    return added;
}

namespace {

QString rate(int hit, int found)
{
    return QString::number(found ? double(hit) / found : 0.0, 'f', 4);
}

} // namespace

QByteArray coberturaXml(const SourceCoverage &sources, qint64 timestamp)
{
    QMap<QString, SourceCoverage> packages; // directory -> its files
    for (auto it = sources.cbegin(); it != sources.cend(); ++it)
        packages[QFileInfo(it.key()).path()].insert(it.key(), it.value());
    const CoverageTotals all = CoverageTotals::of(sources);
    QByteArray document;
    QXmlStreamWriter xml(&document);
    xml.setAutoFormatting(true);
    xml.writeStartDocument();
    xml.writeDTD(QStringLiteral(
        "<!DOCTYPE coverage SYSTEM 'http://cobertura.sourceforge.net/xml/coverage-04.dtd'>"));
    xml.writeStartElement(QStringLiteral("coverage"));
    xml.writeAttribute(QStringLiteral("line-rate"), rate(all.linesHit, all.linesFound));
    xml.writeAttribute(QStringLiteral("branch-rate"), rate(all.branchesHit, all.branchesFound));
    xml.writeAttribute(QStringLiteral("lines-covered"), QString::number(all.linesHit));
    xml.writeAttribute(QStringLiteral("lines-valid"), QString::number(all.linesFound));
    xml.writeAttribute(QStringLiteral("branches-covered"), QString::number(all.branchesHit));
    xml.writeAttribute(QStringLiteral("branches-valid"), QString::number(all.branchesFound));
    xml.writeAttribute(QStringLiteral("complexity"), QStringLiteral("0"));
    xml.writeAttribute(QStringLiteral("version"), QStringLiteral("vivarium"));
    xml.writeAttribute(QStringLiteral("timestamp"), QString::number(timestamp));
    xml.writeStartElement(QStringLiteral("sources"));
    xml.writeTextElement(QStringLiteral("source"), QStringLiteral("/"));
    xml.writeEndElement();
    xml.writeStartElement(QStringLiteral("packages"));
    for (auto package = packages.cbegin(); package != packages.cend(); ++package) {
        const CoverageTotals p = CoverageTotals::of(package.value());
        xml.writeStartElement(QStringLiteral("package"));
        xml.writeAttribute(QStringLiteral("name"), package.key());
        xml.writeAttribute(QStringLiteral("line-rate"), rate(p.linesHit, p.linesFound));
        xml.writeAttribute(QStringLiteral("branch-rate"), rate(p.branchesHit, p.branchesFound));
        xml.writeAttribute(QStringLiteral("complexity"), QStringLiteral("0"));
        xml.writeStartElement(QStringLiteral("classes"));
        for (auto file = package->cbegin(); file != package->cend(); ++file) {
            const CoverageTotals f = CoverageTotals::of({ { file.key(), file.value() } });
            xml.writeStartElement(QStringLiteral("class"));
            xml.writeAttribute(QStringLiteral("name"), QFileInfo(file.key()).fileName());
            // Relative to the one source, "/".
            xml.writeAttribute(QStringLiteral("filename"), file.key().mid(1));
            xml.writeAttribute(QStringLiteral("line-rate"), rate(f.linesHit, f.linesFound));
            xml.writeAttribute(QStringLiteral("branch-rate"), rate(f.branchesHit, f.branchesFound));
            xml.writeAttribute(QStringLiteral("complexity"), QStringLiteral("0"));
            xml.writeEmptyElement(QStringLiteral("methods"));
            xml.writeStartElement(QStringLiteral("lines"));
            // Branches by line: how many there are, how many were taken.
            QMap<int, std::pair<int, int>> conditions;
            for (auto b = file->branches.cbegin(); b != file->branches.cend(); ++b) {
                auto &[taken, count] = conditions[b.key().section(QLatin1Char(','), 0, 0).toInt()];
                ++count;
                taken += b.value() > 0 ? 1 : 0;
            }
            for (auto line = file->lines.cbegin(); line != file->lines.cend(); ++line) {
                xml.writeEmptyElement(QStringLiteral("line"));
                xml.writeAttribute(QStringLiteral("number"), QString::number(line.key()));
                xml.writeAttribute(QStringLiteral("hits"), QString::number(line.value()));
                const auto condition = conditions.constFind(line.key());
                xml.writeAttribute(QStringLiteral("branch"),
                    condition != conditions.cend() ? QStringLiteral("true")
                                                   : QStringLiteral("false"));
                if (condition != conditions.cend())
                    xml.writeAttribute(QStringLiteral("condition-coverage"),
                        QStringLiteral("%1% (%2/%3)")
                            .arg(100 * condition->first / condition->second)
                            .arg(condition->first)
                            .arg(condition->second));
            }
            xml.writeEndElement(); // lines
            xml.writeEndElement(); // class
        }
        xml.writeEndElement(); // classes
        xml.writeEndElement(); // package
    }
    xml.writeEndElement(); // packages
    xml.writeEndElement(); // coverage
    xml.writeEndDocument();
    return document;
}

} // namespace vivarium
