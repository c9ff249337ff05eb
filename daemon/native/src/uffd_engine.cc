#include "uffd_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "address_space.h"
#include "counter_page.h"
#include "coverage.h"
#include "interval_index.h"
#include "registration_rules.h"
#include "report_fanout.h"
#include "syscalls.h"

// Debian 12's headers predate these (Linux 6.7+).
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

namespace ummu {

namespace {

uint64_t NowMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

class UffdEngine final : public Engine {
 public:
  UffdEngine(UffdEngineOptions options, ActivityCallback on_activity)
      : uffd_(std::move(options.uffd)),
        pidfd_(options.pidfd),
        pid_(options.pid),
        max_registrations_(options.max_registrations),
        busy_poll_micros_(options.busy_poll_micros),
        page_(static_cast<uint64_t>(PageSize())),
        activity_(std::move(on_activity)),
        space_(AddressSpace::Open(options.pid, false)) {}

  ~UffdEngine() override { Close(); }

  Status Init() {
    int flags = fcntl(uffd_.get(), F_GETFL);
    if (flags < 0 || fcntl(uffd_.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
      return Error::Sys(errno, SysMessage("fcntl(O_NONBLOCK) on the uffd", errno), ErrorKind::kInvalid);
    }
    Status api = NegotiateApi();
    if (!api.ok()) return api;
    auto counter = CounterPage::Create();
    if (!counter.ok()) return counter.error();
    counter_ = std::move(counter.value());
    stop_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop_) return Error::Sys(errno, SysMessage("eventfd", errno));
    thread_ = std::thread([this] { Run(); });
    return Ok{};
  }

  EngineInfo Info() override {
    EngineInfo info;
    static_cast<EngineCounts&>(info) = Counts();
    info.features = features_;
    info.sources = sources_;
    info.blind_spots = blind_spots_;
    info.watchable_mappings = watchable_;
    return info;
  }

  EngineCounts Counts() override {
    EngineCounts counts;
    counts.max_registrations = max_registrations_;
    counts.counter = closed_ ? closed_counter_ : counter_.Load();
    std::unique_lock<std::mutex> lock(mu_);
    // Counts that agree with the counter: an event whose bump is visible is queued.
    if (!closed_) AwaitProcessed(&lock);
    counts.registrations = cookies_.size();
    counts.pending_reports = fanout_.pending_reports();
    counts.subscribers = fanout_.subscribers();
    counts.target_gone = target_gone_;
    return counts;
  }

  Status Register(const std::vector<Registration>& regs) override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    if (TargetGone()) return Error::Of(ErrorKind::kPrecondition, ESRCH, "the target process has exited");
    // Only this thread writes cookies_.
    Status valid = CheckRegister(regs, [this](uint64_t c) { return cookies_.count(c) != 0; }, cookies_.size(), max_registrations_);
    if (!valid.ok()) return valid;
    if (regs.empty()) return Ok{};
    SweepStrays();

    // Index first, so that an invalidation racing with the UFFDIO_REGISTERs
    // is reported rather than lost; rolled back on failure.
    std::vector<PageRange> pages, need;
    uint64_t seq;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // The target's munmap returns once its UNMAP is read, which can be
      // before the event thread has marked those pages unregistered: a
      // Register right after would take them as still registered, skip the
      // UFFDIO_REGISTER and miss their next invalidation.
      AwaitProcessed(&lock);
      for (const Registration& r : regs) {
        index_.Insert(r.cookie, r.start, r.end);
        cookies_.emplace(r.cookie, Span{r.start, r.end});
        pages.push_back({PageFloor(r.start), PageCeil(r.end)});
        for (const PageRange& p : coverage_.Add(PageFloor(r.start), PageCeil(r.end))) need.push_back(p);
      }
      seq = unmap_seq_;
    }
    need = Normalize(std::move(need));
    pages = Normalize(std::move(pages));

    // Where the kernel cannot tell which pages it watches, a hole is refused
    // before the kernel is touched, and again after (VerifyWatched).
    if (!space_.can_scan_watched()) {
      Status mapped = AllMapped(pages, regs);
      if (!mapped.ok()) return Rollback(regs, {}, mapped.error());
    }
    // The ioctls take the target's mmap lock: never under mu_, which the
    // event thread needs after each read.
    std::vector<PageRange> touched;
    for (const PageRange& p : need) {
      touched.push_back(p);
      int err = KernelRegister(p);
      if (err != 0) return Rollback(regs, touched, RegisterError(p, err, regs));
    }
    Status verified = VerifyWatched(pages, regs, &touched);
    if (!verified.ok()) return Rollback(regs, touched, verified.error());
#ifdef UMMU_MUTANT_FORGET_EVERY
    // Built only for the fuzzer's self-test (test/fuzz/mutant): every tenth
    // successful Register quietly drops what it registered in the kernel,
    // while the engine goes on believing it watched.
    if (++mutant_registers_ % UMMU_MUTANT_FORGET_EVERY == 0) {
      for (const PageRange& p : touched) KernelUnregister(p);
    }
#endif

    std::lock_guard<std::mutex> lock(mu_);
    Coverage::State state = unmap_seq_ == seq ? Coverage::State::kRegistered : Coverage::State::kUnknown;
    for (const PageRange& p : touched) coverage_.Mark(p.start, p.end, state);
    return Ok{};
  }

  Result<uint64_t> Unregister(const std::vector<uint64_t>& cookies) override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    Status valid = CheckUnregister(cookies, [this](uint64_t c) { return cookies_.count(c) != 0; });
    if (!valid.ok()) return valid.error();
    SweepStrays();
    std::vector<PageRange> drop;
    uint64_t epoch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (uint64_t c : cookies) {
        auto it = cookies_.find(c);
        index_.Erase(c, it->second.start);
        for (const PageRange& p : coverage_.Remove(PageFloor(it->second.start), PageCeil(it->second.end))) drop.push_back(p);
        cookies_.erase(it);
      }
      epoch = fanout_.Unregister(cookies);
    }
    if (!TargetGone()) {
      for (const PageRange& p : Normalize(std::move(drop))) KernelUnregister(p);
    }
    return epoch;
  }

  Result<std::vector<Report>> ReadEvents(size_t max) override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    std::unique_lock<std::mutex> lock(mu_);
    AwaitProcessed(&lock);
    return fanout_.Read(max, processed_);
  }

  Result<uint64_t> Subscribe() override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    {
      std::unique_lock<std::mutex> lock(mu_);
      // A syscall that returned before the subscription was asked for is not
      // the subscriber's: its event must be queued before the queue exists.
      AwaitProcessed(&lock);
    }
    // The subscriber side without mu_: the event thread never waits on it.
    return fanout_.Subscribe();
  }

  TakenReports Take(uint64_t subscriber, size_t max) override {
    if (!closed_) {
      std::unique_lock<std::mutex> lock(mu_);
      AwaitProcessed(&lock);
    }
    return fanout_.Take(subscriber, max);
  }

  size_t Pending(uint64_t subscriber) override { return fanout_.Pending(subscriber); }

  void Unsubscribe(uint64_t subscriber) override { fanout_.Unsubscribe(subscriber); }

  Result<UniqueFd> CounterFd() override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    return counter_.ReadOnlyFd();
  }

  void Close() override {
    if (closed_) return;
    if (thread_.joinable()) {
      uint64_t one = 1;
      ssize_t ignored = write(stop_.get(), &one, sizeof one);
      (void)ignored;
      thread_.join();
    }
    closed_counter_ = counter_.Load();
    closed_ = true;
    uffd_.reset();  // releases the target and drops its kernel-side registrations
    stop_.reset();
    space_.Close();
    counter_.Reset();
    std::lock_guard<std::mutex> lock(mu_);
    index_.Clear();
    cookies_.clear();
    coverage_.Clear();
    fanout_.Clear();
    strays_.clear();
  }

 private:
  struct Span {
    uint64_t start, end;
  };

  uint64_t PageFloor(uint64_t a) const { return a & ~(page_ - 1); }
  uint64_t PageCeil(uint64_t a) const { return (a + page_ - 1) & ~(page_ - 1); }

  // The event thread bumps the counter before it reads an event and queues
  // the reports right after: wait (briefly; it never waits on anything) for
  // every event whose bump is already visible, so that a read after the
  // target's syscall returned sees its reports, as with the device.
  void AwaitProcessed(std::unique_lock<std::mutex>* lock) const {
    const uint64_t seen = counter_.Load();
    processed_cv_.wait_for(*lock, std::chrono::milliseconds(100), [&] { return processed_ >= seen; });
  }

  bool TargetGone() const {
    std::lock_guard<std::mutex> lock(mu_);
    return target_gone_;
  }

  Status NegotiateApi() {
    uint64_t want = UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_REMAP |
                    UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_WP_ASYNC;
    bool fork_denied = false;
    uffdio_api api{};
    for (;;) {
      api = uffdio_api{};
      api.api = UFFD_API;
      api.features = want;
      if (ioctl(uffd_.get(), UFFDIO_API, &api) == 0) break;
      int err = errno;
      if (err == EPERM && (want & UFFD_FEATURE_EVENT_FORK)) {
        want &= ~static_cast<uint64_t>(UFFD_FEATURE_EVENT_FORK);
        fork_denied = true;
        continue;
      }
      if (err == EINVAL && (want & UFFD_FEATURE_WP_ASYNC)) {
        want &= ~static_cast<uint64_t>(UFFD_FEATURE_WP_ASYNC);
        continue;
      }
      return Error::Sys(err, SysMessage("UFFDIO_API on the uffd (already initialised, or not a userfaultfd?)", err),
                        ErrorKind::kPrecondition);
    }
    wp_async_ = (want & UFFD_FEATURE_WP_ASYNC) != 0;
    features_ = {"event_unmap", "event_remove", "event_remap"};
    sources_ = {Source::kUnmap, Source::kMadvise, Source::kMremap};
    if (want & UFFD_FEATURE_EVENT_FORK) {
      features_.push_back("event_fork");
      sources_.push_back(Source::kFork);
    }
    if (wp_async_) features_.push_back("wp_async");
    watchable_ = {MappingType::kAnonymous};
    // WP_ASYNC lets WP-only registration cover any memory type; otherwise
    // shmem and hugetlbfs need WP_HUGETLBFS_SHMEM (pte markers).
    if (wp_async_ || (api.features & UFFD_FEATURE_WP_HUGETLBFS_SHMEM)) {
      watchable_.push_back(MappingType::kShmem);
      watchable_.push_back(MappingType::kHugetlb);
    }
    if (wp_async_) watchable_.push_back(MappingType::kFile);
    blind_spots_ = {"page migration (no uffd event)", "swap-out and MADV_PAGEOUT/MADV_COLD (no uffd event)",
                    "shmdt (no uffd event)", "KSM merging and THP collapse (no uffd event)",
                    "read-only shared mappings (cannot be registered)",
                    "memory mapped anew over an unmapped registration, until it is registered again "
                    "(uffd has no mmap event)"};
    if (wp_async_) blind_spots_.push_back("file mappings: truncation and page-cache eviction (no uffd event)");
    if (fork_denied) blind_spots_.push_back("fork: needs CAP_SYS_PTRACE");
    // PAGEMAP_SCAN (6.7+) shows which pages a WP-async userfaultfd watches,
    // so Register can check the kernel's word instead of /proc/PID/maps.
    space_ = AddressSpace::Open(pid_, wp_async_);
    if (space_.can_scan_watched()) {
      features_.push_back("pagemap_scan");
    } else {
      blind_spots_.push_back(
          "Register without PAGEMAP_SCAN (before Linux 6.7): a range that another thread unmaps and maps again while "
          "Register runs, or memory attached where a registration was shmdt'ed, can be accepted unwatched");
    }
    return Ok{};
  }

  // The registration of the batch that covers [a, b), for messages.
  static std::string Culprit(uint64_t a, uint64_t b, const std::vector<Registration>& regs) {
    for (const Registration& r : regs) {
      if (r.start < b && r.end > a) return " (cookie " + std::to_string(r.cookie) + ", bytes " + RangeText(r.start, r.end) + ")";
    }
    return "";
  }

  bool Mapped(const PageRange& p) const {
    auto unmapped = space_.Unmapped({p});
    return unmapped.ok() && unmapped.value().empty();
  }

  // Unmapped memory is EINVAL, UFFDIO_REGISTER's own answer for it, wherever
  // the hole is and whichever check found it.
  Error RegisterError(const PageRange& p, int err, const std::vector<Registration>& regs) const {
    std::string why;
    const bool unmapped = (err == EINVAL || err == ENOMEM) && !Mapped(p);
    switch (unmapped ? ENOMEM : err) {
      case ENOMEM: why = "part of the range is not mapped"; break;
      case EINVAL: why = "the range holds memory this engine cannot watch (it watches anonymous, shmem and hugetlbfs memory" +
                         std::string(wp_async_ ? " and writable file mappings" : "") + ")"; break;
      case EPERM: why = "the mapping can never be written (a read-only shared file mapping?) and cannot be watched"; break;
      case EBUSY: why = "another userfaultfd already watches these pages"; break;
      case ESRCH: why = "the target's address space is gone"; break;
      default: why = "UFFDIO_REGISTER failed"; break;
    }
    const int reported = unmapped ? EINVAL : err;
    return Error::Of(ErrorKind::kPrecondition, reported,
                     SysMessage("cannot watch pages " + RangeText(p.start, p.end), reported) + ": " + why + Culprit(p.start, p.end, regs));
  }

  // A page of the batch that the kernel does not watch after registration.
  Error UnwatchedError(const PageRange& p, const std::vector<Registration>& regs) const {
    if (!Mapped(p)) {
      return Error::Of(ErrorKind::kPrecondition, EINVAL,
                       SysMessage("cannot watch pages " + RangeText(p.start, p.end), EINVAL) + ": part of the range is not mapped" + Culprit(p.start, p.end, regs));
    }
    return Error::Of(ErrorKind::kPrecondition, EAGAIN,
                     SysMessage("cannot watch pages " + RangeText(p.start, p.end), EAGAIN) +
                         ": the mapping changed while it was being registered; register it again" + Culprit(p.start, p.end, regs));
  }

  // Every page of `pages` mapped (the check where the kernel cannot say more).
  Status AllMapped(const std::vector<PageRange>& pages, const std::vector<Registration>& regs) const {
    auto unmapped = space_.Unmapped(pages);
    if (!unmapped.ok()) return unmapped.error();
    if (!unmapped.value().empty()) return UnwatchedError(unmapped.value().front(), regs);
    return Ok{};
  }

  // UFFDIO_REGISTER in WP mode; 0 or the errno.  Registers the mapped parts
  // of [start, end) and says nothing of its holes: hence VerifyWatched.
  int KernelRegister(const PageRange& p) {
    uffdio_register reg{};
    reg.range.start = p.start;
    reg.range.len = p.end - p.start;
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    return ioctl(uffd_.get(), UFFDIO_REGISTER, &reg) == 0 ? 0 : errno;
  }

  // After the UFFDIO_REGISTERs: asks the kernel whether it now watches every
  // page of the batch.  A page we took for registered but that is not (shmdt
  // removes a mapping without an event) is registered now, once; what stays
  // unwatched (a hole) fails the batch.  Without PAGEMAP_SCAN, checks that
  // every page is still mapped.
  Status VerifyWatched(const std::vector<PageRange>& pages, const std::vector<Registration>& regs, std::vector<PageRange>* touched) {
    if (!space_.can_scan_watched()) return AllMapped(pages, regs);
    auto unwatched = space_.Unwatched(pages);
    if (!unwatched.ok()) return unwatched.error();
    if (unwatched.value().empty()) return Ok{};
    for (const PageRange& u : unwatched.value()) {
      touched->push_back(u);
      int err = KernelRegister(u);
      if (err != 0) return RegisterError(u, err, regs);
    }
    unwatched = space_.Unwatched(pages);
    if (!unwatched.ok()) return unwatched.error();
    if (!unwatched.value().empty()) return UnwatchedError(unwatched.value().front(), regs);
    return Ok{};
  }

  // Undoes a failed batch: the registrations go, with any report already
  // queued for them, and so do the kernel registrations of `touched` pages
  // that no other registration covers.  Pages that others cover stay
  // registered, marked as maybe registered (kUnknown).
  Error Rollback(const std::vector<Registration>& regs, const std::vector<PageRange>& touched, Error error) {
    std::vector<PageRange> drop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const PageRange& t : touched) coverage_.Mark(t.start, t.end, Coverage::State::kUnknown);
      for (const Registration& r : regs) {
        index_.Erase(r.cookie, r.start);
        cookies_.erase(r.cookie);
        fanout_.Purge(r.cookie);
        for (const PageRange& p : coverage_.Remove(PageFloor(r.start), PageCeil(r.end))) drop.push_back(p);
      }
    }
    if (!TargetGone()) {
      for (const PageRange& p : Normalize(std::move(drop))) KernelUnregister(p);
    }
    return error;
  }

  void KernelUnregister(const PageRange& p) {
    uffdio_range range{p.start, p.end - p.start};
    // Best effort: the pages may be gone or hold something else by now.
    ioctl(uffd_.get(), UFFDIO_UNREGISTER, &range);
  }

  // A moved mapping keeps its uffd registration at the new address; drop it
  // there unless a registration covers it.
  void SweepStrays() {
    std::vector<PageRange> drop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (strays_.empty()) return;
      for (const PageRange& s : strays_) {
        for (const PageRange& u : coverage_.Uncovered(s.start, s.end)) drop.push_back(u);
      }
      strays_.clear();
    }
    if (TargetGone()) return;
    for (const PageRange& p : Normalize(std::move(drop))) KernelUnregister(p);
  }

  void InvalidateLocked(uint64_t a, uint64_t b, Source source, uint32_t weight) {
    index_.ForEachOverlap(a, b, [&](uint64_t cookie, uint64_t s, uint64_t e) {
      fanout_.Add(cookie, s, e, a, b, source, weight);
    });
  }

  // ---- the event thread ----

  void Run() {
    uint64_t gen = 0;
    bool watch_pid = pidfd_ >= 0;
    bool watch_uffd = true;
    for (;;) {
      pollfd fds[3] = {{stop_.get(), POLLIN, 0},
                       {watch_uffd ? uffd_.get() : -1, POLLIN, 0},
                       {watch_pid ? pidfd_ : -1, POLLIN, 0}};
      if (poll(fds, 3, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents != 0) return;
      if (fds[2].revents != 0) {
        watch_pid = false;
        {
          std::lock_guard<std::mutex> lock(mu_);
          target_gone_ = true;
        }
        activity_();
      }
      if (fds[1].revents & POLLIN) {
        if (!Drain(&gen)) return;
      } else if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
        watch_uffd = false;
      }
    }
  }

  // Reads events while the uffd stays readable (and during the busy-poll
  // window after the last one).  False when asked to stop.
  bool Drain(uint64_t* gen) {
    for (;;) {
      // The counter moves before the read that lets the target's syscall return.
      counter_.Store(++*gen);
      uffd_msg msg;
      ssize_t n = read(uffd_.get(), &msg, sizeof msg);
      bool handled = false;
      if (n == static_cast<ssize_t>(sizeof msg)) {
        try {
          Handle(msg, *gen);
          handled = true;
        } catch (...) {  // bad_alloc: nothing may escape this thread
        }
      }
      if (!handled) {
        std::lock_guard<std::mutex> lock(mu_);
        processed_ = *gen;
      }
      processed_cv_.notify_all();
      activity_();
      const uint64_t deadline = busy_poll_micros_ ? NowMicros() + busy_poll_micros_ : 0;
      for (;;) {
        pollfd fds[2] = {{uffd_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
        int rc = poll(fds, 2, 0);
        if (rc > 0 && fds[1].revents != 0) return false;
        if (rc > 0 && (fds[0].revents & POLLIN)) break;
        if (busy_poll_micros_ == 0 || NowMicros() >= deadline) return true;
      }
    }
  }

  void Handle(const uffd_msg& msg, uint64_t gen) {
    if (msg.event != UFFD_EVENT_UNMAP && msg.event != UFFD_EVENT_REMAP) last_remap_ = {};
    switch (msg.event) {
      case UFFD_EVENT_UNMAP: {
        // A moving mremap sends REMAP, then UNMAP of the same old range: one
        // operation, reported as Mremap (two invalidations: no HINT, as the
        // device reports it).
        const bool part_of_remap = last_remap_.len != 0 && msg.arg.remove.start == last_remap_.from &&
                                   msg.arg.remove.end == last_remap_.from + last_remap_.len;
        last_remap_ = {};
        std::lock_guard<std::mutex> lock(mu_);
        InvalidateLocked(msg.arg.remove.start, msg.arg.remove.end, part_of_remap ? Source::kMremap : Source::kUnmap, 1);
        coverage_.Mark(msg.arg.remove.start, msg.arg.remove.end, Coverage::State::kUnregistered);
        unmap_seq_++;
        processed_ = gen;
        return;
      }
      case UFFD_EVENT_REMOVE: {
        std::lock_guard<std::mutex> lock(mu_);
        InvalidateLocked(msg.arg.remove.start, msg.arg.remove.end, Source::kMadvise, 1);
        processed_ = gen;
        return;
      }
      case UFFD_EVENT_REMAP: {
        const uint64_t from = msg.arg.remap.from, to = msg.arg.remap.to, len = msg.arg.remap.len;
        last_remap_ = {from, len};
        std::lock_guard<std::mutex> lock(mu_);
        InvalidateLocked(from, from + len, Source::kMremap, 1);
        coverage_.Mark(from, from + len, Coverage::State::kUnregistered);
        for (const PageRange& u : coverage_.Mark(to, to + len, Coverage::State::kRegistered)) {
          if (strays_.size() < kMaxStrays) strays_.push_back(u);
        }
        unmap_seq_++;
        processed_ = gen;
        return;
      }
      case UFFD_EVENT_FORK: {
        ::close(static_cast<int>(msg.arg.fork.ufd));  // the child's uffd: releases the child
        // What fork made copy-on-write: the private writable mappings.
        auto maps = ReadMaps(pid_);
        std::lock_guard<std::mutex> lock(mu_);
        if (maps.ok()) {
          for (const MapsEntry& m : maps.value()) {
            if (m.writable && m.is_private) InvalidateLocked(m.start, m.end, Source::kFork, 1);
          }
        }
        processed_ = gen;
        return;
      }
      case UFFD_EVENT_PAGEFAULT: {
        // Nothing is write-protected, so this should not happen; never leave
        // the target waiting.
        uffdio_writeprotect wp{};
        wp.range.start = msg.arg.pagefault.address & ~(page_ - 1);
        wp.range.len = page_;
        wp.mode = 0;
        ioctl(uffd_.get(), UFFDIO_WRITEPROTECT, &wp);
        uffdio_range wake{wp.range.start, page_};
        ioctl(uffd_.get(), UFFDIO_WAKE, &wake);
        break;
      }
      default:
        break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    processed_ = gen;
  }

  static constexpr size_t kMaxStrays = 4096;

  // Event thread only.
  struct {
    uint64_t from, len;
  } last_remap_{};

  // Immutable after Init.
  UniqueFd uffd_;
  UniqueFd stop_;
  const int pidfd_;
  const int pid_;
  const size_t max_registrations_;
  const uint32_t busy_poll_micros_;
  const uint64_t page_;
  ActivityCallback activity_;
  AddressSpace space_;
  CounterPage counter_;
  bool wp_async_ = false;
  std::vector<std::string> features_;
  std::vector<Source> sources_;
  std::vector<std::string> blind_spots_;
  std::vector<MappingType> watchable_;
  std::thread thread_;

  // JavaScript thread only.
  bool closed_ = false;
  uint64_t closed_counter_ = 0;

  // Shared with the event thread.  The JavaScript thread is the only writer
  // of index_, cookies_ and the reference counts in coverage_.
  mutable std::mutex mu_;
  mutable std::condition_variable processed_cv_;
  IntervalIndex index_;
  std::unordered_map<uint64_t, Span> cookies_;
  Coverage coverage_;
  ReportFanout fanout_;
  std::vector<PageRange> strays_;
  uint64_t unmap_seq_ = 0;
#ifdef UMMU_MUTANT_FORGET_EVERY
  uint64_t mutant_registers_ = 0;
#endif
  uint64_t processed_ = 0;      // the counter value whose event is fully queued
  bool target_gone_ = false;
};

}  // namespace

Result<std::unique_ptr<Engine>> CreateUffdEngine(UffdEngineOptions options, ActivityCallback on_activity) {
  if (!options.uffd) return Error::Of(ErrorKind::kInvalid, EBADF, "no uffd given");
  auto engine = std::make_unique<UffdEngine>(std::move(options), std::move(on_activity));
  Status status = engine->Init();
  if (!status.ok()) return status.error();
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace ummu
