#pragma once

#include <QMap>
#include <QSet>
#include <QString>

namespace vivarium {

// What lcov's tracefiles (.info) say, test by test: lcov's test name is the machine that ran
// the code, so a line's counts say which machines executed it (docs/coverage.md). Reading
// them is for the figures Vivarium shows (totals, the workbench's view, the property search's
// new lines); lcov and genhtml make the report itself.
struct FileCoverage {
    QMap<int, qint64> lines; // line -> times executed
    QMap<QString, qint64> branches; // "line,block,branch" -> times taken (-1: never reached)
    QMap<QString, qint64> functions; // name -> calls
    QMap<QString, int> functionLines; // name -> its first line
    void add(const FileCoverage &other);
    // One more record of a branch: taken times, or -1 (lcov's "-": its condition was never
    // evaluated, which adds nothing to a count).
    void addBranch(const QString &key, qint64 taken);
};
using SourceCoverage = QMap<QString, FileCoverage>; // source path -> counts

struct CoverageTotals {
    int linesFound = 0, linesHit = 0;
    int branchesFound = 0, branchesHit = 0;
    int functionsFound = 0, functionsHit = 0;
    static CoverageTotals of(const SourceCoverage &sources);
    // Percent of lines executed; -1 when there were none to execute.
    double linePercent() const { return linesFound ? 100.0 * linesHit / linesFound : -1; }
    double branchPercent() const
    {
        return branchesFound ? 100.0 * branchesHit / branchesFound : -1;
    }
};

class Tracefile {
public:
    // Nullopt-like: an empty tracefile and error set, naming the line that is not lcov's.
    static Tracefile parse(const QByteArray &text, QString *error);
    static Tracefile read(const QString &path, QString *error);
    QByteArray text() const; // lcov's format again

    // test name -> its counts. An unnamed test ("TN:" empty) is "".
    const QMap<QString, SourceCoverage> &tests() const { return m_tests; }
    SourceCoverage &test(const QString &name) { return m_tests[name]; }
    void add(const Tracefile &other);
    // Every test's counts summed.
    SourceCoverage combined() const;
    // The tests that executed line of source.
    QStringList testsThatRan(const QString &source, int line) const;

private:
    QMap<QString, SourceCoverage> m_tests;
};

// What a property's examples have covered so far, and what each one adds: vivarium.stateful's
// coverage guidance scores an example by the lines and branches no earlier example ran.
class CoverageFrontier {
public:
    struct Added {
        int lines = 0, branches = 0; // what the example ran
        int newLines = 0, newBranches = 0; // of which no earlier example ran
        Added &operator+=(const Added &other)
        {
            lines += other.lines;
            branches += other.branches;
            newLines += other.newLines;
            newBranches += other.newBranches;
            return *this;
        }
    };
    Added add(const Tracefile &example);
    int lines() const { return int(m_lines.size()); }
    int branches() const { return int(m_branches.size()); }

private:
    QSet<QString> m_lines; // "source:line"
    QSet<QString> m_branches; // "source:line,block,branch"
};

// Cobertura's XML (what CI systems show) of the combined counts: one package per directory,
// one class per file, its lines with hits and branch conditions.
QByteArray coberturaXml(const SourceCoverage &sources, qint64 timestamp);

} // namespace vivarium
