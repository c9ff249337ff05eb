// Naming the daemon this process's ptracer before the handoff. Under Yama's
// ptrace_scope 1 (Ubuntu's default) a process may take another's fds with
// pidfd_getfd only from its own descendants or from a process that named it
// with prctl(PR_SET_PTRACER); a sidecar is the target's child (spawned by the
// library) or its sibling (ummunotifyd run), so neither would pass.
#pragma once

#include <string>

namespace umn {

// Best effort: asks the kernel who listens on the daemon's socket
// (SO_PEERCRED) and names that process. Nothing to do without Yama; any
// failure shows at Attach, whose error names the reasons.
void NameDaemonPtracer(const std::string& socket);

}  // namespace umn
