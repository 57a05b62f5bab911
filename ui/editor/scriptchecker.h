#pragma once

#include "core/script/scriptstubs.h"

#include <QObject>
#include <atomic>
#include <memory>

namespace vivarium {

// Type-checks the editor's script with mypy against the API's stubs (as `vivarium-test
// --check` does) off the GUI thread: mypy takes seconds. A check started while another runs
// supersedes it: only the latest one's findings are delivered.
class ScriptChecker : public QObject {
    Q_OBJECT

public:
    explicit ScriptChecker(QObject *parent = nullptr);
    ~ScriptChecker() override;

    void check(const TestSpec &spec, const QString &text);
    bool isChecking() const { return m_running > 0; }

signals:
    void started();
    // error: why mypy could not check (not installed...); findings are then empty.
    void finished(const QList<vivarium::ScriptFinding> &findings, const QString &error);

private:
    // Shared with the worker threads, which may outlive this object.
    std::shared_ptr<std::atomic<quint64>> m_generation;
    int m_running = 0;
};

} // namespace vivarium
