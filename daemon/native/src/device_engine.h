// The device engine: /dev/ummunotify, the kernel module, as the daemon's
// event source. The module already has the semantics; the daemon negotiates
// the features it needs, registers through the ioctls, and fans the module's
// reports out to its ReadEvents queue and its subscribers.
#pragma once

#include <memory>

#include "engine.h"

namespace ummu {

struct DeviceEngineOptions {
  UniqueFd device;   // owned by the engine from now on, also on failure
  int pidfd = -1;    // not owned
  size_t max_registrations = 0;
};

Result<std::unique_ptr<Engine>> CreateDeviceEngine(DeviceEngineOptions options, ActivityCallback on_activity);

}  // namespace ummu
