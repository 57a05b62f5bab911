#pragma once

#include "benchfigure.h"
#include "core/session/session.h"

#include <functional>
#include <memory>

// The screens section: an X11 guest with an xterm; OCR beside the NixOS way on the same
// screen, needle matching, the desktop's start, a video's cost.
using SessionMaker = std::function<std::unique_ptr<vivarium::Session>(
    const QString &name, const QByteArray &toml, bool video)>;
QList<BenchFigure> measureScreens(const SessionMaker &makeSession, bool quick);
