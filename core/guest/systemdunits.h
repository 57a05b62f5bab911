#pragma once

#include "core/spec/testspec.h"

#include <QMap>
#include <QStringList>

namespace vivarium {

// The files a systemd machine gets beside the test's own (docs/guests.md): its backdoor, shells
// and /tmp, the targets' wants (multi-user.target holds the machine's services, not what the
// host enabled), the journal on the serial console, and the gettys masked that would take the
// consoles. Keyed by guest path.
QMap<QString, GuestFile> systemdFiles(const MachineSpec &m, const QString &agent);

// What the host enabled that a machine must not see: its wants and requires directories below
// /etc/systemd/system, its default target and display manager (removed from the machine's root
// at each boot, before its files are copied).
QStringList hostUnitLinks();

} // namespace vivarium
