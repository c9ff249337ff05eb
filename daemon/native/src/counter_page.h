// The generation counter page of the uffd engine: one page of a sealed memfd,
// mapped read-write only here; clients get read-only fds for it.
#pragma once

#include <cstdint>

#include "errors.h"
#include "fd.h"
#include "mapping.h"

namespace ummu {

class CounterPage {
 public:
  static Result<CounterPage> Create();
  CounterPage() = default;
  CounterPage(CounterPage&&) = default;
  CounterPage& operator=(CounterPage&&) = default;

  // Single writer (the engine thread): a release store.
  void Store(uint64_t value) { __atomic_store_n(word(), value, __ATOMIC_RELEASE); }
  uint64_t Load() const { return __atomic_load_n(word(), __ATOMIC_ACQUIRE); }
  // A new O_RDONLY | O_CLOEXEC fd for the page (the caller owns it).
  Result<UniqueFd> ReadOnlyFd() const;
  void Reset() {
    mapping_.reset();
    memfd_.reset();
  }

 private:
  uint64_t* word() const { return static_cast<uint64_t*>(mapping_.get()); }
  UniqueFd memfd_;
  Mapping mapping_;
};

// A client's read-only view of a counter page.
class CounterView {
 public:
  static Result<CounterView> Map(int fd);
  CounterView() = default;
  CounterView(CounterView&&) = default;
  CounterView& operator=(CounterView&&) = default;
  bool mapped() const { return mapping_.valid(); }
  uint64_t Load() const { return __atomic_load_n(static_cast<const uint64_t*>(mapping_.get()), __ATOMIC_ACQUIRE); }
  void Unmap() { mapping_.reset(); }

 private:
  Mapping mapping_;
};

}  // namespace ummu
