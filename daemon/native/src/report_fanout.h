// ReportFanout: where an engine's invalidations go. The ReadEvents queue,
// with read(2)'s LAST rule, and one queue per StreamEvents subscriber, all
// coalescing (report_queue.h). Both engines share it, so both answer
// ReadEvents and streams the same way.
//
// What an invalidation costs the target must not grow with the number of
// subscribers: the target waits in its system call until the engine's
// event thread is back at read(2). So Add, on that thread, puts a hit in the
// ReadEvents queue and in one staged queue, and the staged hits reach each
// subscriber's queue later, when subscribers are served (Take, Pending,
// Subscribe), on the daemon's JavaScript thread.
//
// Locking. The ReadEvents side (Add, Read, pending_reports) is called under
// the owning engine's mutex. The subscriber side has its own mutex, which
// the event thread never takes; the staged queue has a small one, held only
// to add a hit or to swap the queue out. Lock order: the engine's mutex,
// then subs_mu_, then staged_mu_.
#pragma once

#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "engine.h"
#include "report_queue.h"

namespace ummu {

class ReportFanout {
 public:
  // One hit on registration [reg_start, reg_end) by the bytes [a, b).
  // Caller holds the engine's mutex.
  void Add(uint64_t cookie, uint64_t reg_start, uint64_t reg_end, uint64_t a, uint64_t b, Source source, uint32_t weight) {
    queue_.Add(cookie, reg_start, reg_end, a, b, source, weight);
    if (subscribers_.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard<std::mutex> staged(staged_mu_);
    staged_.Add(cookie, reg_start, reg_end, a, b, source, weight);
  }

  // A registration that never took effect (a failed Register): no report
  // for it is ever delivered. Caller holds the engine's mutex.
  void Purge(uint64_t cookie) {
    queue_.Remove(cookie);
    std::lock_guard<std::mutex> subs(subs_mu_);
    PurgeSubscribersLocked(cookie);
  }

  // Unregister: the cookies leave every queue, then the epoch moves: every
  // batch taken from now on carries the new epoch. A batch taken earlier may
  // already be on its way to a subscriber and name those cookies; its older
  // epoch says so. Caller holds the engine's mutex.
  uint64_t Unregister(const std::vector<uint64_t>& cookies) {
    for (uint64_t c : cookies) queue_.Remove(c);
    std::lock_guard<std::mutex> subs(subs_mu_);
    for (uint64_t c : cookies) PurgeSubscribersLocked(c);
    return ++epoch_;
  }

  // As read(2): INVAL reports, then LAST carrying `counter` once the queue
  // is empty, if there is room and INVALs were read or the counter moved
  // since the last LAST. max 0 = no limit. Caller holds the engine's mutex.
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

  size_t pending_reports() const { return queue_.size(); }

  // ---- the subscriber side: never called on the event thread ----

  // A new subscriber: hits staged before it are not its own.
  uint64_t Subscribe() {
    std::lock_guard<std::mutex> subs(subs_mu_);
    FanOutLocked();
    uint64_t id = next_subscriber_++;
    queues_.emplace(id, ReportQueue());
    subscribers_.store(queues_.size(), std::memory_order_relaxed);
    return id;
  }

  TakenReports Take(uint64_t subscriber, size_t max) {
    std::lock_guard<std::mutex> subs(subs_mu_);
    FanOutLocked();
    TakenReports out;
    out.epoch = epoch_;
    auto it = queues_.find(subscriber);
    if (it == queues_.end()) return out;
    Report r;
    while ((max == 0 || out.reports.size() < max) && it->second.Pop(&r)) out.reports.push_back(r);
    return out;
  }

  size_t Pending(uint64_t subscriber) {
    std::lock_guard<std::mutex> subs(subs_mu_);
    FanOutLocked();
    auto it = queues_.find(subscriber);
    return it == queues_.end() ? 0 : it->second.size();
  }

  void Unsubscribe(uint64_t subscriber) {
    std::lock_guard<std::mutex> subs(subs_mu_);
    auto it = queues_.find(subscriber);
    if (it == queues_.end()) return;
    const size_t held = it->second.size();
    queues_.erase(it);
    subscribers_.store(queues_.size(), std::memory_order_relaxed);
    if (queues_.empty()) {
      std::lock_guard<std::mutex> staged(staged_mu_);
      staged_.Clear();
    }
    // A subscriber that never read may have held a report per registration:
    // give that memory back to the system, not just to malloc.
    if (held > kTrimAbove) malloc_trim(0);
  }

  size_t subscribers() const { return subscribers_.load(std::memory_order_relaxed); }

  // Caller holds the engine's mutex.
  void Clear() {
    queue_.Clear();
    std::lock_guard<std::mutex> subs(subs_mu_);
    queues_.clear();
    subscribers_.store(0, std::memory_order_relaxed);
    std::lock_guard<std::mutex> staged(staged_mu_);
    staged_.Clear();
  }

 private:
  static constexpr size_t kTrimAbove = 4096;

  // Moves the staged hits into every subscriber's queue. The swap is the
  // only moment the event thread could wait on us.
  void FanOutLocked() {
    ReportQueue batch;
    {
      std::lock_guard<std::mutex> staged(staged_mu_);
      if (staged_.empty()) return;
      std::swap(batch, staged_);
    }
    for (auto& [id, q] : queues_) q.MergeFrom(batch);
  }

  void PurgeSubscribersLocked(uint64_t cookie) {
    {
      std::lock_guard<std::mutex> staged(staged_mu_);
      staged_.Remove(cookie);
    }
    for (auto& [id, q] : queues_) q.Remove(cookie);
  }

  // Under the engine's mutex.
  ReportQueue queue_;
  uint64_t last_counter_ = 0;  // the counter in the last LAST report
  bool last_owed_ = false;     // INVALs were read since the last LAST

  // Under staged_mu_.
  std::mutex staged_mu_;
  ReportQueue staged_;

  // Under subs_mu_.
  std::mutex subs_mu_;
  std::map<uint64_t, ReportQueue> queues_;
  uint64_t next_subscriber_ = 1;
  uint64_t epoch_ = 0;  // Unregister calls so far

  std::atomic<size_t> subscribers_{0};
};

}  // namespace ummu
