// What this client unregistered, and from which stream epoch on the daemon
// names those cookies no more (UnregisterResponse.epoch in the proto). A
// stream batch taken before an Unregister may still be on its way when the
// call returns; its epoch is older, and the client's own streams drop its
// reports for those cookies, so that after umn_unregister() returns no
// report for them reaches the caller. Shared by a client and its streams,
// which may run on other threads: everything is under one mutex.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <map>
#include <mutex>
#include <unordered_map>

namespace umn {

class UnregisterFences {
 public:
  // An Unregister of @cookies returned @epoch.
  void Record(const uint64_t* cookies, size_t n, uint64_t epoch);

  // A stream's view, by id; Close it with the stream.
  uint64_t OpenReader();
  void CloseReader(uint64_t reader);

  // Whether @reader's caller may be handed a report for @cookie (an
  // invalidation; other reports pass) from a batch taken at @epoch. Asked as
  // each report is handed over, so a report already received when
  // umn_unregister() was called is dropped too.
  bool Admits(uint64_t reader, bool invalidation, uint64_t cookie, uint64_t epoch);

  // Fences held (for tests: they must not grow without bound).
  size_t size() const;

 private:
  void Prune();

  mutable std::mutex mu_;
  std::unordered_map<uint64_t, uint64_t> fences_;  // cookie -> epoch of its latest Unregister
  std::map<uint64_t, uint64_t> readers_;           // reader -> newest batch epoch handed over
  uint64_t next_reader_ = 1;
  uint64_t highest_ = 0;
};

}  // namespace umn
