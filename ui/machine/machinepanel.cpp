#include "ui/machine/machinepanel.h"

#include "ui/machine/screenwaits.h"
#include "ui/record/scriptrecorder.h"
#include "ui/screen/screenview.h"
#include "ui/terminal/terminalview.h"
#include "ui/widgets/historylineedit.h"
#include "ui/workbench.h"

#include <QCursor>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPointer>
#include <QScrollArea>
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
    m_serialView->setFollowsWidgetSize(true);
    addTab(m_serialView, tr("Serial"));
    addTab(m_shellView, tr("Shell"));
    const MachineSpec *spec = workbench->spec().machine(machine);
    // A container has no screen and no QEMU: its console and shell are all there is.
    const bool container = spec && spec->kind == MachineKind::Container;
    QWidget *monitor = nullptr;
    if (!container) {
        addTab(screenTab(spec && spec->graphics), tr("Screen"));
        monitor = monitorTab();
        addTab(monitor, tr("Monitor"));
    }
    // A tab opened is a tab to type in: the Monitor's command line, a terminal.
    connect(this, &QTabWidget::currentChanged, this, [this, monitor](int index) {
        if (widget(index) == monitor)
            m_monitorInput->setFocus();
        else if (widget(index) == m_serialView || widget(index) == m_shellView)
            widget(index)->setFocus();
    });
    connect(workbench, &Workbench::machineStateChanged, this,
        [this](const QString &m, const QString &state, const QString &detail) {
            if (m == m_machine)
                onMachineState(state, detail);
        });
    connect(workbench, &Workbench::sessionReplaced, this, &MachinePanel::detachScreen);

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
    connect(m_shell, &TerminalSurface::commandFinished, this,
        [this](int status) { m_commandStatus = status; });
    connect(m_serialView, &TerminalView::textSelected, this,
        [this](const QString &text) { emit serialTextSelected(m_machine, text); });
    // The shells run on real ttys: tell them the terminals' sizes, now and when the machine is
    // up (a serial console otherwise says 0x0 and programs cut their lines at 80).
    connect(m_shellView, &TerminalView::sizeChanged, this,
        [this](int rows, int cols) { resizeTerminal(QStringLiteral("hvc0"), rows, cols); });
    connect(m_serialView, &TerminalView::sizeChanged, this,
        [this](int rows, int cols) { resizeTerminal(QStringLiteral("ttyS0"), rows, cols); });
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
    for (const QString &combo : sendKeyCombos())
        keys->addAction(combo, this, [this, combo] { sendKeyCombo(combo); });
    sendKey->setMenu(keys);
    bar->addWidget(sendKey);
    bar->addAction(tr("Take Screenshot"), this, &MachinePanel::takeScreenshot);
    m_screenWaits = new ScreenWaits(m_machine, m_workbench, this);
    connect(m_screenWaits, &ScreenWaits::windowChosen, this, &MachinePanel::windowWaitChosen);
    connect(m_screenWaits, &ScreenWaits::textChosen, this, &MachinePanel::textWaitChosen);
    connect(m_screenWaits, &ScreenWaits::regionChosen, this, &MachinePanel::regionWaitChosen);
    QAction *waitWindow = bar->addAction(
        tr("Wait for Window…"), this, [this] { m_screenWaits->chooseWindow(machineObject()); });
    waitWindow->setObjectName(QStringLiteral("waitForWindow"));
    waitWindow->setToolTip(tr("Record a wait for one of the guest's X windows. Ctrl+drag a "
                              "rectangle on the screen to wait for its text or its picture."));
    QAction *fit = bar->addAction(tr("Scale to Fit"));
    fit->setObjectName(QStringLiteral("scaleToFit"));
    fit->setCheckable(true);
    fit->setChecked(true);
    connect(fit, &QAction::toggled, this, [this](bool on) {
        if (m_screenView)
            m_screenView->setScaled(on);
    });
    layout->addWidget(bar);
    // 1:1 shows the screen at its size, with scroll bars when the view is smaller.
    auto *scroll = new QScrollArea(m_screenBox);
    scroll->setObjectName(QStringLiteral("screenScroll"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->hide();
    layout->addWidget(scroll, 1);
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
    if (auto *waiting = m_screenBox->findChild<QLabel *>(QStringLiteral("screenWaiting")))
        waiting->hide();
    auto *scroll = m_screenBox->findChild<QScrollArea *>(QStringLiteral("screenScroll"));
    m_screenView = new ScreenView(true, spec->vnc ? m->paths().vncSocket : QString(), scroll);
    m_screenView->setObjectName(QStringLiteral("screen-") + m_machine);
    if (auto *fit = m_screenBox->findChild<QAction *>(QStringLiteral("scaleToFit")))
        m_screenView->setScaled(fit->isChecked());
    scroll->setWidget(m_screenView);
    scroll->show();
    connect(m_screenView, &ScreenView::keyTyped, this,
        [this](quint32, const QString &text, int qtKey, Qt::KeyboardModifiers modifiers) {
            if (m_screenView->isPolling() && !m_screenView->isConnected())
                sendKeyOverQmp(qtKey, text, modifiers);
            emit keyTyped(m_machine, qtKey, text, modifiers);
        });
    connect(m_screenView, &ScreenView::clicked, this, &MachinePanel::onScreenClicked);
    connect(m_screenView, &ScreenView::regionSelected, this, &MachinePanel::offerScreenRegion);
    // Without VNC (vnc = false, or a server that does not answer), screen dumps twice a second.
    auto *poll = new QTimer(m_screenView);
    poll->start(500);
    connect(poll, &QTimer::timeout, this, &MachinePanel::pollScreen);
}

Machine *MachinePanel::machineObject() const
{
    return m_workbench->run() ? m_workbench->run()->machine(m_machine) : nullptr;
}

// A needle or a text wait is cut from the guest's own framebuffer (a QMP screen dump: what
// match_screen and get_screen_text will read, at its size, without the pointer a VNC client
// draws), not from the picture the Screen shows; the dragged rectangle maps onto it.
void MachinePanel::offerScreenRegion(const QRect &region)
{
    Machine *m = machineObject();
    const QSize shown = m_screenView->image().size();
    const QPoint at = QCursor::pos();
    if (!m || !m->isUp()) {
        m_screenView->clearSelection();
        emit m_workbench->message(
            tr("%1 is not running: a region is cut from a running machine's screen")
                .arg(m_machine));
        return;
    }
    QPointer<MachinePanel> self(this);
    m_workbench->inWorker(
        QStringLiteral("screen of %1").arg(m_machine), [self, m, region, shown, at] {
            QImage screen;
            QString problem;
            try {
                screen = m->grabScreen();
            } catch (const MachineError &e) {
                problem = QString::fromStdString(e.what());
            }
            QMetaObject::invokeMethod(self, [self, screen, problem, region, shown, at] {
                if (!self || !self->m_screenView)
                    return;
                if (screen.isNull()) {
                    self->m_screenView->clearSelection();
                    emit self->m_workbench->message(
                        tr("Cannot read %1's screen: %2").arg(self->m_machine, problem));
                    return;
                }
                self->m_screenWaits->offerRegion(
                    screen, mapRegion(region, shown, screen.size()), at);
                self->m_screenView->clearSelection();
            });
        });
}

QRect MachinePanel::mapRegion(const QRect &region, const QSize &from, const QSize &to)
{
    if (from == to || from.isEmpty())
        return region.intersected(QRect(QPoint(), to));
    const double sx = double(to.width()) / from.width(), sy = double(to.height()) / from.height();
    const QRect mapped(QPoint(qRound(region.left() * sx), qRound(region.top() * sy)),
        QPoint(qRound((region.right() + 1) * sx) - 1, qRound((region.bottom() + 1) * sy) - 1));
    return mapped.intersected(QRect(QPoint(), to));
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

void MachinePanel::onScreenClicked(int x, int y, const QString &button)
{
    // Over VNC the click went out with the pointer events; a polled screen sends it over QMP.
    if (Machine *m = machineObject();
        m && m_screenView->isPolling() && !m_screenView->isConnected()) {
        m_workbench->inWorker(QStringLiteral("click on %1").arg(m_machine), [m, x, y, button] {
            try {
                m->mouseClick(x, y, button);
            } catch (const MachineError &) {
                // The machine went away: nowhere to click.
            }
        });
    }
    emit mouseClicked(m_machine, x, y, button);
}

void MachinePanel::takeScreenshot()
{
    Machine *m = machineObject();
    if (!m || !m->isUp()) {
        emit m_workbench->message(tr("%1 is not running: no screen to take").arg(m_machine));
        return;
    }
    const QString name
        = m_machine + QDateTime::currentDateTime().toString(QStringLiteral("-HHmmss"));
    QPointer<Workbench> workbench(m_workbench);
    m_workbench->inWorker(QStringLiteral("screenshot"), [m, name, workbench] {
        const QString path = m->screenshot(name);
        QMetaObject::invokeMethod(workbench, [workbench, path] {
            if (workbench)
                emit workbench->message(tr("Screenshot saved to %1").arg(path));
        });
    });
    emit screenshotTaken(m_machine, name);
}

QStringList MachinePanel::sendKeyCombos()
{
    // What each does on a Vivarium guest's text consoles: Ctrl+Alt+Fn and Alt+F4 switch
    // virtual consoles, Alt+Tab reaches the program as ESC Tab, Alt+SysRq+H prints the
    // kernel's SysRq help, Ctrl+Alt+Delete restarts the machine.
    QStringList combos;
    for (int f = 1; f <= 6; ++f)
        combos << QStringLiteral("ctrl-alt-f%1").arg(f);
    combos << QStringLiteral("alt-f4") << QStringLiteral("alt-tab") << QStringLiteral("alt-sysrq-h")
           << QStringLiteral("ctrl-alt-delete");
    return combos;
}

void MachinePanel::sendKeyCombo(const QString &combo)
{
    Machine *m = machineObject();
    if (!m || !m->isUp()) {
        emit m_workbench->message(tr("%1 is not running: no keys to send").arg(m_machine));
        return;
    }
    m_workbench->inWorker(
        QStringLiteral("send_key %1").arg(combo), [m, combo] { m->sendKey(combo); });
    emit m_workbench->message(tr("Sent %1 to %2").arg(combo, m_machine));
}

void MachinePanel::onMachineState(const QString &state, const QString &detail)
{
    const QString at = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
    QString banner;
    if (state == QLatin1String("booting")) {
        attachScreen();
    } else if (state == QLatin1String("ready")) {
        m_upSince.start();
        resizeTerminal(QStringLiteral("hvc0"), m_shell->rows(), m_shell->cols());
        resizeTerminal(QStringLiteral("ttyS0"), m_serial->rows(), m_serial->cols());
    } else if (state == QLatin1String("failed")) {
        banner = tr("Machine crashed at %1: %2 — Start to boot it again").arg(at, detail);
    } else if (state == QLatin1String("off")) {
        banner = detail == QLatin1String("crashed")
            ? tr("Machine crashed at %1 — Start to boot it again").arg(at)
            : tr("Machine stopped at %1 — Start to boot it again").arg(at);
    }
    m_serialView->setBanner(banner);
    m_shellView->setBanner(banner);
    if (m_screenView)
        m_screenView->setNotice(banner);
}

void MachinePanel::detachScreen()
{
    // The VNC socket belonged to the old session's machine: the next boot attaches anew.
    delete m_screenView;
    m_screenView = nullptr;
    if (!m_screenBox) // a container's panel has no Screen
        return;
    const MachineSpec *spec = m_workbench->spec().machine(m_machine);
    if (!spec || !spec->graphics) {
        m_screenView = new ScreenView(false, QString(), m_screenBox);
        m_screenBox->layout()->addWidget(m_screenView);
        return;
    }
    if (auto *scroll = m_screenBox->findChild<QScrollArea *>(QStringLiteral("screenScroll")))
        scroll->hide();
    if (auto *waiting = m_screenBox->findChild<QLabel *>(QStringLiteral("screenWaiting")))
        waiting->show();
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
    m_commandStatus.reset();
    m_shell->feed(bytes); // may report a command's exit status (OSC 133;D)
    const int cursorLine = m_shell->cursor().y();
    if (m_enterLine >= 0 && cursorLine > m_enterLine) {
        const int first = qMax(0, m_enterLine - 9);
        QStringList rows;
        for (int line = first; line < cursorLine && line < m_enterLine + 20; ++line)
            rows << m_shell->lineText(line);
        m_enteredCommand
            = ScriptRecorder::commandAfterPrompt(rows, m_enterLine - first, m_shell->cols());
        m_enterLine = -1;
    }
    // The status comes with the next prompt, in this output or a later one.
    if (m_commandStatus && !m_enteredCommand.isEmpty())
        emit shellCommandEntered(m_machine, std::exchange(m_enteredCommand, {}), *m_commandStatus);
}

void MachinePanel::resizeTerminal(const QString &device, int rows, int cols)
{
    Machine *m = machineObject();
    if (m && m->isUp())
        m_workbench->inWorker(QStringLiteral("resize %1").arg(device),
            [m, device, rows, cols] { m->resizeTerminal(device, rows, cols); });
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
    m_monitorInput->setHistoryKey(
        QStringLiteral("monitor %1 %2")
            .arg(QFileInfo(m_workbench->spec().file).absoluteFilePath(), m_machine));
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
