#include "mainwindow.h"

#include "spec/specloader.h"

#include <QLabel>

namespace vivarium {

MainWindow::MainWindow(const QString &testFile, QWidget *parent)
    : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Vivarium — ") + testFile);
    SpecLoader loader;
    const std::optional<TestSpec> spec = loader.loadFile(testFile);
    QString text;
    if (!spec) {
        text = loader.errors().join(QLatin1Char('\n'));
    } else {
        text = QStringLiteral("Test %1\n\n").arg(spec->name);
        for (const MachineSpec &m : spec->machines) {
            QStringList vlans;
            for (int v : m.vlans)
                vlans << QString::number(v);
            text += QStringLiteral("%1 — VLANs %2\n").arg(m.name, vlans.join(QStringLiteral(", ")));
        }
    }
    auto *label = new QLabel(text, this);
    label->setObjectName(QStringLiteral("machineList"));
    label->setMargin(24);
    setCentralWidget(label);
    resize(640, 400);
}

} // namespace vivarium
