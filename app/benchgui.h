#pragma once

#include <QList>
#include <QString>

// The workbench's figures for vivarium-bench (needs a QApplication).
struct GuiFigure {
    QString key;
    QString what;
    double value = 0;
    QString unit;
    QString target;
};

QList<GuiFigure> measureGui(bool quick);
// VNC frames delivered to the GUI thread against the frames a 1024x768 guest draws.
QList<GuiFigure> measureVnc(bool quick);
