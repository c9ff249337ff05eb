// The engine interface: one event source for one target, with the semantics
// of the ummunotify UAPI (registrations, coalesced INVAL reports, LAST with the
// generation counter).  The uffd engine implements it; the device engine will.
// All methods are called from one (the JavaScript) thread; the engine's own
// thread only calls the activity callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "errors.h"
#include "fd.h"

namespace ummu {

// Numbered as ummunotify.v1.EventSource.
enum class Source : uint8_t { kUnspecified = 0, kUnmap = 1, kMadvise = 2, kMremap = 3, kFork = 4 };
// Numbered as ummunotify.v1.MappingType.
enum class MappingType : int { kAnonymous = 1, kShmem = 2, kHugetlb = 3, kFile = 4 };

struct Registration {
  uint64_t cookie, start, end;
};

struct Report {
  enum class Type { kInval, kLast } type = Type::kInval;
  uint64_t cookie = 0;   // kInval
  bool hint = false;     // kInval
  uint64_t start = 0;    // kInval
  uint64_t end = 0;      // kInval
  std::vector<Source> sources;  // kInval, first-seen order
  uint64_t counter = 0;  // kLast
};

// A subscriber's batch, with the unregistration epoch at which it was taken
// (UnregisterResponse.epoch in the proto): a batch taken at epoch E never
// names a cookie whose Unregister returned an epoch of E or less.
struct TakenReports {
  std::vector<Report> reports;
  uint64_t epoch = 0;
};

// What changes while the engine runs: GetInfo's per-call part.
struct EngineCounts {
  uint64_t counter = 0;
  size_t registrations = 0;
  size_t max_registrations = 0;
  size_t pending_reports = 0;
  size_t subscribers = 0;
  bool target_gone = false;
};

struct EngineInfo : EngineCounts {
  // Fixed once the engine is created.
  std::vector<std::string> features;
  std::vector<Source> sources;
  std::vector<std::string> blind_spots;
  std::vector<MappingType> watchable_mappings;
};

// Called from the engine's thread, never blocking: queues became non-empty,
// the counter moved, or the target exited.
using ActivityCallback = std::function<void()>;

class Engine {
 public:
  virtual ~Engine() = default;
  // Both bring the queues up to date first, so counts agree with the counter.
  virtual EngineInfo Info() = 0;
  // Info() without the fixed lists, which cost more to copy and convert than
  // the counts themselves (GetInfo caches them instead).
  virtual EngineCounts Counts() = 0;
  virtual Status Register(const std::vector<Registration>& regs) = 0;
  // Returns the unregistration epoch once the cookies are gone from every
  // queue: batches taken from then on carry it (or a later one).
  virtual Result<uint64_t> Unregister(const std::vector<uint64_t>& cookies) = 0;
  // As read(2): INVAL reports, then LAST once empty (if room); max 0 = no limit.
  virtual Result<std::vector<Report>> ReadEvents(size_t max) = 0;
  virtual Result<uint64_t> Subscribe() = 0;
  virtual TakenReports Take(uint64_t subscriber, size_t max) = 0;
  virtual size_t Pending(uint64_t subscriber) = 0;
  virtual void Unsubscribe(uint64_t subscriber) = 0;
  virtual Result<UniqueFd> CounterFd() = 0;
  // Stops the thread and closes everything.  Idempotent.
  virtual void Close() = 0;
};

}  // namespace ummu
