#pragma once

#include <QMainWindow>

namespace vivarium {

// The workbench window. For now it lists the test's machines; the workbench issue fills it.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(const QString &testFile, QWidget *parent = nullptr);
};

} // namespace vivarium
