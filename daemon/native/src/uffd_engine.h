// The uffd engine: the semantics of /dev/ummunotify built from a target's
// userfaultfd (UFFDIO_REGISTER in WP mode, write-protecting nothing, and the
// UNMAP, REMOVE, REMAP and FORK events).
#pragma once

#include <memory>

#include "engine.h"

namespace ummu {

struct UffdEngineOptions {
  UniqueFd uffd;     // owned by the engine from now on, also on failure
  int pidfd = -1;    // not owned
  int pid = 0;
  size_t max_registrations = 0;
  uint32_t busy_poll_micros = 0;
};

Result<std::unique_ptr<Engine>> CreateUffdEngine(UffdEngineOptions options, ActivityCallback on_activity);

}  // namespace ummu
