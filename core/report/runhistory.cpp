#include "core/report/runhistory.h"

#include "core/event/events.h"
#include "core/report/eventrecorder.h"
#include "core/util/outputdirectory.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace vivarium {

namespace {

const QString nameFormat = QStringLiteral("yyyy-MM-dd_HH-mm-ss");

const QRegularExpression &runName()
{
    static const QRegularExpression pattern(
        QStringLiteral("^\\d{4}-\\d\\d-\\d\\d_\\d\\d-\\d\\d-\\d\\d(-\\d+)?$"));
    return pattern;
}

// A finished run's summary is kept beside its events (summary.json), so a history of long
// runs is listed without reading each events.jsonl again. It holds while events.jsonl has the
// size and time it had when the summary was made.
QString cacheFile(const QString &directory)
{
    return directory + QStringLiteral("/summary.json");
}

QJsonObject eventsStamp(const QFileInfo &events)
{
    return { { QStringLiteral("events_bytes"), events.size() },
        { QStringLiteral("events_modified_ms"), events.lastModified().toMSecsSinceEpoch() } };
}

std::optional<RunSummary> cachedSummary(const QString &directory, const QFileInfo &events)
{
    QFile file(cacheFile(directory));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
    const QJsonObject stamp = eventsStamp(events);
    if (o.value(QStringLiteral("events_bytes")) != stamp.value(QStringLiteral("events_bytes"))
        || o.value(QStringLiteral("events_modified_ms"))
            != stamp.value(QStringLiteral("events_modified_ms")))
        return std::nullopt;
    QJsonObject finished = o.value(QStringLiteral("finished")).toObject();
    finished.insert(QStringLiteral("type"), QStringLiteral("finished"));
    const std::optional<RecordedEvent> end = eventFromJson(finished);
    if (!end || !std::holds_alternative<event::Finished>(end->event))
        return std::nullopt;
    RunSummary summary;
    summary.directory = directory;
    summary.test = o.value(QStringLiteral("test")).toString();
    summary.started
        = QDateTime::fromMSecsSinceEpoch(o.value(QStringLiteral("started_ms")).toInteger());
    summary.durationMs = o.value(QStringLiteral("duration_ms")).toInteger();
    summary.actions = o.value(QStringLiteral("actions")).toInt();
    summary.result = std::get<event::Finished>(end->event).result;
    return summary;
}

void cacheSummary(const RunSummary &summary, const QFileInfo &events)
{
    QJsonObject o = eventsStamp(events);
    o.insert(QStringLiteral("test"), summary.test);
    o.insert(QStringLiteral("started_ms"), summary.started.toMSecsSinceEpoch());
    o.insert(QStringLiteral("duration_ms"), summary.durationMs);
    o.insert(QStringLiteral("actions"), summary.actions);
    o.insert(QStringLiteral("finished"), eventFields(event::Finished { *summary.result }));
    QFile file(cacheFile(summary.directory));
    if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        file.write(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

} // namespace

QString RunSummary::verdict() const
{
    if (!result)
        return inUse ? QStringLiteral("running") : QStringLiteral("did not finish");
    return result->verdict();
}

QString RunSummary::failingLine() const
{
    if (!result || result->passed() || result->line <= 0)
        return {};
    return QStringLiteral("%1:%2").arg(QFileInfo(result->file).fileName()).arg(result->line);
}

RunHistory::RunHistory(QString root)
    : m_root(QDir(root).absolutePath())
{
}

bool RunHistory::isRunName(const QString &name)
{
    return runName().match(name).hasMatch();
}

QString RunHistory::folderFor(const QString &base, const QString &testName, const QString &testFile)
{
    const QByteArray path = QFile::encodeName(QFileInfo(testFile).absoluteFilePath());
    const QString tag
        = QString::fromLatin1(QCryptographicHash::hash(path, QCryptographicHash::Sha1).toHex())
              .left(8);
    return QDir(base).filePath(testName + QLatin1Char('-') + tag);
}

QString RunHistory::newRun(QString *error) const
{
    if (!QDir().mkpath(m_root)) {
        *error = QStringLiteral("cannot create the run history %1").arg(m_root);
        return {};
    }
    ::chmod(QFile::encodeName(m_root).constData(), 0700); // what guests printed, kept
    const QString stamp = QDateTime::currentDateTime().toString(nameFormat);
    for (int n = 1; n < 1000; ++n) {
        const QString name = n == 1 ? stamp : QStringLiteral("%1-%2").arg(stamp).arg(n);
        const QString path = QDir(m_root).filePath(name);
        // mkdir fails when the directory is there: two runs never get one directory.
        if (::mkdir(QFile::encodeName(path).constData(), 0700) == 0)
            return path;
        if (errno != EEXIST)
            break;
    }
    *error = QStringLiteral("cannot create a run directory in %1: %2")
                 .arg(m_root, QString::fromLocal8Bit(std::strerror(errno)));
    return {};
}

RunSummary RunHistory::summarize(const QString &directory)
{
    RunSummary summary;
    summary.directory = directory;
    summary.inUse = OutputDirectory::inUse(directory);
    const QFileInfo eventsFile(directory + QStringLiteral("/events.jsonl"));
    if (!summary.inUse) {
        if (std::optional<RunSummary> cached = cachedSummary(directory, eventsFile))
            return *cached;
    }
    summary.started = QFileInfo(directory).birthTime();
    if (!summary.started.isValid())
        summary.started = QFileInfo(directory).lastModified();
    QString error;
    const QList<RecordedEvent> events
        = EventRecorder::read(directory + QStringLiteral("/events.jsonl"), &error);
    qint64 first = 0, last = 0;
    for (const RecordedEvent &recorded : events) {
        if (const auto *started = std::get_if<event::RunStarted>(&recorded.event)) {
            first = recorded.t;
            summary.test = started->test;
        } else if (std::holds_alternative<event::ActionFinished>(recorded.event)) {
            ++summary.actions;
        } else if (const auto *finished = std::get_if<event::Finished>(&recorded.event)) {
            summary.result = finished->result;
        }
        last = recorded.t;
        if (first == 0)
            first = recorded.t;
    }
    if (first > 0) {
        summary.started = QDateTime::fromMSecsSinceEpoch(first);
        summary.durationMs = last - first;
    }
    if (summary.result && !summary.inUse) // a finished run does not change any more
        cacheSummary(summary, eventsFile);
    return summary;
}

QList<RunSummary> RunHistory::runs() const
{
    QList<RunSummary> runs;
    const QStringList names = QDir(m_root).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &name : names) {
        if (isRunName(name))
            runs << summarize(QDir(m_root).filePath(name));
    }
    std::sort(runs.begin(), runs.end(), [](const RunSummary &a, const RunSummary &b) {
        return a.started != b.started ? a.started > b.started : a.directory > b.directory;
    });
    return runs;
}

QStringList RunHistory::prune(int keep, const QString &except) const
{
    QStringList removed;
    const QList<RunSummary> all = runs();
    const QString kept = except.isEmpty() ? QString() : QDir(except).absolutePath();
    for (qsizetype i = std::max(keep, 1); i < all.size(); ++i) {
        const QString &directory = all.at(i).directory;
        if (directory == kept || OutputDirectory::inUse(directory))
            continue;
        if (QDir(directory).removeRecursively())
            removed << directory;
    }
    return removed;
}

QString RunHistory::keepCopy(const QString &directory, QString *error) const
{
    const QString copy = newRun(error);
    if (copy.isEmpty())
        return {};
    const QDir from(directory);
    QDirIterator files(directory, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (files.hasNext()) {
        const QString path = files.next();
        const QString relative = from.relativeFilePath(path);
        if (relative == QLatin1String(".vivarium.lock"))
            continue;
        const QString target = QDir(copy).filePath(relative);
        QDir().mkpath(QFileInfo(target).absolutePath());
        if (!QFile::copy(path, target)) {
            *error = QStringLiteral("cannot copy %1 into %2").arg(path, copy);
            QDir(copy).removeRecursively();
            return {};
        }
    }
    return copy;
}

} // namespace vivarium
