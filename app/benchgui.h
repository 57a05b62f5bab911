#pragma once

#include "benchfigure.h"

// The workbench's figures for vivarium-bench (needs a QApplication).

QList<BenchFigure> measureGui(bool quick);
// VNC frames delivered to the GUI thread against the frames a 1024x768 guest draws.
QList<BenchFigure> measureVnc(bool quick);
