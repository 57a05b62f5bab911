#pragma once

#include <QString>

namespace vivarium {

// The demo the workbench opens when it starts without a test: the user's own copy in
// $XDG_DATA_HOME/vivarium/demo (~/.local/share/vivarium/demo), made from the installed demos
// (or the checkout's) the first time, so that Save writes into the user's folder, never into
// the install or a source tree. A file the user changed is kept; one missing from the copy is
// copied again. Returns the copy's demo.toml, or empty with error set.
QString userDemoTest(const QString &installedDir, QString *error);

} // namespace vivarium
