#include "counter_page.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "syscalls.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

namespace ummu {

Result<CounterPage> CounterPage::Create() {
  const size_t page = static_cast<size_t>(PageSize());
  CounterPage cp;
  cp.memfd_.reset(memfd_create("ummunotify-counter", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!cp.memfd_) return Error::Sys(errno, SysMessage("memfd_create", errno));
  if (ftruncate(cp.memfd_.get(), static_cast<off_t>(page)) != 0) return Error::Sys(errno, SysMessage("ftruncate(counter memfd)", errno));
  void* p = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, cp.memfd_.get(), 0);
  if (p == MAP_FAILED) return Error::Sys(errno, SysMessage("mmap(counter memfd)", errno));
  cp.mapping_ = Mapping(p, page);
  // FUTURE_WRITE: our writable mapping stays; nobody can write from now on.
  if (fcntl(cp.memfd_.get(), F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return Error::Sys(errno, SysMessage("fcntl(F_ADD_SEALS) on the counter memfd", errno));
  }
  cp.Store(0);
  return cp;
}

Result<UniqueFd> CounterPage::ReadOnlyFd() const {
  if (!memfd_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the counter page is closed");
  std::string path = "/proc/self/fd/" + std::to_string(memfd_.get());
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::Sys(errno, SysMessage("open(" + path + ", O_RDONLY)", errno));
  return fd;
}

Result<CounterView> CounterView::Map(int fd) {
  const size_t page = static_cast<size_t>(PageSize());
  void* p = mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    int err = errno;
    return Error::Sys(err, SysMessage("mmap(PROT_READ, MAP_SHARED) of fd " + std::to_string(fd), err),
                      err == EBADF || err == EACCES || err == ENODEV ? ErrorKind::kInvalid : ErrorKind::kNone);
  }
  CounterView view;
  view.mapping_ = Mapping(p, page);
  return view;
}

}  // namespace ummu
