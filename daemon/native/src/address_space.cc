#include "address_space.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "registration_rules.h"
#include "syscalls.h"

// Debian 12's headers (Linux 6.1) predate PAGEMAP_SCAN (Linux 6.7).
#ifndef PAGEMAP_SCAN
struct page_region {
  __u64 start;
  __u64 end;
  __u64 categories;
};
struct pm_scan_arg {
  __u64 size;
  __u64 flags;
  __u64 start;
  __u64 end;
  __u64 walk_end;
  __u64 vec;
  __u64 vec_len;
  __u64 max_pages;
  __u64 category_inverted;
  __u64 category_mask;
  __u64 category_anyof_mask;
  __u64 return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WPALLOWED (1 << 0)
#endif

namespace ummu {

namespace {

// Ranges closer than this are scanned as one: walking the page tables of a
// small gap costs less than another ioctl.
constexpr uint64_t kClusterGap = 256 * 1024;

// Reads a whole /proc file: read(2) in a loop, since procfs gives a page or
// so at a time.
Result<std::string> ReadProcFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::Sys(errno, SysMessage("open " + path, errno), ErrorKind::kPrecondition);
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Sys(errno, SysMessage("read " + path, errno), ErrorKind::kPrecondition);
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

std::vector<PageRange> Normalize(std::vector<PageRange> v) {
  std::sort(v.begin(), v.end(), [](const PageRange& a, const PageRange& b) { return a.start < b.start; });
  std::vector<PageRange> out;
  for (const PageRange& p : v) {
    if (!out.empty() && p.start <= out.back().end) {
      out.back().end = std::max(out.back().end, p.end);
    } else {
      out.push_back(p);
    }
  }
  return out;
}

std::vector<PageRange> Subtract(const std::vector<PageRange>& ranges, const std::vector<PageRange>& covered) {
  std::vector<PageRange> out;
  size_t c = 0;
  for (const PageRange& r : ranges) {
    uint64_t pos = r.start;
    while (c < covered.size() && covered[c].end <= pos) c++;
    for (size_t i = c; i < covered.size() && covered[i].start < r.end && pos < r.end; i++) {
      if (covered[i].start > pos) AppendRange(&out, pos, covered[i].start);
      pos = std::max(pos, covered[i].end);
    }
    if (pos < r.end) AppendRange(&out, pos, r.end);
  }
  return out;
}

Result<std::vector<MapsEntry>> ReadMaps(int pid) {
  auto text = ReadProcFile("/proc/" + std::to_string(pid) + "/maps");
  if (!text.ok()) return text.error();
  std::vector<MapsEntry> out;
  const char* p = text.value().c_str();
  while (*p != '\0') {
    char* after = nullptr;
    uint64_t start = strtoull(p, &after, 16);
    if (after == nullptr || *after != '-') break;
    uint64_t end = strtoull(after + 1, &after, 16);
    // " rw-p ": permissions follow one space.
    if (after[0] == ' ' && after[1] != '\0' && after[2] != '\0' && after[3] != '\0' && after[4] != '\0') {
      out.push_back({start, end, after[2] == 'w', after[4] == 'p'});
    }
    const char* nl = strchr(p, '\n');
    if (nl == nullptr) break;
    p = nl + 1;
  }
  return out;
}

AddressSpace AddressSpace::Open(int pid, bool want_watch_scan) {
  if (!want_watch_scan) return AddressSpace(pid, UniqueFd());
  UniqueFd pagemap(open(("/proc/" + std::to_string(pid) + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC));
  if (!pagemap) return AddressSpace(pid, UniqueFd());
  // One page at address 0, never mapped: a kernel without PAGEMAP_SCAN says
  // ENOTTY (or EINVAL for an argument it does not know).
  pm_scan_arg probe{};
  page_region region{};
  probe.size = sizeof probe;
  probe.start = 0;
  probe.end = static_cast<uint64_t>(PageSize());
  probe.vec = reinterpret_cast<uintptr_t>(&region);
  probe.vec_len = 1;
  probe.category_mask = PAGE_IS_WPALLOWED;
  probe.return_mask = PAGE_IS_WPALLOWED;
  if (ioctl(pagemap.get(), PAGEMAP_SCAN, &probe) < 0) return AddressSpace(pid, UniqueFd());
  return AddressSpace(pid, std::move(pagemap));
}

Result<std::vector<PageRange>> AddressSpace::Unmapped(const std::vector<PageRange>& ranges) const {
  if (ranges.empty()) return std::vector<PageRange>{};
  auto maps = ReadMaps(pid_);
  if (!maps.ok()) return maps.error();
  std::vector<PageRange> mapped;
  for (const MapsEntry& m : maps.value()) AppendRange(&mapped, m.start, m.end);
  return Subtract(ranges, Normalize(std::move(mapped)));
}

Result<std::vector<PageRange>> AddressSpace::WatchedRegions(uint64_t a, uint64_t b) const {
  std::vector<PageRange> out;
  page_region regions[64];
  while (a < b) {
    pm_scan_arg arg{};
    arg.size = sizeof arg;
    arg.start = a;
    arg.end = b;
    arg.vec = reinterpret_cast<uintptr_t>(regions);
    arg.vec_len = sizeof regions / sizeof regions[0];
    arg.category_mask = PAGE_IS_WPALLOWED;
    arg.return_mask = PAGE_IS_WPALLOWED;
    int n = ioctl(pagemap_.get(), PAGEMAP_SCAN, &arg);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Sys(errno, SysMessage("PAGEMAP_SCAN of the target's pages " + RangeText(a, b), errno), ErrorKind::kPrecondition);
    for (int i = 0; i < n; i++) AppendRange(&out, regions[i].start, regions[i].end);
    // walk_end < end: the vector filled up; go on from where the walk stopped.
    if (arg.walk_end <= a) break;
    a = arg.walk_end;
  }
  return out;
}

Result<std::vector<PageRange>> AddressSpace::Unwatched(const std::vector<PageRange>& ranges) const {
  std::vector<PageRange> out;
  for (size_t first = 0; first < ranges.size();) {
    size_t last = first;
    while (last + 1 < ranges.size() && ranges[last + 1].start - ranges[last].end <= kClusterGap) last++;
    auto watched = WatchedRegions(ranges[first].start, ranges[last].end);
    if (!watched.ok()) return watched.error();
    std::vector<PageRange> cluster(ranges.begin() + static_cast<std::ptrdiff_t>(first), ranges.begin() + static_cast<std::ptrdiff_t>(last) + 1);
    for (const PageRange& u : Subtract(cluster, watched.value())) out.push_back(u);
    first = last + 1;
  }
  return out;
}

}  // namespace ummu
