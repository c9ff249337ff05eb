// ReportQueue: pending INVAL reports, at most one per registration, in the
// order registrations were first hit.  Coalescing follows the UAPI's HINT
// rule: one invalidation since the last read -> HINT and the clipped range;
// more -> no HINT and the whole registration.  Sources fold in first-seen
// order.  Memory: O(registrations), never O(events).
#pragma once

#include <cstdint>
#include <algorithm>
#include <iterator>
#include <list>
#include <unordered_map>
#include <vector>

#include "engine.h"

namespace ummu {

class ReportQueue {
 public:
  // One hit on registration [reg_start, reg_end) by the bytes [a, b), counted
  // as `weight` invalidations.
  void Add(uint64_t cookie, uint64_t reg_start, uint64_t reg_end, uint64_t a, uint64_t b, Source source, uint32_t weight) {
    auto found = index_.find(cookie);
    if (found != index_.end()) {
      Pending& p = *found->second;
      p.hits += weight;
      if (source != Source::kUnspecified && !(p.source_mask & Bit(source))) {
        p.source_mask |= Bit(source);
        p.sources[p.nsources++] = source;
      }
      return;
    }
    // An engine that does not know causes (the device) reports none.
    const bool known = source != Source::kUnspecified;
    Pending p{cookie, reg_start, reg_end, std::max(a, reg_start), std::min(b, reg_end), weight, known ? Bit(source) : 0u, {source}, known ? uint8_t{1} : uint8_t{0}};
    order_.push_back(p);
    index_.emplace(cookie, std::prev(order_.end()));
  }

  void Remove(uint64_t cookie) {
    auto found = index_.find(cookie);
    if (found == index_.end()) return;
    order_.erase(found->second);
    index_.erase(found);
  }

  bool Pop(Report* out) {
    if (order_.empty()) return false;
    const Pending& p = order_.front();
    out->type = Report::Type::kInval;
    out->cookie = p.cookie;
    out->hint = p.hits == 1;
    out->start = out->hint ? p.hint_start : p.reg_start;
    out->end = out->hint ? p.hint_end : p.reg_end;
    out->sources.assign(p.sources, p.sources + p.nsources);
    index_.erase(p.cookie);
    order_.pop_front();
    return true;
  }

  // Adds every report of `other` as if its hits had come here: a registration
  // new to this queue goes to the back, in `other`'s order; one already here
  // counts the extra hits (so loses its HINT) and takes the new causes.
  void MergeFrom(const ReportQueue& other) {
    for (const Pending& p : other.order_) {
      auto found = index_.find(p.cookie);
      if (found == index_.end()) {
        order_.push_back(p);
        index_.emplace(p.cookie, std::prev(order_.end()));
        continue;
      }
      Pending& q = *found->second;
      q.hits += p.hits;
      for (uint8_t i = 0; i < p.nsources; i++) {
        if (!(q.source_mask & Bit(p.sources[i]))) {
          q.source_mask |= Bit(p.sources[i]);
          q.sources[q.nsources++] = p.sources[i];
        }
      }
    }
  }

  size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  void Clear() {
    order_.clear();
    index_.clear();
  }

 private:
  static uint32_t Bit(Source s) { return 1u << static_cast<unsigned>(s); }
  struct Pending {
    uint64_t cookie, reg_start, reg_end, hint_start, hint_end;
    uint32_t hits;
    uint32_t source_mask;
    Source sources[8];
    uint8_t nsources;
  };
  std::list<Pending> order_;
  std::unordered_map<uint64_t, std::list<Pending>::iterator> index_;
};

}  // namespace ummu
