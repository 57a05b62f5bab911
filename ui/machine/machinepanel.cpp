#include "ui/machine/machinepanel.h"

#include "ui/record/scriptrecorder.h"
#include "ui/screen/screenview.h"
#include "ui/terminal/terminalview.h"
#include "ui/widgets/historylineedit.h"
#include "ui/workbench.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFontDatabase>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPointer>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace vivarium {

MachinePanel::MachinePanel(const QString &machine, Workbench *workbench, QWidget *parent)
    : QTabWidget(parent)
    , m_machine(machine)
    , m_workbench(workbench)
    , m_serial(new TerminalSurface(25, 100, this))
    , m_shell(new TerminalSurface(25, 100, this))
    , m_serialView(new TerminalView(m_serial, this))
    , m_shellView(new TerminalView(m_shell, this))
{
    setObjectName(QStringLiteral("machine-") + machine);
    m_serialView->setObjectName(QStringLiteral("serial-") + machine);
    m_shellView->setObjectName(QStringLiteral("shell-") + machine);
    m_shellView->setFollowsWidgetSize(true);
    addTab(m_serialView, tr("Serial"));
    addTab(m_shellView, tr("Shell"));
    const MachineSpec *spec = workbench->spec().machine(machine);
    addTab(screenTab(spec && spec->graphics), tr("Screen"));
    addTab(monitorTab(), tr("Monitor"));
    connect(workbench, &Workbench::machineStateChanged, this,
        [this](const QString &m, const QString &state) {
            if (m == m_machine && state == QLatin1String("booting"))
                attachScreen();
        });

    connect(workbench, &Workbench::serialBytes, this,
        [this](const QString &m, const QByteArray &bytes) {
            if (m == m_machine)
                m_serial->feed(bytes);
        });
    connect(
        workbench, &Workbench::shellBytes, this, [this](const QString &m, const QByteArray &bytes) {
            if (m == m_machine)
                onShellOutput(bytes);
        });
    connect(m_serial, &TerminalSurface::output, this, [this](const QByteArray &bytes) {
        if (Machine *m = machineObject())
            m->writeSerial(bytes);
    });
    connect(m_shell, &TerminalSurface::output, this, &MachinePanel::onShellInput);
    connect(m_serialView, &TerminalView::textSelected, this,
        [this](const QString &text) { emit serialTextSelected(m_machine, text); });
    // The shell runs on a real tty: tell it the terminal's size, now and when the machine is up.
    connect(m_shellView, &TerminalView::sizeChanged, this, &MachinePanel::resizeShell);
    connect(workbench, &Workbench::machineStateChanged, this,
        [this](const QString &m, const QString &state) {
            if (m == m_machine && state == QLatin1String("ready")) {
                m_upSince.start();
                resizeShell(m_shell->rows(), m_shell->cols());
            }
        });
    connect(workbench, &Workbench::monitorAnswer, this,
        [this](const QString &m, const QString &command, const QString &answer) {
            if (m == m_machine)
                m_monitorOutput->appendPlainText(
                    QStringLiteral("(qemu) ") + command + QLatin1Char('\n') + answer);
        });
}

QWidget *MachinePanel::screenTab(bool graphics)
{
    m_screenBox = new QWidget(this);
    auto *layout = new QVBoxLayout(m_screenBox);
    layout->setContentsMargins(0, 0, 0, 0);
    if (!graphics) {
        m_screenView = new ScreenView(false, QString(), m_screenBox);
        layout->addWidget(m_screenView);
        return m_screenBox;
    }
    auto *bar = new QToolBar(m_screenBox);
    auto *sendKey = new QToolButton(bar);
    sendKey->setText(tr("Send Key"));
    sendKey->setPopupMode(QToolButton::InstantPopup);
    auto *keys = new QMenu(sendKey);
    QStringList combos { QStringLiteral("ctrl-alt-delete") };
    for (int f = 1; f <= 6; ++f)
        combos << QStringLiteral("ctrl-alt-f%1").arg(f);
    combos << QStringLiteral("alt-tab") << QStringLiteral("alt-f4") << QStringLiteral("sysrq");
    for (const QString &combo : std::as_const(combos)) {
        keys->addAction(combo, this, [this, combo] {
            if (Machine *m = machineObject())
                m_workbench->inWorker(
                    QStringLiteral("send_key"), [m, combo] { m->sendKey(combo); });
        });
    }
    sendKey->setMenu(keys);
    bar->addWidget(sendKey);
    bar->addAction(tr("Take Screenshot"), this, &MachinePanel::takeScreenshot);
    QAction *fit = bar->addAction(tr("Scale to Fit"));
    fit->setCheckable(true);
    fit->setChecked(true);
    connect(fit, &QAction::toggled, this, [this](bool on) {
        if (m_screenView)
            m_screenView->setScaled(on);
    });
    layout->addWidget(bar);
    auto *waiting = new QLabel(tr("The screen appears when the machine starts."), m_screenBox);
    waiting->setAlignment(Qt::AlignCenter);
    waiting->setObjectName(QStringLiteral("screenWaiting"));
    layout->addWidget(waiting, 1);
    return m_screenBox;
}

void MachinePanel::attachScreen()
{
    const MachineSpec *spec = m_workbench->spec().machine(m_machine);
    Machine *m = machineObject();
    if (m_screenView || !spec || !spec->graphics || !m)
        return;
    delete m_screenBox->findChild<QLabel *>(QStringLiteral("screenWaiting"));
    m_screenView = new ScreenView(true, spec->vnc ? m->paths().vncSocket : QString(), m_screenBox);
    m_screenView->setObjectName(QStringLiteral("screen-") + m_machine);
    m_screenBox->layout()->addWidget(m_screenView);
    connect(m_screenView, &ScreenView::keyTyped, this,
        [this](quint32, const QString &text, int qtKey, Qt::KeyboardModifiers modifiers) {
            if (m_screenView->isPolling() && !m_screenView->isConnected())
                sendKeyOverQmp(qtKey, text, modifiers);
            emit keyTyped(m_machine, qtKey, text, modifiers);
        });
    // Without VNC (vnc = false, or a server that does not answer), screen dumps twice a second.
    auto *poll = new QTimer(m_screenView);
    poll->start(500);
    connect(poll, &QTimer::timeout, this, &MachinePanel::pollScreen);
}

Machine *MachinePanel::machineObject() const
{
    return m_workbench->run() ? m_workbench->run()->machine(m_machine) : nullptr;
}

void MachinePanel::pollScreen()
{
    Machine *m = machineObject();
    const MachineSpec *spec = m_workbench->spec().machine(m_machine);
    if (!m || !spec || !m_screenView || !m_screenView->isVisible() || m_screenView->isConnected()
        || m_grabbing || !m->isUp())
        return; // dumps only for a Screen someone can see
    // VNC is given time to connect before the dumps take over.
    if (spec->vnc && (!m_upSince.isValid() || m_upSince.elapsed() < 10000))
        return;
    m_grabbing = true;
    QPointer<MachinePanel> self(this);
    m_workbench->inWorker(QStringLiteral("screen of %1").arg(m_machine), [self, m] {
        QImage image;
        try {
            image = m->grabScreen();
        } catch (const MachineError &) {
            // The machine went away between two dumps: the next tick sees it.
        }
        QMetaObject::invokeMethod(self, [self, image] {
            if (!self)
                return;
            self->m_grabbing = false;
            if (!image.isNull() && self->m_screenView)
                self->m_screenView->showPolledImage(image);
        });
    });
}

void MachinePanel::sendKeyOverQmp(int qtKey, const QString &text, Qt::KeyboardModifiers modifiers)
{
    if (const QString typed = ScriptRecorder::typedText(qtKey, text, modifiers); !typed.isEmpty()) {
        // Characters typed while keys are on their way go out together, as one send_chars.
        if (!m_keysToSend.isEmpty() && m_keysToSend.last().at(0).isEmpty())
            m_keysToSend.last()[1] += typed;
        else
            m_keysToSend << QStringList { QString(), typed };
    } else if (const QString key = ScriptRecorder::keyName(qtKey, modifiers); !key.isEmpty())
        m_keysToSend << QStringList { key, QString() };
    sendQueuedKeys();
}

void MachinePanel::sendQueuedKeys()
{
    Machine *m = machineObject();
    if (!m || m_sendingKeys || m_keysToSend.isEmpty())
        return;
    // One batch at a time on one worker, so keys arrive in the order they were typed.
    m_sendingKeys = true;
    const QList<QStringList> batch = std::exchange(m_keysToSend, {});
    QPointer<MachinePanel> self(this);
    m_workbench->inWorker(QStringLiteral("keys to %1").arg(m_machine), [self, m, batch] {
        try {
            for (const QStringList &key : batch) {
                if (key.at(0).isEmpty())
                    m->sendChars(key.at(1), 0);
                else
                    m->sendKey(key.at(0));
            }
        } catch (const MachineError &) {
            // The machine went away: the keys have nowhere to go.
        }
        QMetaObject::invokeMethod(self, [self] {
            if (!self)
                return;
            self->m_sendingKeys = false;
            self->sendQueuedKeys();
        });
    });
}

void MachinePanel::takeScreenshot()
{
    Machine *m = machineObject();
    if (!m || !m->isUp())
        return;
    const QString name
        = m_machine + QDateTime::currentDateTime().toString(QStringLiteral("-HHmmss"));
    m_workbench->inWorker(QStringLiteral("screenshot"), [m, name] { m->screenshot(name); });
    emit screenshotTaken(m_machine, name);
}

void MachinePanel::onShellInput(const QByteArray &bytes)
{
    Machine *m = machineObject();
    if (!m)
        return;
    if (bytes == "\r")
        m_enterLine = m_shell->cursor().y(); // the command is read once the guest echoes it
    m->writeShell(bytes);
}

void MachinePanel::onShellOutput(const QByteArray &bytes)
{
    m_shell->feed(bytes);
    const int cursorLine = m_shell->cursor().y();
    if (m_enterLine < 0 || cursorLine <= m_enterLine)
        return;
    const int first = qMax(0, m_enterLine - 9);
    QStringList rows;
    for (int line = first; line < cursorLine && line < m_enterLine + 20; ++line)
        rows << m_shell->lineText(line);
    const QString command
        = ScriptRecorder::commandAfterPrompt(rows, m_enterLine - first, m_shell->cols());
    m_enterLine = -1;
    if (!command.isEmpty())
        emit shellCommandEntered(m_machine, command);
}

void MachinePanel::resizeShell(int rows, int cols)
{
    Machine *m = machineObject();
    if (m && m->isUp())
        m_workbench->inWorker(
            QStringLiteral("resize the shell"), [m, rows, cols] { m->resizeShell(rows, cols); });
}

QWidget *MachinePanel::monitorTab()
{
    auto *tab = new QWidget(this);
    auto *layout = new QVBoxLayout(tab);
    layout->setContentsMargins(0, 0, 0, 0);
    m_monitorOutput = new QPlainTextEdit(tab);
    m_monitorOutput->setReadOnly(true);
    m_monitorOutput->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_monitorInput = new HistoryLineEdit(tab);
    m_monitorInput->setObjectName(QStringLiteral("monitor-") + m_machine);
    m_monitorInput->setPlaceholderText(tr("HMP command, e.g. info status (Up/Down: history)"));
    layout->addWidget(m_monitorOutput);
    layout->addWidget(m_monitorInput);
    connect(m_monitorInput, &HistoryLineEdit::commandEntered, this, [this](const QString &command) {
        m_workbench->monitorCommand(m_machine, command.trimmed());
    });
    return tab;
}

} // namespace vivarium
