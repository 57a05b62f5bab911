#pragma once

#include "benchscreens.h"

// The containers section: a container machine's start to ready (minimal) and to
// multi-user.target (systemd), ten at once, the memory an idle one takes, and the demo
// property's examples a minute with containers against VMs.
QList<BenchFigure> measureContainers(const SessionMaker &makeSession, bool quick);
