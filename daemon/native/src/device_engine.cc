#include "device_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ummunotify.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "mapping.h"
#include "registration_rules.h"
#include "report_fanout.h"
#include "syscalls.h"

namespace ummu {

namespace {

constexpr uint32_t kWanted = UMMUNOTIFY_FEATURE_TARGET_EXIT | UMMUNOTIFY_FEATURE_COUNTER_FD;

class DeviceEngine final : public Engine {
 public:
  DeviceEngine(DeviceEngineOptions options, ActivityCallback on_activity)
      : fd_(std::move(options.device)),
        pidfd_(options.pidfd),
        max_registrations_(options.max_registrations),
        activity_(std::move(on_activity)) {}

  ~DeviceEngine() override { Close(); }

  Status Init() {
    int flags = fcntl(fd_.get(), F_GETFL);
    if (flags < 0 || fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
      return Error::Sys(errno, SysMessage("fcntl(O_NONBLOCK) on /dev/ummunotify", errno), ErrorKind::kInvalid);
    }
    // Features are fixed at the first use of the fd: a fd the target already
    // used cannot give us target-exit EOF or a counter-only fd to publish.
    uint32_t features = kWanted;
    if (ioctl(fd_.get(), UMMUNOTIFY_EXCHANGE_FEATURES, &features) != 0) {
      int err = errno;
      return Error::Of(ErrorKind::kPrecondition, err,
                       SysMessage("UMMUNOTIFY_EXCHANGE_FEATURES", err) +
                           (err == EINVAL ? ": the fd was used before the handoff; hand over a freshly opened /dev/ummunotify" : ""));
    }
    if ((features & kWanted) != kWanted) {
      return Error::Of(ErrorKind::kPrecondition, EOPNOTSUPP,
                       "the ummunotify module lacks target-exit or counter-fd support (features " + std::to_string(features) + "); load a newer module");
    }
    features_ = {"target_exit", "counter_fd"};
    // The daemon's own view of the counter, for GetInfo; clients get the
    // module's counter-only fd instead.
    void* page = mmap(nullptr, static_cast<size_t>(PageSize()), PROT_READ, MAP_SHARED, fd_.get(), 0);
    if (page == MAP_FAILED) return Error::Sys(errno, SysMessage("mmap of the ummunotify counter page", errno));
    counter_page_ = Mapping(page, static_cast<size_t>(PageSize()));
    stop_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop_) return Error::Sys(errno, SysMessage("eventfd", errno));
    thread_ = std::thread([this] { Run(); });
    return Ok{};
  }

  EngineInfo Info() override {
    EngineInfo info;
    static_cast<EngineCounts&>(info) = Counts();
    info.features = features_;
    // The module reports invalidations, not their causes; and it sees them all.
    info.watchable_mappings = {MappingType::kAnonymous, MappingType::kShmem, MappingType::kHugetlb, MappingType::kFile};
    info.blind_spots = {"the cause of an invalidation (reports carry no sources)"};
    return info;
  }

  EngineCounts Counts() override {
    EngineCounts counts;
    counts.max_registrations = max_registrations_;
    counts.counter = closed_ ? closed_counter_ : CounterNow();
    if (!closed_) DrainDevice();
    std::lock_guard<std::mutex> lock(mu_);
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
    // Known before the ioctl, so that a report read right after it is not
    // dropped as unknown; taken back if the batch fails.
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const Registration& r : regs) cookies_.emplace(r.cookie, Span{r.start, r.end});
    }
    size_t done = 0;
    int err = 0;
    for (; done < regs.size(); done++) {
      ummunotify_register_ioctl arg{};
      arg.start = regs[done].start;
      arg.end = regs[done].end;
      arg.user_cookie = regs[done].cookie;
      if (ioctl(fd_.get(), UMMUNOTIFY_REGISTER_REGION, &arg) != 0) {
        err = errno;
        break;
      }
    }
    if (err == 0) return Ok{};
    std::lock_guard<std::mutex> drain(drain_mu_);
    for (size_t i = 0; i < done; i++) {
      uint64_t cookie = regs[i].cookie;
      ioctl(fd_.get(), UMMUNOTIFY_UNREGISTER_REGION, &cookie);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const Registration& r : regs) {
        cookies_.erase(r.cookie);
        fanout_.Purge(r.cookie);
      }
    }
    return RegisterError(regs[done], err);
  }

  Result<uint64_t> Unregister(const std::vector<uint64_t>& cookies) override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    Status valid = CheckUnregister(cookies, [this](uint64_t c) { return cookies_.count(c) != 0; });
    if (!valid.ok()) return valid.error();
    // Under drain_mu_, no report for these cookies can be between the
    // module's queue and ours: the module drops its own at the ioctl.
    std::lock_guard<std::mutex> drain(drain_mu_);
    for (uint64_t cookie : cookies) {
      uint64_t arg = cookie;
      ioctl(fd_.get(), UMMUNOTIFY_UNREGISTER_REGION, &arg);  // only fails once the mm is gone
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t cookie : cookies) cookies_.erase(cookie);
    return fanout_.Unregister(cookies);
  }

  Result<std::vector<Report>> ReadEvents(size_t max) override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    // Whatever the module has queued by now is ours before we answer, so a
    // read after the target's syscall returned sees its reports.
    DrainDevice();
    std::lock_guard<std::mutex> lock(mu_);
    return fanout_.Read(max, module_counter_);
  }

  Result<uint64_t> Subscribe() override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    // What the module queued before the subscription was asked for is not
    // the subscriber's: it goes to the queues that existed then.
    DrainDevice();
    // The subscriber side without mu_: the drain never waits on it.
    return fanout_.Subscribe();
  }

  TakenReports Take(uint64_t subscriber, size_t max) override {
    if (!closed_) DrainDevice();
    return fanout_.Take(subscriber, max);
  }

  size_t Pending(uint64_t subscriber) override { return fanout_.Pending(subscriber); }

  void Unsubscribe(uint64_t subscriber) override { fanout_.Unsubscribe(subscriber); }

  Result<UniqueFd> CounterFd() override {
    if (closed_) return Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed");
    int fd = ioctl(fd_.get(), UMMUNOTIFY_GET_COUNTER_FD);
    if (fd < 0) return Error::Sys(errno, SysMessage("UMMUNOTIFY_GET_COUNTER_FD", errno));
    return UniqueFd(fd);
  }

  void Close() override {
    if (closed_) return;
    if (thread_.joinable()) {
      uint64_t one = 1;
      ssize_t ignored = write(stop_.get(), &one, sizeof one);
      (void)ignored;
      thread_.join();
    }
    closed_counter_ = CounterNow();
    closed_ = true;
    fd_.reset();  // the module frees every registration with the fd
    stop_.reset();
    counter_page_.reset();
    std::lock_guard<std::mutex> lock(mu_);
    cookies_.clear();
    fanout_.Clear();
  }

 private:
  struct Span {
    uint64_t start, end;
  };

  uint64_t CounterNow() const {
    return __atomic_load_n(static_cast<const uint64_t*>(counter_page_.get()), __ATOMIC_ACQUIRE);
  }

  bool TargetGone() const {
    std::lock_guard<std::mutex> lock(mu_);
    return target_gone_;
  }

  Error RegisterError(const Registration& r, int err) const {
    std::string what = "cannot watch " + RangeText(r.start, r.end) + " (cookie " + std::to_string(r.cookie) + ")";
    switch (err) {
      case ENOSPC:
        return Error::Of(ErrorKind::kExhausted, err, SysMessage(what, err) + ": the module's max_registrations limit for one fd");
      case ENOMEM:
        return Error::Of(ErrorKind::kExhausted, err, SysMessage(what, err) + ": the module could not allocate (memory cgroup limit?)");
      case ESRCH:
        return Error::Of(ErrorKind::kPrecondition, err, SysMessage(what, err) + ": the target's address space is gone");
      case EINVAL:
        return Error::Of(ErrorKind::kInvalid, err, SysMessage(what, err));
      default:
        return Error::Of(ErrorKind::kNone, err, SysMessage(what, err));
    }
  }

  // Reads every report the module has queued into our queues. False once the
  // module says the target's address space is gone (read returns 0).
  bool DrainDevice() {
    std::lock_guard<std::mutex> drain(drain_mu_);
    bool moved = false;
    bool alive = true;
    for (;;) {
      ummunotify_event events[64];
      ssize_t n = read(fd_.get(), events, sizeof events);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;  // EAGAIN: nothing more; other errors: the next poll says
      if (n == 0) {
        alive = false;
        break;
      }
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < static_cast<size_t>(n) / sizeof events[0]; i++) {
        const ummunotify_event& e = events[i];
        if (e.type == UMMUNOTIFY_EVENT_TYPE_LAST) {
          module_counter_ = e.user_cookie_counter;
          continue;
        }
        auto reg = cookies_.find(e.user_cookie_counter);
        if (reg == cookies_.end()) continue;  // unregistered meanwhile
        // A report without HINT stands for two or more invalidations.
        const bool hint = (e.flags & UMMUNOTIFY_EVENT_FLAG_HINT) != 0;
        const uint64_t a = hint ? e.hint_start : reg->second.start;
        const uint64_t b = hint ? e.hint_end : reg->second.end;
        const uint32_t weight = hint ? 1 : 2;
        fanout_.Add(e.user_cookie_counter, reg->second.start, reg->second.end, a, b, Source::kUnspecified, weight);
        moved = true;
      }
    }
    if (!alive) {
      std::lock_guard<std::mutex> lock(mu_);
      target_gone_ = true;
    }
    if (moved || !alive) activity_();
    return alive;
  }

  // ---- the reader thread: never waits for JavaScript or for the target ----

  void Run() {
    bool watch_device = true;
    bool watch_pid = pidfd_ >= 0;
    for (;;) {
      pollfd fds[3] = {{stop_.get(), POLLIN, 0}, {watch_device ? fd_.get() : -1, POLLIN, 0}, {watch_pid ? pidfd_ : -1, POLLIN, 0}};
      if (poll(fds, 3, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents != 0) return;
      if (fds[1].revents != 0) {
        // POLLHUP (target exit) still leaves pending reports to read first.
        try {
          if (!DrainDevice()) watch_device = false;
        } catch (...) {  // bad_alloc: nothing may escape this thread
        }
        if (fds[1].revents & (POLLERR | POLLNVAL)) watch_device = false;
      }
      if (fds[2].revents != 0) {
        watch_pid = false;
        {
          std::lock_guard<std::mutex> lock(mu_);
          target_gone_ = true;
        }
        activity_();
      }
    }
  }

  // Immutable after Init.
  UniqueFd fd_;
  UniqueFd stop_;
  const int pidfd_;
  const size_t max_registrations_;
  ActivityCallback activity_;
  Mapping counter_page_;
  std::vector<std::string> features_;
  std::thread thread_;

  // JavaScript thread only.
  std::atomic<bool> closed_{false};
  uint64_t closed_counter_ = 0;

  // Held across read(2) of the device and the queueing of what it returned,
  // by whichever thread drains, so that Unregister can never race a report
  // that is out of the module's queue but not yet in ours.
  std::mutex drain_mu_;
  // Shared with the reader thread. The JavaScript thread is the only writer of cookies_.
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Span> cookies_;
  ReportFanout fanout_;
  uint64_t module_counter_ = 0;  // the counter in the module's last LAST report
  bool target_gone_ = false;
};

}  // namespace

Result<std::unique_ptr<Engine>> CreateDeviceEngine(DeviceEngineOptions options, ActivityCallback on_activity) {
  if (!options.device) return Error::Of(ErrorKind::kInvalid, EBADF, "no /dev/ummunotify fd given");
  auto engine = std::make_unique<DeviceEngine>(std::move(options), std::move(on_activity));
  Status status = engine->Init();
  if (!status.ok()) return status.error();
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace ummu
