// The counter page mapped read-only into this process: the fast path, one
// load per check.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>

#include "status.h"

namespace umn {

class CounterMapping {
 public:
  // Fetches the page's fd from the counter socket, checks its seals when the
  // daemon says it is a sealed memfd, maps it and closes the fd.
  static Status Fetch(const std::string& socket_path, bool sealed_memfd, std::unique_ptr<CounterMapping>* out);

  CounterMapping(const CounterMapping&) = delete;
  CounterMapping& operator=(const CounterMapping&) = delete;
  ~CounterMapping();

  const volatile uint64_t* page() const { return static_cast<const volatile uint64_t*>(addr_); }

 private:
  CounterMapping(void* addr, size_t length) : addr_(addr), length_(length) {}

  void* addr_;
  size_t length_;
};

}  // namespace umn
