// The notification fd this process hands to its daemon: which engine, and
// creating its fd.
#pragma once

#include "status.h"
#include "ummunotify/client.h"
#include "unique_fd.h"

namespace umn {

// Resolves UNSPECIFIED ($UMMUNOTIFY_ENGINE, else auto) and AUTO (the device
// if /dev/ummunotify exists, else uffd) to DEVICE or UFFD.
Status ResolveEngine(umn_engine requested, umn_engine* chosen);

// Opens /dev/ummunotify or creates a userfaultfd, close-on-exec.
Status OpenEngineFd(umn_engine engine, UniqueFd* out);

}  // namespace umn
