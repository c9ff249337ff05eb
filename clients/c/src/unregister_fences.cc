#include "unregister_fences.h"

#include <algorithm>

namespace umn {

void UnregisterFences::Record(const uint64_t* cookies, size_t n, uint64_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  highest_ = std::max(highest_, epoch);
  // A stream opened from now on only gets batches taken at this epoch or
  // later: without one open, there is nothing to filter.
  if (readers_.empty()) return;
  for (size_t i = 0; i < n; i++) fences_[cookies[i]] = epoch;
}

uint64_t UnregisterFences::OpenReader() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_reader_++;
  readers_.emplace(id, highest_);
  return id;
}

void UnregisterFences::CloseReader(uint64_t reader) {
  std::lock_guard<std::mutex> lock(mu_);
  readers_.erase(reader);
  Prune();
}

bool UnregisterFences::Admits(uint64_t reader, bool invalidation, uint64_t cookie, uint64_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = readers_.find(reader);
  // Batches come in epoch order: once a reader is handed one, older fences
  // matter to it no more.
  if (r != readers_.end() && epoch > r->second) {
    r->second = epoch;
    Prune();
  }
  if (!invalidation) return true;
  auto f = fences_.find(cookie);
  return f == fences_.end() || epoch >= f->second;
}

size_t UnregisterFences::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fences_.size();
}

void UnregisterFences::Prune() {
  if (fences_.empty()) return;
  if (readers_.empty()) {
    fences_.clear();
    return;
  }
  uint64_t oldest = UINT64_MAX;
  for (const auto& [id, seen] : readers_) oldest = std::min(oldest, seen);
  for (auto it = fences_.begin(); it != fences_.end();) {
    it = it->second <= oldest ? fences_.erase(it) : std::next(it);
  }
}

}  // namespace umn
