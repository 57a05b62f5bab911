#pragma once

#include "benchscreens.h"

// The pbt section: the demo property's examples per minute, the planted-bug demo from start to
// its minimal case (and how many steps that case has), and what the driver keeps after many
// examples (processes, file descriptors, memory).
QList<BenchFigure> measurePbt(const SessionMaker &makeSession, bool quick);
// Examples a minute that ran steps, of a demo property (resources/demo/NAME.py), 6 steps each.
// usefulStepsPct, when given: of the steps drawn, the percentage that did something.
double demoExamplesPerMinute(const SessionMaker &makeSession, const QString &demo, bool quick,
    double *usefulStepsPct = nullptr);
