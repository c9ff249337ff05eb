// Coverage: the union of the registrations rounded out to pages, as disjoint
// page-aligned segments, each with the number of registrations covering it
// and what is known about the kernel-side UFFDIO_REGISTER of its pages.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

namespace ummu {

struct PageRange {
  uint64_t start, end;
};

// Appends [a, b) to `out`, merging with the last range when adjacent.
inline void AppendRange(std::vector<PageRange>* out, uint64_t a, uint64_t b) {
  if (a >= b) return;
  if (!out->empty() && out->back().end == a) {
    out->back().end = b;
  } else {
    out->push_back({a, b});
  }
}

class Coverage {
 public:
  // kRegistered: UFFDIO_REGISTER done and not undone since.  kUnregistered:
  // never registered, or an UNMAP/REMAP took the pages away.  kUnknown: an
  // event raced with our registration; treat as maybe registered.
  enum class State { kUnregistered, kRegistered, kUnknown };

  // Adds one reference to every page of [a, b); returns the parts that are
  // not known to be registered in the kernel.
  std::vector<PageRange> Add(uint64_t a, uint64_t b) {
    SplitAt(a);
    SplitAt(b);
    std::vector<PageRange> need;
    uint64_t pos = a;
    auto it = segs_.lower_bound(a);
    while (pos < b) {
      if (it == segs_.end() || it->first > pos) {
        uint64_t gap_end = (it == segs_.end()) ? b : std::min(b, it->first);
        it = segs_.emplace_hint(it, pos, Seg{gap_end, 1, State::kUnregistered});
        AppendRange(&need, pos, gap_end);
      } else {
        it->second.refs++;
        if (it->second.state != State::kRegistered) AppendRange(&need, it->first, it->second.end);
      }
      pos = it->second.end;
      ++it;
    }
    Coalesce(a, b);
    return need;
  }

  // Drops one reference from every page of [a, b) (which must have been
  // added); returns the parts whose count reached 0 and that may still be
  // registered in the kernel.
  std::vector<PageRange> Remove(uint64_t a, uint64_t b) {
    SplitAt(a);
    SplitAt(b);
    std::vector<PageRange> drop;
    for (auto it = segs_.lower_bound(a); it != segs_.end() && it->first < b;) {
      if (--it->second.refs == 0) {
        if (it->second.state != State::kUnregistered) AppendRange(&drop, it->first, it->second.end);
        it = segs_.erase(it);
      } else {
        ++it;
      }
    }
    Coalesce(a, b);
    return drop;
  }

  // Sets the state of the covered parts of [a, b); returns the parts of
  // [a, b) that no segment covers.
  std::vector<PageRange> Mark(uint64_t a, uint64_t b, State state) {
    SplitAt(a);
    SplitAt(b);
    std::vector<PageRange> uncovered;
    uint64_t pos = a;
    for (auto it = segs_.lower_bound(a); it != segs_.end() && it->first < b; ++it) {
      AppendRange(&uncovered, pos, it->first);
      it->second.state = state;
      pos = it->second.end;
    }
    AppendRange(&uncovered, pos, b);
    Coalesce(a, b);
    return uncovered;
  }

  // The parts of [a, b) that no segment covers.
  std::vector<PageRange> Uncovered(uint64_t a, uint64_t b) const {
    std::vector<PageRange> out;
    uint64_t pos = a;
    auto it = segs_.upper_bound(a);
    if (it != segs_.begin() && std::prev(it)->second.end > a) --it;
    for (; it != segs_.end() && it->first < b; ++it) {
      AppendRange(&out, pos, std::max(pos, it->first));
      pos = std::max(pos, it->second.end);
    }
    AppendRange(&out, pos, b);
    return out;
  }

  // Test and info helpers.
  size_t segments() const { return segs_.size(); }
  std::vector<std::pair<PageRange, State>> Dump() const {
    std::vector<std::pair<PageRange, State>> out;
    for (const auto& [s, seg] : segs_) out.push_back({{s, seg.end}, seg.state});
    return out;
  }
  void Clear() { segs_.clear(); }

 private:
  struct Seg {
    uint64_t end;
    uint32_t refs;
    State state;
  };

  void SplitAt(uint64_t at) {
    auto it = segs_.upper_bound(at);
    if (it == segs_.begin()) return;
    --it;
    if (it->first < at && it->second.end > at) {
      Seg right = it->second;
      it->second.end = at;
      segs_.emplace_hint(std::next(it), at, right);
    }
  }

  // Merges equal neighbours in and around [a, b) so the map stays small.
  void Coalesce(uint64_t a, uint64_t b) {
    auto it = segs_.lower_bound(a);
    if (it != segs_.begin()) --it;
    while (it != segs_.end() && it->first <= b) {
      auto next = std::next(it);
      if (next == segs_.end()) break;
      if (it->second.end == next->first && it->second.refs == next->second.refs && it->second.state == next->second.state) {
        it->second.end = next->second.end;
        segs_.erase(next);
      } else {
        it = next;
      }
    }
  }

  std::map<uint64_t, Seg> segs_;  // start -> segment
};

}  // namespace ummu
