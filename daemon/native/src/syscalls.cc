#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_userfaultfd
#define SYS_userfaultfd 323
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

namespace ummu {

long PageSize() {
  static const long page = sysconf(_SC_PAGESIZE);  // immutable after first use
  return page;
}

Result<UniqueFd> PidfdOpen(int pid) {
  if (pid <= 0) return Error::Of(ErrorKind::kInvalid, EINVAL, "pidfd_open: pid must be positive, got " + std::to_string(pid));
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    int err = errno;
    return Error::Sys(err, SysMessage("pidfd_open(" + std::to_string(pid) + ")", err),
                      err == ESRCH ? ErrorKind::kNotFound : ErrorKind::kNone);
  }
  return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> PidfdGetfd(int pidfd, int target_fd) {
  long fd = syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  int err = errno;
  std::string what = "pidfd_getfd(fd " + std::to_string(target_fd) + ")";
  switch (err) {
    case EPERM:
      return Error::Of(ErrorKind::kPermission, err,
                       SysMessage(what, err) +
                           ": the kernel's ptrace-attach check refused; likely reasons: Yama "
                           "kernel.yama.ptrace_scope >= 1 without the target calling "
                           "prctl(PR_SET_PTRACER) for this process, a different uid or user "
                           "namespace than the target, or a missing CAP_SYS_PTRACE");
    case EBADF:
      return Error::Of(ErrorKind::kInvalid, err, SysMessage(what, err) + ": the target has no such fd (or the pidfd is invalid)");
    case ESRCH:
      return Error::Of(ErrorKind::kPrecondition, err, SysMessage(what, err) + ": the target has exited");
    default:
      return Error::Sys(err, SysMessage(what, err));
  }
}

Result<UniqueFd> CreateUffd() {
  long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
  if (fd < 0) {
    int err = errno;
    return Error::Sys(err, SysMessage("userfaultfd(UFFD_USER_MODE_ONLY)", err),
                      err == EPERM ? ErrorKind::kPermission : ErrorKind::kNone);
  }
  return UniqueFd(static_cast<int>(fd));
}

Result<bool> AllowPtracer(int pid) {
  if (prctl(PR_SET_PTRACER, static_cast<unsigned long>(pid), 0, 0, 0) == 0) return true;
  int err = errno;
  if (err == EINVAL) return false;  // no Yama: the classic ptrace check alone applies
  return Error::Sys(err, SysMessage("prctl(PR_SET_PTRACER, " + std::to_string(pid) + ")", err));
}

Result<std::string> FdKind(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  char buf[256];
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n < 0) {
    int err = errno;
    if (err == ENOENT) err = EBADF;
    return Error::Of(ErrorKind::kInvalid, err, SysMessage("fd " + std::to_string(fd), err));
  }
  buf[n] = '\0';
  std::string target(buf);
  if (target == "anon_inode:[userfaultfd]") return std::string("uffd");
  if (target == "/dev/ummunotify") return std::string("device");
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode)) {
    char uevent[96];
    snprintf(uevent, sizeof uevent, "/sys/dev/char/%u:%u/uevent", major(st.st_rdev), minor(st.st_rdev));
    std::ifstream in(uevent);
    std::string line;
    while (std::getline(in, line)) {
      if (line == "DEVNAME=ummunotify") return std::string("device");
    }
  }
  return std::string("other");
}

Result<int> GetSeals(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    int err = errno;
    return Error::Sys(err, SysMessage("fcntl(F_GET_SEALS) on fd " + std::to_string(fd), err),
                      err == EBADF || err == EINVAL ? ErrorKind::kInvalid : ErrorKind::kNone);
  }
  return seals;
}

namespace {

// Does the address space reach `addr`?  A page there either maps (then it is
// unmapped again) or is already taken: both prove it is user space.
bool Reaches(uint64_t addr) {
  void* p = mmap(reinterpret_cast<void*>(addr), PageSize(), PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return errno == EEXIST;
  munmap(p, PageSize());
  return p == reinterpret_cast<void*>(addr);  // pre-4.17 kernels ignore NOREPLACE
}

uint64_t ProbeUserSpaceEnd() {
  const uint64_t page = static_cast<uint64_t>(PageSize());
  for (int bits : {57, 56, 52, 49, 48, 47, 42, 39}) {
    uint64_t top = uint64_t{1} << bits;
    if (Reaches(top - page)) return top;              // TASK_SIZE = 1 << bits (arm64)
    if (Reaches(top - 2 * page)) return top - page;   // TASK_SIZE = (1 << bits) - page (x86-64)
  }
  return 0x7ffffffff000ULL;
}

}  // namespace

uint64_t UserSpaceEnd() {
  static const uint64_t end = ProbeUserSpaceEnd();  // immutable after first use
  return end;
}

}  // namespace ummu
