#include "core/coverage/coveragecollector.h"

#include "core/coverage/gcovjson.h"
#include "core/coverage/guestcoverage.h"
#include "core/util/childprocess.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <fnmatch.h>

namespace vivarium {

namespace {

QStringList filesUnder(const QString &dir, const QString &nameFilter)
{
    QStringList files;
    QDirIterator it(dir, { nameFilter }, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        files.append(it.next());
    files.sort();
    return files;
}

// lcov's test names are letters, digits and '_'.
QString testName(const QString &machine)
{
    QString name = machine;
    for (QChar &c : name)
        if (!c.isLetterOrNumber() && c != QLatin1Char('_'))
            c = QLatin1Char('_');
    return name;
}

// The last lines of a tool's output, for a problem line.
QString tail(const QString &output)
{
    return output.split(QLatin1Char('\n')).mid(-4).join(QStringLiteral(" / "));
}

bool kept(const QString &source, const QStringList &include)
{
    const QByteArray path = source.toUtf8();
    if (include.isEmpty())
        return !source.startsWith(QLatin1String("/usr/include/"))
            && !source.startsWith(QLatin1String("/usr/lib/"));
    return std::any_of(include.cbegin(), include.cend(), [&](const QString &pattern) {
        return fnmatch(pattern.toUtf8().constData(), path.constData(), 0) == 0;
    });
}

// genhtml's source pages say how often each line ran, not where: each line gets a column
// with the machines that ran it (lcov 1.16 has no hook for it). The page of SOURCE is
// html/<SOURCE less the sources' common directory>.gcov.html: matched by that ending.
void annotateByMachine(
    const QString &html, const Tracefile &all, const QStringList &sources, QStringList *problems)
{
    int width = 0;
    for (const QString &test : all.tests().keys())
        width += int(test.size()) + 1;
    QDirIterator pages(
        html, { QStringLiteral("*.gcov.html") }, QDir::Files, QDirIterator::Subdirectories);
    static const QRegularExpression line(
        QStringLiteral("^(<a name=\"(\\d+)\"><span class=\"lineNum\">[^<]*</span>)"),
        QRegularExpression::MultilineOption);
    while (pages.hasNext()) {
        const QString page = pages.next();
        const QString relative = QDir(html).relativeFilePath(page).chopped(10); // ".gcov.html"
        QStringList matches;
        for (const QString &source : sources)
            if (source.endsWith(QLatin1Char('/') + relative))
                matches << source;
        if (matches.size() != 1)
            continue;
        QFile file(page);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        QString text = QString::fromUtf8(file.readAll());
        file.close();
        QString out;
        qsizetype at = 0;
        for (auto it = line.globalMatch(text); it.hasNext();) {
            const QRegularExpressionMatch m = it.next();
            const QStringList machines = all.testsThatRan(matches.first(), m.captured(2).toInt());
            out += QStringView(text).mid(at, m.capturedEnd(1) - at);
            out += QStringLiteral("<span class=\"ranOn\" title=\"%1\">%2</span>")
                       .arg(machines.isEmpty()
                               ? QStringLiteral("no machine ran this line")
                               : QStringLiteral("ran on ") + machines.join(QStringLiteral(", ")),
                           machines.join(QLatin1Char(' ')).leftJustified(width));
            at = m.capturedEnd(1);
        }
        out += QStringView(text).mid(at);
        out.replace(QStringLiteral("<pre class=\"sourceHeading\">"),
            QStringLiteral("<pre class=\"sourceHeading\">")
                + QStringLiteral("Machines").leftJustified(width));
        out.replace(QStringLiteral("</head>"),
            QStringLiteral("<style>.ranOn { color: #1f4e8c; }</style></head>"));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(out.toUtf8()) < 0)
            problems->append(QStringLiteral("cannot write %1: %2").arg(page, file.errorString()));
    }
}

QJsonObject totalsJson(const CoverageTotals &t)
{
    return { { QStringLiteral("lines_found"), t.linesFound },
        { QStringLiteral("lines_hit"), t.linesHit },
        { QStringLiteral("branches_found"), t.branchesFound },
        { QStringLiteral("branches_hit"), t.branchesHit },
        { QStringLiteral("functions_found"), t.functionsFound },
        { QStringLiteral("functions_hit"), t.functionsHit } };
}

CoverageTotals totalsFromJson(const QJsonObject &o)
{
    CoverageTotals t;
    t.linesFound = o.value(QStringLiteral("lines_found")).toInt();
    t.linesHit = o.value(QStringLiteral("lines_hit")).toInt();
    t.branchesFound = o.value(QStringLiteral("branches_found")).toInt();
    t.branchesHit = o.value(QStringLiteral("branches_hit")).toInt();
    t.functionsFound = o.value(QStringLiteral("functions_found")).toInt();
    t.functionsHit = o.value(QStringLiteral("functions_hit")).toInt();
    return t;
}

// Every part of a test's counters under the machine's name (a tool leaves the test unnamed).
Tracefile asMachine(const Tracefile &parsed, const QString &machine)
{
    Tracefile trace;
    for (const SourceCoverage &test : parsed.tests())
        for (auto it = test.cbegin(); it != test.cend(); ++it)
            trace.test(testName(machine))[it.key()].add(it.value());
    return trace;
}

} // namespace

std::optional<CoverageResult> lastCoverage(const QList<RecordedEvent> &events)
{
    for (auto it = events.crbegin(); it != events.crend(); ++it)
        if (const auto *collected = std::get_if<event::CoverageCollected>(&it->event))
            return CoverageResult::fromJson(collected->summary);
    return std::nullopt;
}

ToolRun runTool(
    const QString &program, const QStringList &arguments, const QProcessEnvironment &env)
{
    const QString path = QStandardPaths::findExecutable(program);
    if (path.isEmpty())
        return { false, QStringLiteral("%1 is not installed").arg(program) };
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setProcessEnvironment(env);
    dieWithParent(&process);
    process.start(path, arguments);
    const bool finished = process.waitForFinished(30 * 60 * 1000);
    const QString output = QString::fromUtf8(process.readAll()).trimmed();
    if (!finished)
        return { false, QStringLiteral("%1 did not finish in 30 minutes").arg(program) };
    const bool ok = process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    return { ok, output };
}

QJsonObject CoverageResult::json() const
{
    QJsonObject perMachine;
    for (auto it = machines.cbegin(); it != machines.cend(); ++it)
        perMachine.insert(it.key(), totalsJson(it.value()));
    return { { QStringLiteral("directory"), directory }, { QStringLiteral("has_data"), hasData },
        { QStringLiteral("html"), html }, { QStringLiteral("all"), totalsJson(all) },
        { QStringLiteral("machines"), perMachine },
        { QStringLiteral("problems"), QJsonArray::fromStringList(problems) } };
}

CoverageResult CoverageResult::fromJson(const QJsonObject &o)
{
    CoverageResult r;
    r.directory = o.value(QStringLiteral("directory")).toString();
    r.hasData = o.value(QStringLiteral("has_data")).toBool();
    r.html = o.value(QStringLiteral("html")).toString();
    r.all = totalsFromJson(o.value(QStringLiteral("all")).toObject());
    const QJsonObject perMachine = o.value(QStringLiteral("machines")).toObject();
    for (auto it = perMachine.constBegin(); it != perMachine.constEnd(); ++it)
        r.machines.insert(it.key(), totalsFromJson(it.value().toObject()));
    for (const QJsonValue &p : o.value(QStringLiteral("problems")).toArray())
        r.problems.append(p.toString());
    return r;
}

QString coverageLine(const CoverageResult &result)
{
    if (!result.hasData)
        return QStringLiteral("coverage: none collected: ")
            + result.problems.value(result.problems.size() - 1);
    const auto percent = [](double value) {
        return value < 0 ? QStringLiteral("-") : QString::number(value, 'f', 1) + QLatin1Char('%');
    };
    QStringList machines;
    for (auto it = result.machines.cbegin(); it != result.machines.cend(); ++it)
        machines << QStringLiteral("%1 %2").arg(it.key(), percent(it->linePercent()));
    QString line
        = QStringLiteral("coverage: %1 of lines (%2 of %3), %4 of branches; %5")
              .arg(percent(result.all.linePercent()))
              .arg(result.all.linesHit)
              .arg(result.all.linesFound)
              .arg(percent(result.all.branchPercent()), machines.join(QStringLiteral(", ")));
    if (!result.html.isEmpty())
        line += QStringLiteral("; report: ") + result.html;
    for (const QString &problem : result.problems)
        line += QStringLiteral("\ncoverage problem: ") + problem;
    return line;
}

CoverageCollector::CoverageCollector(CoverageSettings settings, QString testName, QString outDir)
    : m_settings(std::move(settings))
    , m_testName(std::move(testName))
    , m_outDir(std::move(outDir))
{
}

void CoverageCollector::say(const QString &what) const
{
    if (m_progress)
        m_progress(what);
}

Tracefile CoverageCollector::gcovPart(
    const CoverageSource &source, const QString &work, QStringList *problems)
{
    const QString root = source.hostDir + QLatin1Char('/') + QLatin1String(guestcoverage::gcovDir);
    const QStringList counters = filesUnder(root, QStringLiteral("*.gcda"));
    if (counters.isEmpty())
        return {};
    // The counters name the object file's path in the guest, which is the host's (the guest's
    // root is the host's): its notes (.gcno) are there. Both go side by side in a copy, where
    // gcov reads them.
    const QString mirror = work + QStringLiteral("/gcov");
    QStringList mirrored; // the counters with their notes beside them
    for (const QString &counter : counters) {
        const QString objectPath = counter.mid(root.size());
        const QString notes = objectPath.chopped(5) + QStringLiteral(".gcno");
        if (!QFileInfo::exists(notes)) {
            problems->append(QStringLiteral("%1: %2 has no notes file %3 on the host (the "
                                            "program was built elsewhere, or its build is gone)")
                                 .arg(source.machine, objectPath, notes));
            continue;
        }
        QDir().mkpath(QFileInfo(mirror + objectPath).path());
        QFile::copy(counter, mirror + objectPath);
        QFile::copy(notes, mirror + notes);
        mirrored.append(mirror + objectPath);
    }
    if (mirrored.isEmpty())
        return {};
    // gcov's JSON, read as geninfo reads it (gcovjson.h: geninfo's Perl costs a property search
    // seconds per example), in batches that keep the command line short.
    const QString program = QStandardPaths::findExecutable(QStringLiteral("gcov"));
    if (program.isEmpty()) {
        problems->append(
            QStringLiteral("%1: gcov is not installed: its GCC counters cannot be read")
                .arg(source.machine));
        return {};
    }
    Tracefile trace;
    for (qsizetype first = 0; first < mirrored.size(); first += 500) {
        QProcess gcov;
        gcov.setWorkingDirectory(mirror);
        dieWithParent(&gcov);
        gcov.start(program, gcovJsonArguments() + mirrored.mid(first, 500));
        gcov.closeWriteChannel();
        const bool finished = gcov.waitForFinished(30 * 60 * 1000);
        const QByteArray json = gcov.readAllStandardOutput();
        const QString complaints = QString::fromUtf8(gcov.readAllStandardError());
        // gcov's own complaints name the file: a counter from another build than its notes.
        for (const QString &line : complaints.split(QLatin1Char('\n'))) {
            if (line.contains(QLatin1String("stamp mismatch"))
                || (line.contains(QLatin1String("version"))
                    && line.contains(QLatin1String(".gcda"))))
                problems->append(QStringLiteral("%1: %2 (the counters and the notes come from "
                                                "different builds of the program)")
                                     .arg(source.machine, QString(line).remove(mirror).trimmed()));
        }
        if (!finished || gcov.exitStatus() != QProcess::NormalExit || gcov.exitCode() != 0) {
            problems->append(QStringLiteral("%1: gcov could not read the GCC counters: %2")
                                 .arg(source.machine, tail(complaints)));
            return {};
        }
        QString error;
        trace.add(tracefileFromGcovJson(json, testName(source.machine), &error));
        if (!error.isEmpty())
            problems->append(source.machine + QStringLiteral(": ") + error);
    }
    return trace;
}

Tracefile CoverageCollector::llvmPart(
    const CoverageSource &source, const QString &work, QStringList *problems)
{
    const QStringList profiles
        = filesUnder(source.hostDir + QLatin1Char('/') + QLatin1String(guestcoverage::llvmDir),
            QStringLiteral("*.profraw"));
    if (profiles.isEmpty())
        return {};
    if (m_settings.llvmPrograms.isEmpty()) {
        problems->append(QStringLiteral("%1: %2 clang raw profiles, but [coverage] "
                                        "llvm_programs names no program to read their coverage "
                                        "maps from")
                             .arg(source.machine)
                             .arg(profiles.size()));
        return {};
    }
    const QString merged = work + QStringLiteral("/llvm.profdata");
    ToolRun run = runTool(QStringLiteral("llvm-profdata"),
        QStringList {
            QStringLiteral("merge"), QStringLiteral("-sparse"), QStringLiteral("-o"), merged }
            + profiles);
    if (!run.ok) {
        // A process killed while writing leaves a truncated profile: name it.
        problems->append(QStringLiteral("%1: llvm-profdata could not merge the clang raw "
                                        "profiles: %2")
                             .arg(source.machine, tail(run.output)));
        return {};
    }
    QStringList arguments { QStringLiteral("export"), QStringLiteral("-format=lcov"),
        QStringLiteral("-instr-profile"), merged, m_settings.llvmPrograms.first() };
    for (const QString &program : m_settings.llvmPrograms.mid(1))
        arguments << QStringLiteral("-object") << program;
    run = runTool(QStringLiteral("llvm-cov"), arguments);
    if (!run.ok) {
        problems->append(
            QStringLiteral("%1: llvm-cov export failed: %2").arg(source.machine, tail(run.output)));
        return {};
    }
    QString error;
    Tracefile parsed = Tracefile::parse(run.output.toUtf8(), &error);
    if (!error.isEmpty())
        problems->append(source.machine + QStringLiteral(": llvm-cov's output: ") + error);
    return asMachine(parsed, source.machine);
}

Tracefile CoverageCollector::pythonPart(
    const CoverageSource &source, const QString &work, QStringList *problems)
{
    const QStringList data
        = filesUnder(source.hostDir + QLatin1Char('/') + QLatin1String(guestcoverage::pythonDir),
            QStringLiteral(".coverage.*"));
    if (data.isEmpty())
        return {};
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("COVERAGE_FILE"), work + QStringLiteral("/.coverage"));
    env.remove(QStringLiteral("COVERAGE_PROCESS_START"));
    ToolRun run = runTool(QStringLiteral("python3-coverage"),
        QStringList { QStringLiteral("combine"), QStringLiteral("--keep") } + data, env);
    if (!run.ok) {
        problems->append(QStringLiteral("%1: coverage.py could not combine its data "
                                        "(python3-coverage combine): %2")
                             .arg(source.machine, tail(run.output)));
        return {};
    }
    const QString info = work + QStringLiteral("/python.info");
    run = runTool(QStringLiteral("python3-coverage"),
        { QStringLiteral("lcov"), QStringLiteral("--ignore-errors"), QStringLiteral("-o"), info },
        env);
    if (!run.ok) {
        problems->append(QStringLiteral("%1: coverage.py could not write its tracefile "
                                        "(python3-coverage lcov): %2")
                             .arg(source.machine, tail(run.output)));
        return {};
    }
    QString error;
    Tracefile parsed = Tracefile::read(info, &error);
    if (!error.isEmpty())
        problems->append(source.machine + QStringLiteral(": ") + error);
    return asMachine(parsed, source.machine);
}

Tracefile CoverageCollector::machineTracefile(const CoverageSource &source, QStringList *problems)
{
    const QString work = m_outDir + QStringLiteral("/coverage/.work/") + source.machine;
    QDir(work).removeRecursively();
    QDir().mkpath(work);
    Tracefile parts = gcovPart(source, work, problems);
    parts.add(llvmPart(source, work, problems));
    if (m_settings.python)
        parts.add(pythonPart(source, work, problems));
    QDir(work).removeRecursively();
    Tracefile trace;
    for (auto test = parts.tests().cbegin(); test != parts.tests().cend(); ++test)
        for (auto it = test->cbegin(); it != test->cend(); ++it)
            if (kept(it.key(), m_settings.include))
                trace.test(test.key())[it.key()].add(it.value());
    return trace;
}

CoverageResult CoverageCollector::collect(const QList<CoverageSource> &sources)
{
    CoverageResult result;
    result.directory = m_outDir + QStringLiteral("/coverage");
    // examples/ holds what the property examples' networks ran (collectExampleCoverage):
    // their machines are gone, so it is kept and merged in.
    const QString examples = result.directory + QStringLiteral("/examples");
    for (const QFileInfo &entry :
        QDir(result.directory)
            .entryInfoList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot)) {
        if (entry.absoluteFilePath() != examples)
            entry.isDir() ? void(QDir(entry.absoluteFilePath()).removeRecursively())
                          : void(QFile::remove(entry.absoluteFilePath()));
    }
    QDir().mkpath(result.directory);
    QMap<QString, Tracefile> byMachine;
    for (const CoverageSource &source : sources) {
        say(QStringLiteral("coverage: reading %1's counters").arg(source.machine));
        if (!source.lost.isEmpty())
            result.problems.append(source.machine + QStringLiteral(": ") + source.lost);
        const Tracefile trace = machineTracefile(source, &result.problems);
        if (!trace.tests().isEmpty())
            byMachine[source.machine].add(trace);
    }
    for (const QFileInfo &example :
        QDir(examples).entryInfoList({ QStringLiteral("*.info") }, QDir::Files, QDir::Name)) {
        QString error;
        const Tracefile trace = Tracefile::read(example.absoluteFilePath(), &error);
        if (!error.isEmpty())
            result.problems.append(error);
        for (auto test = trace.tests().cbegin(); test != trace.tests().cend(); ++test)
            for (auto it = test->cbegin(); it != test->cend(); ++it)
                byMachine[test.key()].test(test.key())[it.key()].add(it.value());
    }
    Tracefile all;
    QStringList infos;
    for (auto machine = byMachine.cbegin(); machine != byMachine.cend(); ++machine) {
        const Tracefile &trace = machine.value();
        const QString info
            = result.directory + QLatin1Char('/') + machine.key() + QStringLiteral(".info");
        QFile file(info);
        if (!file.open(QIODevice::WriteOnly) || file.write(trace.text()) < 0) {
            result.problems.append(
                QStringLiteral("cannot write %1: %2").arg(info, file.errorString()));
            continue;
        }
        file.close();
        infos.append(info);
        result.machines.insert(machine.key(), CoverageTotals::of(trace.combined()));
        all.add(trace);
    }
    result.hasData = !infos.isEmpty();
    if (!result.hasData) {
        result.problems.append(QStringLiteral(
            "no machine wrote coverage counters: no instrumented program ran, or none wrote "
            "its counters before the run ended (they are written at exit, or on [coverage] "
            "flush_signal)"));
        return result;
    }
    const SourceCoverage combined = all.combined();
    result.all = CoverageTotals::of(combined);

    // all.info: lcov's merge of the machines' tracefiles, each machine's counts kept under
    // its name.
    say(QStringLiteral("coverage: merging %1 machines' tracefiles").arg(infos.size()));
    const QString allInfo = result.directory + QStringLiteral("/all.info");
    QStringList merge { QStringLiteral("--quiet"), QStringLiteral("--rc"),
        QStringLiteral("lcov_branch_coverage=1") };
    for (const QString &info : infos)
        merge << QStringLiteral("--add-tracefile") << info;
    merge << QStringLiteral("--output-file") << allInfo;
    const ToolRun lcov = runTool(QStringLiteral("lcov"), merge);
    if (!lcov.ok) {
        result.problems.append(
            QStringLiteral("lcov could not merge the tracefiles: %1").arg(tail(lcov.output)));
        QFile file(allInfo); // the merge Vivarium read, so the figures have their file
        if (file.open(QIODevice::WriteOnly))
            file.write(all.text());
    }

    QFile cobertura(result.directory + QStringLiteral("/cobertura.xml"));
    if (!cobertura.open(QIODevice::WriteOnly)
        || cobertura.write(coberturaXml(combined, QDateTime::currentSecsSinceEpoch())) < 0)
        result.problems.append(QStringLiteral("cannot write %1: %2")
                                   .arg(cobertura.fileName(), cobertura.errorString()));

    say(QStringLiteral("coverage: writing the HTML report (genhtml)"));
    const QString html = result.directory + QStringLiteral("/html");
    const ToolRun genhtml = runTool(QStringLiteral("genhtml"),
        { QStringLiteral("--quiet"), QStringLiteral("--show-details"), QStringLiteral("--legend"),
            QStringLiteral("--branch-coverage"), QStringLiteral("--ignore-errors"),
            QStringLiteral("source"), QStringLiteral("--title"),
            m_testName + QStringLiteral(" (Vivarium)"), QStringLiteral("--output-directory"), html,
            allInfo });
    if (genhtml.ok) {
        result.html = html + QStringLiteral("/index.html");
        annotateByMachine(html, all, combined.keys(), &result.problems);
    } else
        result.problems.append(
            QStringLiteral("genhtml made no HTML report: %1").arg(tail(genhtml.output)));
    QDir(result.directory + QStringLiteral("/.work")).removeRecursively();
    return result;
}

} // namespace vivarium
