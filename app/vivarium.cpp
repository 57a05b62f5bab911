// vivarium: the workbench (DESIGN section 8).
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>

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
    // The demo: from the source tree, or where the package installs it.
    QString demo = QStringLiteral(VIVARIUM_SOURCE_DIR "/resources/demo/demo.toml");
    if (!QFileInfo::exists(demo))
        demo = QCoreApplication::applicationDirPath()
            + QStringLiteral("/../share/vivarium/demo/demo.toml");
    const QString test = args.isEmpty() ? demo : args.constFirst();
    vivarium::MainWindow window(test);
    window.show();
    return app.exec();
}
