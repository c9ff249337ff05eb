#include "engine_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

namespace umn {

namespace {

constexpr char kDevice[] = "/dev/ummunotify";
constexpr char kUffdDevice[] = "/dev/userfaultfd";

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

constexpr int kUffdFlags = O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY;

// /dev/userfaultfd (Linux 6.1+) hands out the same fd under file
// permissions, where the system call is refused: container seccomp profiles
// (EPERM), or tools that do not know it, such as valgrind (ENOSYS).
Status UffdFromDevice(int syscall_err, UniqueFd* out) {
  const std::string why = "userfaultfd(UFFD_USER_MODE_ONLY): " + ErrnoText(syscall_err);
  UniqueFd dev(open(kUffdDevice, O_RDWR | O_CLOEXEC));
  if (!dev) {
    int err = errno;
    // The system call's errno is the one that explains the refusal.
    return Status::Local(syscall_err, why + "; and " + kUffdDevice + ": " + ErrnoText(err) +
                                          (syscall_err == EPERM ? " (vm.unprivileged_userfaultfd or a seccomp filter forbids the call)" : ""));
  }
  UniqueFd fd(ioctl(dev.get(), USERFAULTFD_IOC_NEW, kUffdFlags));
  if (!fd) return Status::Sys(errno, why + "; and ioctl(" + kUffdDevice + ", USERFAULTFD_IOC_NEW)");
  *out = std::move(fd);
  return Status::Ok();
}

}  // namespace

Status ResolveEngine(umn_engine requested, umn_engine* chosen) {
  if (requested == UMN_ENGINE_UNSPECIFIED) {
    const char* env = getenv("UMMUNOTIFY_ENGINE");
    if (env == nullptr || *env == '\0' || strcmp(env, "auto") == 0) {
      requested = UMN_ENGINE_AUTO;
    } else if (strcmp(env, "device") == 0) {
      requested = UMN_ENGINE_DEVICE;
    } else if (strcmp(env, "uffd") == 0) {
      requested = UMN_ENGINE_UFFD;
    } else {
      return Status::Local(EINVAL, std::string("UMMUNOTIFY_ENGINE=") + env + ": expected device, uffd or auto");
    }
  }
  switch (requested) {
    case UMN_ENGINE_DEVICE:
    case UMN_ENGINE_UFFD:
      *chosen = requested;
      return Status::Ok();
    case UMN_ENGINE_AUTO:
      *chosen = access(kDevice, F_OK) == 0 ? UMN_ENGINE_DEVICE : UMN_ENGINE_UFFD;
      return Status::Ok();
    default:
      return Status::Local(EINVAL, "unknown engine " + std::to_string(static_cast<int>(requested)));
  }
}

Status OpenEngineFd(umn_engine engine, UniqueFd* out) {
  if (engine == UMN_ENGINE_DEVICE) {
    // Read-only: the device refuses a writable open.
    UniqueFd fd(open(kDevice, O_RDONLY | O_CLOEXEC));
    if (!fd) return Status::Sys(errno, std::string("open(") + kDevice + ")");
    *out = std::move(fd);
    return Status::Ok();
  }
  // USER_MODE_ONLY needs no privilege. No UFFDIO_API here: the daemon makes
  // that call, choosing the features it will read events with.
  UniqueFd fd(static_cast<int>(syscall(SYS_userfaultfd, kUffdFlags)));
  if (!fd) {
    int err = errno;
    if (err == ENOSYS || err == EPERM) return UffdFromDevice(err, out);
    return Status::Sys(err, "userfaultfd(UFFD_USER_MODE_ONLY)");
  }
  *out = std::move(fd);
  return Status::Ok();
}

}  // namespace umn
