#include "ui/console/pythonconsole.h"

#include "ui/widgets/historylineedit.h"
#include "ui/workbench.h"

#include <QFontDatabase>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace vivarium {

PythonConsole::PythonConsole(Workbench *workbench, QWidget *parent)
    : QWidget(parent)
    , m_workbench(workbench)
    , m_output(new QPlainTextEdit(this))
    , m_input(new HistoryLineEdit(this))
{
    setObjectName(QStringLiteral("pythonConsole"));
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_output->setReadOnly(true);
    m_output->setFont(fixed);
    m_output->setMaximumBlockCount(20000);
    m_output->setPlaceholderText(
        tr("Python against the live machines, e.g. server.succeed(\"ss -tln\"). While the "
           "script is paused, its variables are here too."));
    m_input->setObjectName(QStringLiteral("pythonInput"));
    m_input->setFont(fixed);
    m_input->setPlaceholderText(tr(">>> (Up/Down: history)"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_output, 1);
    layout->addWidget(m_input);
    connect(m_input, &HistoryLineEdit::commandEntered, this, [this](const QString &source) {
        m_output->appendPlainText(QStringLiteral(">>> ") + source);
        m_workbench->evaluate(source);
    });
    connect(m_workbench, &Workbench::consoleOutput, this, &PythonConsole::onOutput);
}

void PythonConsole::clear()
{
    m_output->clear();
}

QString PythonConsole::transcript() const
{
    return m_output->toPlainText();
}

void PythonConsole::onOutput(const QString &, const QString &output)
{
    QString text = output;
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    if (!text.isEmpty())
        m_output->appendPlainText(text);
}

} // namespace vivarium
