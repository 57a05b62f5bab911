#pragma once

#include "core/spec/testspec.h"

#include <toml++/toml.h>

namespace vivarium {

class TomlReader;

// The [hosts.NAME] tables of a test file or of a --hosts file (docs/scale-out.md): each another
// machine reached over ssh with keys only. "local" names this host and cannot be redefined.
void readHosts(TomlReader &reader, const toml::node &node, QMap<QString, HostSpec> &hosts);

// Every machine's `host` names a host of the file (or "local"); containers run on this host.
void checkMachineHosts(const TestSpec &spec, QStringList &errors);

} // namespace vivarium
