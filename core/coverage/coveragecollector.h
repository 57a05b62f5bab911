#pragma once

#include "core/coverage/tracefile.h"
#include "core/event/events.h"
#include "core/spec/testspec.h"

#include <QJsonObject>
#include <QMap>
#include <QProcessEnvironment>
#include <QStringList>
#include <functional>
#include <optional>

namespace vivarium {

// One machine's counters on the host: its /vivarium/coverage.
struct CoverageSource {
    QString machine;
    QString hostDir;
    // Set when the machine was crashed or killed during the run: what its programs had not
    // written by then is lost, as on real hardware; the report says so.
    QString lost;
};

// What a collection made (docs/coverage.md, "Output").
struct CoverageResult {
    QString directory; // <outDir>/coverage
    QMap<QString, CoverageTotals> machines; // machine -> its totals
    CoverageTotals all;
    bool hasData = false; // some machine wrote counters
    QString html; // coverage/html/index.html, empty when genhtml made none
    QStringList problems; // for the report; they never change the run's verdict
    QJsonObject json() const; // coverage/summary.json
    static CoverageResult fromJson(const QJsonObject &object);
};

// The run's last coverage collection, as its CoverageCollected event says; nullopt when
// there was none (log.html's header and junit.xml's properties).
std::optional<CoverageResult> lastCoverage(const QList<RecordedEvent> &events);

// A tool of the field run to its end (they take seconds; a large program's genhtml,
// minutes): whether it succeeded, and its output, or why it did not run.
struct ToolRun {
    bool ok = false;
    QString output;
};
ToolRun runTool(const QString &program, const QStringList &arguments,
    const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());

// One line for the logs: the totals per machine and combined, and where the report is.
QString coverageLine(const CoverageResult &result);

// Turns every machine's counters into lcov tracefiles with the field's tools — geninfo (gcov)
// for GCC's .gcda, llvm-profdata and llvm-cov for clang's raw profiles, coverage.py for
// Python — each named by its machine (lcov's test name), then merges them (lcov), renders
// html/ (genhtml --show-details: which machine ran each line) and cobertura.xml. Blocking;
// minutes at most for large programs (progress says what it does).
class CoverageCollector {
public:
    CoverageCollector(CoverageSettings settings, QString testName, QString outDir);
    void setProgress(std::function<void(const QString &)> progress)
    {
        m_progress = std::move(progress);
    }
    CoverageResult collect(const QList<CoverageSource> &sources);
    // The tracefile of one machine's counters (test name = the machine, Python's name for it),
    // filtered by [coverage] include; problems go to *problems.
    Tracefile machineTracefile(const CoverageSource &source, QStringList *problems);

private:
    Tracefile gcovPart(const CoverageSource &source, const QString &work, QStringList *problems);
    Tracefile llvmPart(const CoverageSource &source, const QString &work, QStringList *problems);
    Tracefile pythonPart(const CoverageSource &source, const QString &work, QStringList *problems);
    void say(const QString &what) const;

    CoverageSettings m_settings;
    QString m_testName;
    QString m_outDir;
    std::function<void(const QString &)> m_progress;
};

} // namespace vivarium
