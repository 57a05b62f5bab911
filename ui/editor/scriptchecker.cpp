#include "ui/editor/scriptchecker.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>
#include <QThreadPool>

namespace vivarium {

ScriptChecker::ScriptChecker(QObject *parent)
    : QObject(parent)
    , m_generation(std::make_shared<std::atomic<quint64>>(0))
{
}

ScriptChecker::~ScriptChecker()
{
    ++*m_generation; // a check still running delivers to no one
}

void ScriptChecker::check(const TestSpec &spec, const QString &text)
{
    const quint64 generation = ++*m_generation;
    ++m_running;
    emit started();
    QPointer<ScriptChecker> self(this);
    std::shared_ptr<std::atomic<quint64>> current = m_generation;
    QThreadPool::globalInstance()->start([spec, text, generation, current, self] {
        QString error;
        const QList<ScriptFinding> findings = checkScriptText(spec, text, &error);
        QMetaObject::invokeMethod(
            qApp,
            [self, generation, current, findings, error] {
                if (!self)
                    return;
                --self->m_running;
                if (*current == generation)
                    emit self->finished(findings, error);
            },
            Qt::QueuedConnection);
    });
}

} // namespace vivarium
