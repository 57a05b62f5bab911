// vivarium: the workbench (DESIGN section 8).
#include "demofile.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("vivarium"));
    QApplication::setOrganizationName(QStringLiteral("Vivarium"));
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TEST.toml"),
        QStringLiteral("The test to open (default: the built-in demo)."));
    parser.process(app);
    const QStringList args = parser.positionalArguments();
    const QString test = args.isEmpty() ? demoFile(QStringLiteral("demo.toml")) : args.constFirst();
    vivarium::MainWindow window(test);
    window.show();
    return app.exec();
}
