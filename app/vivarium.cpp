// vivarium: the workbench (DESIGN section 8).
#include "demofile.h"
#include "ui/demofolder.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <cstdio>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("vivarium"));
    QApplication::setOrganizationName(QStringLiteral("Vivarium"));
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TEST.toml"),
        QStringLiteral("The test to open (default: your copy of the built-in demo in "
                       "~/.local/share/vivarium/demo)."));
    parser.process(app);
    const QStringList args = parser.positionalArguments();
    QString test = args.isEmpty() ? QString() : args.constFirst();
    if (test.isEmpty()) {
        // The user's own copy of the demo: Save must not write into the install or a checkout.
        QString error;
        test = vivarium::userDemoTest(
            QFileInfo(demoFile(QStringLiteral("demo.toml"))).absolutePath(), &error);
        if (test.isEmpty()) {
            std::fprintf(stderr, "vivarium: %s\n", qPrintable(error));
            return 2;
        }
    }
    vivarium::MainWindow window(test);
    window.show();
    return app.exec();
}
