// ReportFanout: where an engine's invalidations go. The ReadEvents queue,
// with read(2)'s LAST rule, and one queue per StreamEvents subscriber, all
// coalescing (report_queue.h). Not locked itself: every call is made under
// the owning engine's mutex. Both engines share it, so both answer ReadEvents
// and streams the same way.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "engine.h"
#include "report_queue.h"

namespace ummu {

class ReportFanout {
 public:
  // One hit on registration [reg_start, reg_end) by the bytes [a, b), into
  // every queue.
  void Add(uint64_t cookie, uint64_t reg_start, uint64_t reg_end, uint64_t a, uint64_t b, Source source, uint32_t weight) {
    queue_.Add(cookie, reg_start, reg_end, a, b, source, weight);
    for (auto& [id, q] : subscribers_) q.Add(cookie, reg_start, reg_end, a, b, source, weight);
  }

  // After unregister, no report for the cookie is ever delivered.
  void Purge(uint64_t cookie) {
    queue_.Remove(cookie);
    for (auto& [id, q] : subscribers_) q.Remove(cookie);
  }

  // As read(2): INVAL reports, then LAST carrying `counter` once the queue
  // is empty, if there is room and INVALs were read or the counter moved
  // since the last LAST. max 0 = no limit.
  std::vector<Report> Read(size_t max, uint64_t counter) {
    std::vector<Report> out;
    Report r;
    while ((max == 0 || out.size() < max) && queue_.Pop(&r)) {
      out.push_back(r);
      last_owed_ = true;
    }
    if (queue_.empty() && (max == 0 || out.size() < max) && (last_owed_ || counter != last_counter_)) {
      Report last;
      last.type = Report::Type::kLast;
      last.counter = counter;
      out.push_back(last);
      last_counter_ = counter;
      last_owed_ = false;
    }
    return out;
  }

  uint64_t Subscribe() {
    uint64_t id = next_subscriber_++;
    subscribers_.emplace(id, ReportQueue());
    return id;
  }

  // Ends one Unregister call, after its Purges: every batch taken from now
  // on carries the new epoch.  A batch taken earlier may already be on its
  // way to a subscriber and name those cookies; its older epoch says so.
  uint64_t AdvanceEpoch() { return ++epoch_; }

  TakenReports Take(uint64_t subscriber, size_t max) {
    TakenReports out;
    out.epoch = epoch_;
    auto it = subscribers_.find(subscriber);
    if (it == subscribers_.end()) return out;
    Report r;
    while ((max == 0 || out.reports.size() < max) && it->second.Pop(&r)) out.reports.push_back(r);
    return out;
  }

  size_t Pending(uint64_t subscriber) const {
    auto it = subscribers_.find(subscriber);
    return it == subscribers_.end() ? 0 : it->second.size();
  }

  void Unsubscribe(uint64_t subscriber) { subscribers_.erase(subscriber); }

  size_t pending_reports() const { return queue_.size(); }
  size_t subscribers() const { return subscribers_.size(); }

  void Clear() {
    queue_.Clear();
    subscribers_.clear();
  }

 private:
  ReportQueue queue_;
  std::map<uint64_t, ReportQueue> subscribers_;
  uint64_t next_subscriber_ = 1;
  uint64_t epoch_ = 0;         // Unregister calls so far
  uint64_t last_counter_ = 0;  // the counter in the last LAST report
  bool last_owed_ = false;     // INVALs were read since the last LAST
};

}  // namespace ummu
