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
// /etc/systemd/system, its default target and display manager, and the start links of its
// SysV-only init scripts (/etc/rc2.d..rc5.d/S*: systemd-sysv-generator makes each a unit wanted
// by multi-user.target). Removed from the machine's root at each boot, before its files are
// copied; root is where the host's tree is read (a test's own tree).
QStringList hostUnitLinks(const QString &root = QStringLiteral("/"));

} // namespace vivarium
