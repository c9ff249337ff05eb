// The JavaScript bindings (daemon/src/native.ts is the TypeScript side): no
// logic here beyond converting values and errors.
#include <napi.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <memory>

#include "counter_page.h"
#include "engine.h"
#include "errors.h"
#include "exit_watch.h"
#include "fd_passing.h"
#include "peer.h"
#include "syscalls.h"
#include "device_engine.h"
#include "uffd_engine.h"

namespace ummu {
namespace {

// ---- values and errors ----

[[noreturn]] void Throw(Napi::Env env, const Error& e) {
  Napi::Error error = Napi::Error::New(env, e.message);
  if (e.err != 0) {
    error.Set("errno", Napi::Number::New(env, e.err));
    error.Set("code", Napi::String::New(env, ErrnoName(e.err)));
  }
  if (const char* kind = KindName(e.kind)) error.Set("kind", Napi::String::New(env, kind));
  throw error;
}

[[noreturn]] void ThrowInvalid(Napi::Env env, const std::string& message) {
  Throw(env, Error::Of(ErrorKind::kInvalid, EINVAL, message));
}

template <typename T>
T Must(Napi::Env env, Result<T> r) {
  if (!r.ok()) Throw(env, r.error());
  return std::move(r.value());
}

int64_t ToInt(Napi::Env env, const Napi::Value& v, const char* what, int64_t min, int64_t max) {
  if (!v.IsNumber()) ThrowInvalid(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    ThrowInvalid(env, std::string(what) + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<int64_t>(d);
}

int ToFd(Napi::Env env, const Napi::Value& v, const char* what = "fd") {
  return static_cast<int>(ToInt(env, v, what, 0, INT32_MAX));
}

uint64_t ToU64(Napi::Env env, const Napi::Value& v, const std::string& what) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) ThrowInvalid(env, what + " must be a bigint in [0, 2^64)");
    return u;
  }
  if (v.IsNumber()) return static_cast<uint64_t>(ToInt(env, v, what.c_str(), 0, (int64_t{1} << 53) - 1));
  ThrowInvalid(env, what + " must be a bigint");
}

Napi::Value Big(Napi::Env env, uint64_t v) { return Napi::BigInt::New(env, v); }

// The elements of a BigUint64Array, read in place: a batch crosses into C++
// without one N-API call per value.
struct U64View {
  uint64_t* data;
  size_t length;
};

U64View ToU64View(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array) {
    ThrowInvalid(env, std::string(what) + " must be a BigUint64Array");
  }
  Napi::TypedArrayOf<uint64_t> array = v.As<Napi::TypedArrayOf<uint64_t>>();
  return {array.Data(), array.ElementLength()};
}

Napi::Array ReportsToJs(Napi::Env env, const std::vector<Report>& reports) {
  Napi::Array out = Napi::Array::New(env, reports.size());
  for (size_t i = 0; i < reports.size(); i++) {
    const Report& r = reports[i];
    Napi::Object o = Napi::Object::New(env);
    if (r.type == Report::Type::kLast) {
      o.Set("type", "last");
      o.Set("counter", Big(env, r.counter));
    } else {
      o.Set("type", "inval");
      o.Set("cookie", Big(env, r.cookie));
      o.Set("hint", Napi::Boolean::New(env, r.hint));
      o.Set("start", Big(env, r.start));
      o.Set("end", Big(env, r.end));
      Napi::Array sources = Napi::Array::New(env, r.sources.size());
      for (size_t j = 0; j < r.sources.size(); j++) sources.Set(static_cast<uint32_t>(j), static_cast<double>(r.sources[j]));
      o.Set("sources", sources);
    }
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

size_t ToMax(Napi::Env env, const Napi::Value& v) {
  if (v.IsUndefined()) return 0;
  return static_cast<size_t>(ToInt(env, v, "max", 0, INT32_MAX));
}

// ---- NativeSubscription ----

class SubscriptionWrap : public Napi::ObjectWrap<SubscriptionWrap> {
 public:
  struct Init {
    std::shared_ptr<Engine> engine;
    uint64_t id;
  };
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSubscription",
                       {InstanceMethod<&SubscriptionWrap::Take>("take"), InstanceMethod<&SubscriptionWrap::Pending>("pending"),
                        InstanceMethod<&SubscriptionWrap::Close>("close")});
  }
  explicit SubscriptionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SubscriptionWrap>(info) {
    auto* init = info[0].As<Napi::External<Init>>().Data();
    engine_ = init->engine;
    id_ = init->id;
  }
  ~SubscriptionWrap() override { Release(); }

 private:
  // { reports, epoch }: the epoch at which the batch was taken (engine.h).
  Napi::Value Take(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TakenReports taken = engine_ ? engine_->Take(id_, ToMax(env, info[0])) : TakenReports{};
    Napi::Object out = Napi::Object::New(env);
    out.Set("reports", ReportsToJs(env, taken.reports));
    out.Set("epoch", Big(env, taken.epoch));
    return out;
  }
  Napi::Value Pending(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), engine_ ? static_cast<double>(engine_->Pending(id_)) : 0);
  }
  void Close(const Napi::CallbackInfo&) { Release(); }
  void Release() {
    if (engine_) engine_->Unsubscribe(id_);
    engine_.reset();
  }

  std::shared_ptr<Engine> engine_;
  uint64_t id_ = 0;
};

// ---- NativeEngine ----

// COUNT_SLOTS of native-api.ts.
constexpr size_t kCountSlots = 6;

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  struct Init {
    std::shared_ptr<Engine> engine;
    Napi::ThreadSafeFunction tsfn;
    Napi::FunctionReference* subscription_ctor;
  };
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeEngine",
                       {InstanceMethod<&EngineWrap::Info>("info"), InstanceMethod<&EngineWrap::Counts>("counts"),
                        InstanceMethod<&EngineWrap::Register>("register"),
                        InstanceMethod<&EngineWrap::RegisterPacked>("registerPacked"),
                        InstanceMethod<&EngineWrap::Unregister>("unregister"),
                        InstanceMethod<&EngineWrap::UnregisterPacked>("unregisterPacked"),
                        InstanceMethod<&EngineWrap::ReadEvents>("readEvents"),
                        InstanceMethod<&EngineWrap::Subscribe>("subscribe"),
                        InstanceMethod<&EngineWrap::CounterFd>("counterFd"), InstanceMethod<&EngineWrap::Close>("close")});
  }
  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    auto* init = info[0].As<Napi::External<Init>>().Data();
    engine_ = init->engine;
    tsfn_ = init->tsfn;
    subscription_ctor_ = init->subscription_ctor;
    env_ = info.Env();
    // After the TSFN's own hook, so it runs first at environment teardown.
    napi_add_env_cleanup_hook(env_, &EngineWrap::CleanupHook, this);
  }
  ~EngineWrap() override {
    if (!closed_) napi_remove_env_cleanup_hook(env_, &EngineWrap::CleanupHook, this);
    Shutdown();
  }

 private:
  static void CleanupHook(void* self) {
    auto* wrap = static_cast<EngineWrap*>(self);
    wrap->hook_ran_ = true;
    wrap->Shutdown();
  }
  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    engine_->Close();  // joins the thread: nothing calls the TSFN after this
    tsfn_.Release();
  }
  Engine& Live(Napi::Env env) {
    if (closed_) Throw(env, Error::Of(ErrorKind::kPrecondition, EBADF, "the engine is closed"));
    return *engine_;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EngineInfo i = engine_->Info();
    Napi::Object o = Napi::Object::New(env);
    Napi::Array features = Napi::Array::New(env, i.features.size());
    for (size_t k = 0; k < i.features.size(); k++) features.Set(static_cast<uint32_t>(k), i.features[k]);
    Napi::Array sources = Napi::Array::New(env, i.sources.size());
    for (size_t k = 0; k < i.sources.size(); k++) sources.Set(static_cast<uint32_t>(k), static_cast<double>(i.sources[k]));
    Napi::Array blind = Napi::Array::New(env, i.blind_spots.size());
    for (size_t k = 0; k < i.blind_spots.size(); k++) blind.Set(static_cast<uint32_t>(k), i.blind_spots[k]);
    Napi::Array watchable = Napi::Array::New(env, i.watchable_mappings.size());
    for (size_t k = 0; k < i.watchable_mappings.size(); k++)
      watchable.Set(static_cast<uint32_t>(k), static_cast<double>(i.watchable_mappings[k]));
    o.Set("features", features);
    o.Set("sources", sources);
    o.Set("blindSpots", blind);
    o.Set("watchableMappings", watchable);
    o.Set("counter", Big(env, i.counter));
    o.Set("registrations", static_cast<double>(i.registrations));
    o.Set("maxRegistrations", static_cast<double>(i.max_registrations));
    o.Set("pendingReports", static_cast<double>(i.pending_reports));
    o.Set("subscribers", static_cast<double>(i.subscribers));
    o.Set("targetGone", i.target_gone);
    return o;
  }

  // Fills the caller's BigUint64Array by the CountSlot order of native-api.ts;
  // no object to build, nothing to allocate.
  void Counts(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    U64View out = ToU64View(env, info[0], "counts()'s argument");
    if (out.length < kCountSlots) ThrowInvalid(env, "counts() needs a BigUint64Array of " + std::to_string(kCountSlots));
    EngineCounts c = engine_->Counts();
    uint64_t* slot = out.data;
    slot[0] = c.counter;
    slot[1] = c.registrations;
    slot[2] = c.max_registrations;
    slot[3] = c.pending_reports;
    slot[4] = c.subscribers;
    slot[5] = c.target_gone ? 1 : 0;
  }

  void Register(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray()) ThrowInvalid(env, "register() takes an array of {cookie, start, end}");
    Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<Registration> regs;
    regs.reserve(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Value v = arr.Get(i);
      if (!v.IsObject()) ThrowInvalid(env, "registration " + std::to_string(i) + " must be an object");
      Napi::Object o = v.As<Napi::Object>();
      std::string which = "registration " + std::to_string(i);
      regs.push_back({ToU64(env, o.Get("cookie"), which + ".cookie"), ToU64(env, o.Get("start"), which + ".start"),
                      ToU64(env, o.Get("end"), which + ".end")});
    }
    Status s = Live(env).Register(regs);
    if (!s.ok()) Throw(env, s.error());
  }

  void RegisterPacked(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    U64View triples = ToU64View(env, info[0], "registerPacked()'s argument");
    if (triples.length % 3 != 0) ThrowInvalid(env, "registerPacked() takes [cookie, start, end] triples");
    std::vector<Registration> regs(triples.length / 3);
    for (size_t i = 0; i < regs.size(); i++) regs[i] = {triples.data[3 * i], triples.data[3 * i + 1], triples.data[3 * i + 2]};
    Status s = Live(env).Register(regs);
    if (!s.ok()) Throw(env, s.error());
  }

  Napi::Value Unregister(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray()) ThrowInvalid(env, "unregister() takes an array of cookies");
    Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<uint64_t> cookies;
    for (uint32_t i = 0; i < arr.Length(); i++) cookies.push_back(ToU64(env, arr.Get(i), "cookie " + std::to_string(i)));
    return Big(env, Must(env, Live(env).Unregister(cookies)));
  }

  Napi::Value UnregisterPacked(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    U64View cookies = ToU64View(env, info[0], "unregisterPacked()'s argument");
    return Big(env, Must(env, Live(env).Unregister(std::vector<uint64_t>(cookies.data, cookies.data + cookies.length))));
  }

  Napi::Value ReadEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t max = ToMax(env, info[0]);
    return ReportsToJs(env, Must(env, Live(env).ReadEvents(max)));
  }

  Napi::Value Subscribe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t id = Must(env, Live(env).Subscribe());
    SubscriptionWrap::Init init{engine_, id};
    return subscription_ctor_->New({Napi::External<SubscriptionWrap::Init>::New(env, &init)});
  }

  Napi::Value CounterFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    UniqueFd fd = Must(env, Live(env).CounterFd());
    return Napi::Number::New(env, fd.release());
  }

  void Close(const Napi::CallbackInfo&) {
    if (closed_) return;
    if (!hook_ran_) napi_remove_env_cleanup_hook(env_, &EngineWrap::CleanupHook, this);
    Shutdown();
  }

  std::shared_ptr<Engine> engine_;
  Napi::ThreadSafeFunction tsfn_;
  Napi::FunctionReference* subscription_ctor_ = nullptr;
  napi_env env_ = nullptr;
  bool closed_ = false;
  bool hook_ran_ = false;
};

// ---- serveFd ----

class FdServerWrap : public Napi::ObjectWrap<FdServerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FdServer", {InstanceMethod<&FdServerWrap::Close>("close")});
  }
  explicit FdServerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdServerWrap>(info) {
    server_.reset(info[0].As<Napi::External<FdServer>>().Data());
  }

 private:
  void Close(const Napi::CallbackInfo&) {
    if (server_) server_->Close();
  }
  std::unique_ptr<FdServer> server_;
};

// ---- watchPidfd ----

class ExitWatchWrap : public Napi::ObjectWrap<ExitWatchWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ExitWatch", {InstanceMethod<&ExitWatchWrap::Close>("close")});
  }
  explicit ExitWatchWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExitWatchWrap>(info) {
    auto* init = info[0].As<Napi::External<Init>>().Data();
    watch_ = std::move(init->watch);
    tsfn_ = init->tsfn;
  }
  ~ExitWatchWrap() override { Stop(); }

  struct Init {
    std::unique_ptr<ExitWatch> watch;
    Napi::ThreadSafeFunction tsfn;
  };

 private:
  void Close(const Napi::CallbackInfo&) { Stop(); }
  void Stop() {
    if (!watch_) return;
    watch_->Stop();  // joins: no call can be queued after this
    watch_.reset();
    tsfn_.Release();
  }
  std::unique_ptr<ExitWatch> watch_;
  Napi::ThreadSafeFunction tsfn_;
};

// ---- mapCounter ----

class CounterMappingWrap : public Napi::ObjectWrap<CounterMappingWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CounterMapping",
                       {InstanceMethod<&CounterMappingWrap::Load>("load"), InstanceMethod<&CounterMappingWrap::Unmap>("unmap")});
  }
  explicit CounterMappingWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CounterMappingWrap>(info) {
    view_ = std::move(*info[0].As<Napi::External<CounterView>>().Data());
  }

 private:
  Napi::Value Load(const Napi::CallbackInfo& info) {
    if (!view_.mapped()) Throw(info.Env(), Error::Of(ErrorKind::kPrecondition, EBADF, "the counter page is unmapped"));
    return Big(info.Env(), view_.Load());
  }
  void Unmap(const Napi::CallbackInfo&) { view_.Unmap(); }
  CounterView view_;
};

// ---- the addon ----

class UmmunotifyAddon : public Napi::Addon<UmmunotifyAddon> {
 public:
  UmmunotifyAddon(Napi::Env env, Napi::Object exports) {
    engine_ctor_ = Napi::Persistent(EngineWrap::Define(env));
    subscription_ctor_ = Napi::Persistent(SubscriptionWrap::Define(env));
    server_ctor_ = Napi::Persistent(FdServerWrap::Define(env));
    counter_ctor_ = Napi::Persistent(CounterMappingWrap::Define(env));
    exit_watch_ctor_ = Napi::Persistent(ExitWatchWrap::Define(env));
    DefineAddon(exports, {
                             InstanceMethod<&UmmunotifyAddon::PidfdOpen>("pidfdOpen"),
                             InstanceMethod<&UmmunotifyAddon::PidfdGetfd>("pidfdGetfd"),
                             InstanceMethod<&UmmunotifyAddon::FdKindJs>("fdKind"),
                             InstanceMethod<&UmmunotifyAddon::PeerCredJs>("peerCred"),
                             InstanceMethod<&UmmunotifyAddon::PeerPidfdJs>("peerPidfd"),
                             InstanceMethod<&UmmunotifyAddon::CloseFd>("close"),
                             InstanceMethod<&UmmunotifyAddon::CreateUffdEngineJs>("createUffdEngine"),
                             InstanceMethod<&UmmunotifyAddon::CreateDeviceEngineJs>("createDeviceEngine"),
                             InstanceMethod<&UmmunotifyAddon::ServeFd>("serveFd"),
                             InstanceMethod<&UmmunotifyAddon::CreateUffdJs>("createUffd"),
                             InstanceMethod<&UmmunotifyAddon::AllowPtracerJs>("allowPtracer"),
                             InstanceMethod<&UmmunotifyAddon::ReceiveFdJs>("receiveFd"),
                             InstanceMethod<&UmmunotifyAddon::GetSealsJs>("getSeals"),
                             InstanceMethod<&UmmunotifyAddon::MapCounter>("mapCounter"),
                             InstanceMethod<&UmmunotifyAddon::WatchPidfd>("watchPidfd"),
                         });
  }

 private:
  Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int pid = static_cast<int>(ToInt(env, info[0], "pid", 1, INT32_MAX));
    return Napi::Number::New(env, Must(env, ummu::PidfdOpen(pid)).release());
  }
  Napi::Value PidfdGetfd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int pidfd = ToFd(env, info[0], "pidfd");
    int target = ToFd(env, info[1], "targetFd");
    return Napi::Number::New(env, Must(env, ummu::PidfdGetfd(pidfd, target)).release());
  }
  Napi::Value FdKindJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Napi::String::New(env, Must(env, FdKind(ToFd(env, info[0]))));
  }
  Napi::Value PeerCredJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    PeerCred c = Must(env, GetPeerCred(ToFd(env, info[0], "socketFd")));
    Napi::Object o = Napi::Object::New(env);
    o.Set("pid", c.pid);
    o.Set("uid", static_cast<double>(c.uid));
    o.Set("gid", static_cast<double>(c.gid));
    return o;
  }
  Napi::Value PeerPidfdJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    UniqueFd fd = Must(env, GetPeerPidfd(ToFd(env, info[0], "socketFd")));
    if (!fd) return env.Null();
    return Napi::Number::New(env, fd.release());
  }
  void CloseFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = ToFd(env, info[0]);
    if (::close(fd) != 0 && errno != EINTR) {
      int err = errno;
      Throw(env, Error::Of(err == EBADF ? ErrorKind::kInvalid : ErrorKind::kNone, err, SysMessage("close(" + std::to_string(fd) + ")", err)));
    }
  }

  // The engine's activity callback: a thread-safe call into JavaScript, at
  // most one pending, never keeping the process alive.
  static ActivityCallback ActivityTo(Napi::Env env, const Napi::Value& on_activity, Napi::ThreadSafeFunction* out) {
    if (!on_activity.IsFunction()) ThrowInvalid(env, "options.onActivity must be a function");
    Napi::ThreadSafeFunction tsfn =
        Napi::ThreadSafeFunction::New(env, on_activity.As<Napi::Function>(), "ummunotify-activity", 0, 1);
    tsfn.Unref(env);
    auto pending = std::make_shared<std::atomic<bool>>(false);
    *out = tsfn;
    return [tsfn, pending]() {
      if (pending->exchange(true)) return;
      napi_status s = tsfn.NonBlockingCall([pending](Napi::Env, Napi::Function fn) {
        pending->store(false);
        try {
          fn.Call({});
        } catch (const Napi::Error&) {
          // Fails only while the environment shuts down (the daemon's
          // onActivity never throws). Anything done with the error now,
          // even e.Value(), may throw again and escape: std::terminate.
        }
      });
      if (s != napi_ok) pending->store(false);
    };
  }

  Napi::Value Wrap(Napi::Env env, Result<std::unique_ptr<Engine>> created, Napi::ThreadSafeFunction tsfn) {
    if (!created.ok()) {
      tsfn.Release();
      Throw(env, created.error());
    }
    EngineWrap::Init init{std::shared_ptr<Engine>(std::move(created.value())), tsfn, &subscription_ctor_};
    return engine_ctor_.New({Napi::External<EngineWrap::Init>::New(env, &init)});
  }

  Napi::Value CreateUffdEngineJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) ThrowInvalid(env, "createUffdEngine() takes an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    UffdEngineOptions options;
    int uffd = ToFd(env, o.Get("uffd"), "options.uffd");
    options.pidfd = ToFd(env, o.Get("pidfd"), "options.pidfd");
    options.pid = static_cast<int>(ToInt(env, o.Get("pid"), "options.pid", 1, INT32_MAX));
    options.max_registrations = static_cast<size_t>(ToInt(env, o.Get("maxRegistrations"), "options.maxRegistrations", 0, (int64_t{1} << 40)));
    options.busy_poll_micros = static_cast<uint32_t>(ToInt(env, o.Get("busyPollMicros"), "options.busyPollMicros", 0, 10'000'000));
    Napi::ThreadSafeFunction tsfn;
    ActivityCallback activity = ActivityTo(env, o.Get("onActivity"), &tsfn);
    options.uffd = UniqueFd(uffd);
    return Wrap(env, CreateUffdEngine(std::move(options), std::move(activity)), tsfn);
  }

  Napi::Value CreateDeviceEngineJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) ThrowInvalid(env, "createDeviceEngine() takes an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    DeviceEngineOptions options;
    int device = ToFd(env, o.Get("device"), "options.device");
    options.pidfd = ToFd(env, o.Get("pidfd"), "options.pidfd");
    options.max_registrations = static_cast<size_t>(ToInt(env, o.Get("maxRegistrations"), "options.maxRegistrations", 0, (int64_t{1} << 40)));
    Napi::ThreadSafeFunction tsfn;
    ActivityCallback activity = ActivityTo(env, o.Get("onActivity"), &tsfn);
    options.device = UniqueFd(device);
    return Wrap(env, CreateDeviceEngine(std::move(options), std::move(activity)), tsfn);
  }

  Napi::Value ServeFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) ThrowInvalid(env, "path must be a string");
    int fd = ToFd(env, info[1]);
    if (!info[2].IsArray()) ThrowInvalid(env, "allowedUids must be an array");
    Napi::Array arr = info[2].As<Napi::Array>();
    std::vector<unsigned> uids;
    for (uint32_t i = 0; i < arr.Length(); i++) uids.push_back(static_cast<unsigned>(ToInt(env, arr.Get(i), "uid", 0, UINT32_MAX)));
    std::unique_ptr<FdServer> server = Must(env, FdServer::Start(info[0].As<Napi::String>().Utf8Value(), fd, std::move(uids)));
    Napi::External<FdServer> ext = Napi::External<FdServer>::New(env, server.get());
    Napi::Object wrap = server_ctor_.New({ext});
    server.release();  // owned by the wrap now
    return wrap;
  }

  Napi::Value CreateUffdJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Napi::Number::New(env, Must(env, CreateUffd()).release());
  }
  Napi::Value AllowPtracerJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int pid = static_cast<int>(ToInt(env, info[0], "pid", 1, INT32_MAX));
    return Napi::Boolean::New(env, Must(env, AllowPtracer(pid)));
  }
  Napi::Value ReceiveFdJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) ThrowInvalid(env, "path must be a string");
    return Napi::Number::New(env, Must(env, ReceiveFd(info[0].As<Napi::String>().Utf8Value())).release());
  }
  Napi::Value GetSealsJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Napi::Number::New(env, Must(env, GetSeals(ToFd(env, info[0]))));
  }
  Napi::Value MapCounter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CounterView view = Must(env, CounterView::Map(ToFd(env, info[0])));
    return counter_ctor_.New({Napi::External<CounterView>::New(env, &view)});
  }

  Napi::Value WatchPidfd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int pidfd = ToFd(env, info[0], "pidfd");
    if (!info[1].IsFunction()) ThrowInvalid(env, "onExit must be a function");
    Napi::ThreadSafeFunction tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "ummunotify-exit", 0, 1);
    tsfn.Unref(env);  // a watch never keeps the process alive
    // The watch thread only queues the call; it never waits for JavaScript.
    // A call delivered while the environment shuts down fails: that must not
    // escape as a C++ exception (std::terminate), so catch it here.
    auto started = ExitWatch::Start(pidfd, [tsfn]() {
      tsfn.NonBlockingCall([](Napi::Env, Napi::Function fn) {
        try {
          fn.Call({});
        } catch (const Napi::Error&) {
          // As for onActivity: fails only during shutdown; never rethrow.
        }
      });
    });
    if (!started.ok()) {
      tsfn.Release();
      Throw(env, started.error());
    }
    ExitWatchWrap::Init init{std::move(started.value()), tsfn};
    return exit_watch_ctor_.New({Napi::External<ExitWatchWrap::Init>::New(env, &init)});
  }

  Napi::FunctionReference engine_ctor_, subscription_ctor_, server_ctor_, counter_ctor_, exit_watch_ctor_;
};

}  // namespace
}  // namespace ummu

using UmmunotifyAddon = ummu::UmmunotifyAddon;
NODE_API_ADDON(UmmunotifyAddon)
