#pragma once

#include "benchfigure.h"

// The hosts section (root only: its hosts are network namespaces with their own sshd, made by
// scripts/namespace-hosts): a machine on another host against the same machine here, each
// beside a machine here on VLAN 1 — how long it takes to be ready, the ping round trip and a
// TCP transfer between the two (interleaved rounds, medians).
QList<BenchFigure> measureHosts(bool quick);
