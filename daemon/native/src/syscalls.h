// Thin wrappers for the system calls glibc 2.36 lacks, and small fd queries.
#pragma once

#include <cstdint>
#include <string>

#include "errors.h"
#include "fd.h"

namespace ummu {

Result<UniqueFd> PidfdOpen(int pid);
// pidfd_getfd(2); EPERM becomes kind 'permission' with the likely reasons.
Result<UniqueFd> PidfdGetfd(int pidfd, int target_fd);
// userfaultfd(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY); no UFFDIO_API.
Result<UniqueFd> CreateUffd();
// prctl(PR_SET_PTRACER, pid): lets pid (and its descendants) pass Yama's
// ptrace_scope 1 for this process. False where Yama is not in the kernel.
Result<bool> AllowPtracer(int pid);
// "uffd", "device" or "other".
Result<std::string> FdKind(int fd);
Result<int> GetSeals(int fd);
// The first address beyond the user address space (TASK_SIZE), probed once.
uint64_t UserSpaceEnd();
long PageSize();

}  // namespace ummu
