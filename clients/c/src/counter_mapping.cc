#include "counter_mapping.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "receive_fd.h"
#include "unique_fd.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

namespace umn {

namespace {

// Only the daemon's own (earlier) writable mapping can change the page, and
// nobody can truncate it under us (a read past EOF would be SIGBUS).
constexpr int kRequiredSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE;

}  // namespace

Status CounterMapping::Fetch(const std::string& socket_path, bool sealed_memfd, std::unique_ptr<CounterMapping>* out) {
  UniqueFd fd;
  Status s = ReceiveFd(socket_path, &fd);
  if (!s.ok()) return s;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (sealed_memfd) {
    int seals = fcntl(fd.get(), F_GET_SEALS);
    if (seals < 0) return Status::Sys(errno, "fcntl(F_GET_SEALS) on the counter fd (the daemon said it is a sealed memfd)");
    if ((seals & kRequiredSeals) != kRequiredSeals) {
      return Status::Local(EACCES, "the counter fd from " + socket_path +
                                       " is not sealed against writes and truncation (seals " + std::to_string(seals) + ", need " +
                                       std::to_string(kRequiredSeals) + "); refusing to trust it");
    }
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return Status::Sys(errno, "fstat on the counter fd");
    if (st.st_size < static_cast<off_t>(sizeof(uint64_t))) {
      return Status::Local(EPROTO, "the counter memfd from " + socket_path + " holds " + std::to_string(st.st_size) + " bytes, less than a counter");
    }
  }
  void* addr = mmap(nullptr, page, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (addr == MAP_FAILED) return Status::Sys(errno, "mmap of the counter page");
  try {
    out->reset(new CounterMapping(addr, page));
  } catch (...) {
    munmap(addr, page);
    throw;
  }
  return Status::Ok();
}

CounterMapping::~CounterMapping() { munmap(addr_, length_); }

}  // namespace umn
