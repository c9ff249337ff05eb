// What the kernel says about the target's address space, read from outside:
// which pages are mapped (/proc/PID/maps), and which ones a write-protect
// userfaultfd in async mode watches (PAGEMAP_SCAN, Linux 6.7+).
//
// The uffd engine needs the second because UFFDIO_REGISTER registers the
// mapped parts of a range and silently skips its holes: only asking the kernel
// afterwards tells a range that is watched from one that merely was accepted.
#pragma once

#include <cstdint>
#include <vector>

#include "coverage.h"
#include "errors.h"
#include "fd.h"

namespace ummu {

// The parts of `ranges` that `covered` does not cover.  Both sorted by start
// and disjoint; the result is too.
std::vector<PageRange> Subtract(const std::vector<PageRange>& ranges, const std::vector<PageRange>& covered);

// Sorts and merges overlapping or adjacent ranges.
std::vector<PageRange> Normalize(std::vector<PageRange> ranges);

struct MapsEntry {
  uint64_t start, end;
  bool writable, is_private;
};

// /proc/PID/maps, one entry per VMA.
Result<std::vector<MapsEntry>> ReadMaps(int pid);

class AddressSpace {
 public:
  // Opens /proc/PID/pagemap (bound to the target's mm from then on) and
  // checks that PAGEMAP_SCAN works there; without it (before 6.7, or not
  // asked for) only Unmapped() is available.
  static AddressSpace Open(int pid, bool want_watch_scan);

  // Releases /proc/PID/pagemap; Unwatched() is unavailable from then on.
  void Close() { pagemap_.reset(); }

  // Whether Unwatched() is available.
  bool can_scan_watched() const { return static_cast<bool>(pagemap_); }

  // The pages of `ranges` (sorted, disjoint, page-aligned) that no VMA maps.
  Result<std::vector<PageRange>> Unmapped(const std::vector<PageRange>& ranges) const;

  // The pages of `ranges` (sorted, disjoint, page-aligned) that are not in a
  // VMA registered with a write-protect-async userfaultfd (PAGE_IS_WPALLOWED).
  Result<std::vector<PageRange>> Unwatched(const std::vector<PageRange>& ranges) const;

 private:
  AddressSpace(int pid, UniqueFd pagemap) : pid_(pid), pagemap_(std::move(pagemap)) {}
  Result<std::vector<PageRange>> WatchedRegions(uint64_t a, uint64_t b) const;

  int pid_;
  UniqueFd pagemap_;
};

}  // namespace ummu
