#pragma once

#include "core/guest/guestartifacts.h"
#include "core/remote/sshhost.h"

#include <memory>
#include <vector>

namespace vivarium {

class EventLog;

// The other hosts a run's machines name (host = "NAME"), connected and checked before any
// machine boots (docs/scale-out.md): each must answer over ssh with keys only and have QEMU,
// VDE and the guest artifacts. On a problem: empty, with one message naming the host; nothing
// is left on any host. A host lost later is posted to events as the network failing.
std::vector<std::unique_ptr<SshHost>> connectRunHosts(
    const TestSpec &spec, const GuestArtifacts &artifacts, EventLog *events, QString *error);

} // namespace vivarium
