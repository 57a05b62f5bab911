#include "ui/machine/screenwaits.h"

#include "core/machine/machine.h"
#include "core/screen/needle.h"
#include "core/screen/ocr.h"
#include "core/screen/screenerror.h"
#include "ui/workbench.h"

#include <QDateTime>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenu>
#include <QPointer>
#include <QRegularExpression>
#include <QSet>

namespace vivarium {

ScreenWaits::ScreenWaits(QString machine, Workbench *workbench, QWidget *parent)
    : QObject(parent)
    , m_machine(std::move(machine))
    , m_workbench(workbench)
    , m_parent(parent)
{
}

QString ScreenWaits::needlePath(const QString &testFile, const QString &name)
{
    return QFileInfo(testFile).absolutePath() + QStringLiteral("/needles/") + name
        + QStringLiteral(".json");
}

QStringList ScreenWaits::windowsForChoice(const QStringList &names)
{
    // What icewm names its decorations, task bar and applets (Vivarium's x11 desktop).
    static const QSet<QString> decorations { QStringLiteral("Frame"), QStringLiteral("TitleBar"),
        QStringLiteral("Close"), QStringLiteral("Maximize"), QStringLiteral("Minimize"),
        QStringLiteral("Restore"), QStringLiteral("Rollup"), QStringLiteral("Hide"),
        QStringLiteral("Menu"), QStringLiteral("TaskBar"), QStringLiteral("Tray"),
        QStringLiteral("Clock"), QStringLiteral("Workspaces"), QStringLiteral("Start"),
        QStringLiteral("Window List"), QStringLiteral("Show Desktop"), QStringLiteral("CPU"),
        QStringLiteral("Net"), QStringLiteral("Mailbox"), QStringLiteral("APM") };
    QStringList applications, internals;
    for (const QString &name : names) {
        const QString trimmed = name.trimmed();
        if (trimmed.isEmpty() || applications.contains(trimmed) || internals.contains(trimmed))
            continue;
        const bool internal = decorations.contains(trimmed)
            || trimmed.startsWith(QLatin1String("icewm"), Qt::CaseInsensitive);
        (internal ? internals : applications).append(trimmed);
    }
    return applications + internals;
}

void ScreenWaits::chooseWindow(Machine *m)
{
    if (!m || !m->isUp()) {
        emit m_workbench->message(tr("%1 is not running: it has no windows").arg(m_machine));
        return;
    }
    QPointer<ScreenWaits> self(this);
    m_workbench->inWorker(QStringLiteral("windows of %1").arg(m_machine), [self, m] {
        QStringList names;
        QString problem;
        try {
            names = windowsForChoice(m->windowNames(Machine::Windows::Visible));
        } catch (const MachineError &e) {
            problem = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(self, [self, names, problem] {
            if (!self)
                return;
            if (!problem.isEmpty() || names.isEmpty()) {
                emit self->m_workbench->message(problem.isEmpty()
                        ? tr("%1 shows no X windows (is its desktop up?)").arg(self->m_machine)
                        : problem);
                return;
            }
            bool ok = false;
            const QString name = QInputDialog::getItem(self->m_parent, tr("Wait for Window"),
                tr("The window the script waits for (its name, matched whole):"), names, 0, false,
                &ok);
            if (ok)
                emit self->windowChosen(self->m_machine, name);
        });
    });
}

void ScreenWaits::offerRegion(const QImage &screen, const QRect &region, const QPoint &globalPos)
{
    QMenu menu(m_parent);
    menu.addSection(tr("%1x%2 at (%3, %4)")
                        .arg(region.width())
                        .arg(region.height())
                        .arg(region.x())
                        .arg(region.y()));
    menu.addAction(
        tr("Wait for Text…"), this, [this, screen, region] { waitForText(screen, region); });
    menu.addAction(tr("Wait for This Region…"), this,
        [this, screen, region] { waitForRegion(screen, region); });
    menu.exec(globalPos);
}

void ScreenWaits::waitForText(const QImage &screen, const QRect &region)
{
    QPointer<ScreenWaits> self(this);
    m_workbench->inWorker(QStringLiteral("text of %1's screen").arg(m_machine), [=] {
        QString text, problem;
        try {
            text = ocr::read(screen, ocr::Variant::Plain, region).text();
            if (text.trimmed().isEmpty())
                text = ocr::read(screen, ocr::Variant::Inverted, region).text();
        } catch (const ScreenError &e) {
            problem = e.message();
        }
        QMetaObject::invokeMethod(self, [=] {
            if (!self)
                return;
            if (!problem.isEmpty()) {
                emit self->m_workbench->message(problem);
                return;
            }
            bool ok = false;
            const QString chosen
                = QInputDialog::getMultiLineText(self->m_parent, tr("Wait for Text"),
                    tr("The text the script waits for, as OCR read it (edit it to what must be "
                       "there):"),
                    text, &ok);
            if (ok && !chosen.trimmed().isEmpty())
                emit self->textChosen(self->m_machine, chosen);
        });
    });
}

void ScreenWaits::waitForRegion(const QImage &screen, const QRect &region)
{
    const QString testFile = m_workbench->spec().file;
    bool ok = false;
    QString name = QInputDialog::getText(m_parent, tr("Wait for This Region"),
        tr("Name of the needle (kept as needles/NAME.png and NAME.json beside %1):")
            .arg(QFileInfo(testFile).fileName()),
        QLineEdit::Normal,
        m_machine + QDateTime::currentDateTime().toString(QStringLiteral("-HHmmss")), &ok)
                       .trimmed();
    if (!ok || name.isEmpty())
        return;
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9._-]+$"));
    if (!safe.match(name).hasMatch() || name.startsWith(QLatin1Char('.'))) {
        emit m_workbench->message(
            tr("A needle's name is letters, digits, '.', '-' and '_': \"%1\" is not").arg(name));
        return;
    }
    const QString path = needlePath(testFile, name);
    if (const QString problem = saveNeedle(screen, region, path, { name }); !problem.isEmpty()) {
        emit m_workbench->message(tr("Cannot keep the needle: %1").arg(problem));
        return;
    }
    emit m_workbench->message(tr("Needle saved to %1").arg(path));
    emit regionChosen(m_machine, QStringLiteral("needles/") + name + QStringLiteral(".json"));
}

} // namespace vivarium
