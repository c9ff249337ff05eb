// Test-only: real memory operations for a Node process that is its own
// target.  Addresses are bigints, sizes are pages.
#include <errno.h>
#include <fcntl.h>
#include <napi.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace {

size_t Page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

[[noreturn]] void Fail(Napi::Env env, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  throw e;
}

uint64_t Addr(const Napi::Value& v) {
  bool lossless;
  return v.As<Napi::BigInt>().Uint64Value(&lossless);
}
size_t Pages(const Napi::Value& v) { return static_cast<size_t>(v.As<Napi::Number>().Int64Value()); }
Napi::Value Big(Napi::Env env, uint64_t v) { return Napi::BigInt::New(env, v); }
Napi::Value Big(Napi::Env env, void* p) { return Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p))); }

void Touch(void* p, size_t len) {
  for (size_t i = 0; i < len; i += Page()) static_cast<volatile char*>(p)[i] = 1;
}

Napi::Value MmapAnon(const Napi::CallbackInfo& info) {
  size_t len = Pages(info[0]) * Page();
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) Fail(info.Env(), "mmap", errno);
  madvise(p, len, MADV_NOHUGEPAGE);
  Touch(p, len);
  return Big(info.Env(), p);
}

Napi::Value MmapFixed(const Napi::CallbackInfo& info) {
  size_t len = Pages(info[1]) * Page();
  void* want = reinterpret_cast<void*>(Addr(info[0]));
  void* p = mmap(want, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) Fail(info.Env(), "mmap(MAP_FIXED)", errno);
  madvise(p, len, MADV_NOHUGEPAGE);
  Touch(p, len);
  return Big(info.Env(), p);
}

Napi::Value MmapShared(const Napi::CallbackInfo& info) {
  size_t len = Pages(info[0]) * Page();
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) Fail(info.Env(), "mmap(MAP_SHARED)", errno);
  Touch(p, len);
  return Big(info.Env(), p);
}

// A shared mapping of a file: by default read-only (opened O_RDONLY, so never
// writable and no userfaultfd mode can watch it); writable if asked.
Napi::Value MmapFile(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  size_t len = Pages(info[1]) * Page();
  bool writable = info.Length() > 2 && info[2].ToBoolean().Value();
  int fd = open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) Fail(info.Env(), "open(" + path + ")", errno);
  void* p = mmap(nullptr, len, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (p == MAP_FAILED) Fail(info.Env(), "mmap(file)", err);
  return Big(info.Env(), p);
}

void Munmap(const Napi::CallbackInfo& info) {
  if (munmap(reinterpret_cast<void*>(Addr(info[0])), Pages(info[1]) * Page()) != 0) Fail(info.Env(), "munmap", errno);
}

// madvise(addr, pages * page, advice): advice by number (MADV_*).
void Madvise(const Napi::CallbackInfo& info) {
  int advice = info[2].As<Napi::Number>().Int32Value();
  if (madvise(reinterpret_cast<void*>(Addr(info[0])), Pages(info[1]) * Page(), advice) != 0) Fail(info.Env(), "madvise", errno);
}

void MadviseDontneed(const Napi::CallbackInfo& info) {
  if (madvise(reinterpret_cast<void*>(Addr(info[0])), Pages(info[1]) * Page(), MADV_DONTNEED) != 0) Fail(info.Env(), "madvise", errno);
}

// mremap(old, pages, pages, MREMAP_MAYMOVE | MREMAP_FIXED, newAddr)
Napi::Value MremapMove(const Napi::CallbackInfo& info) {
  size_t len = Pages(info[1]) * Page();
  long r = syscall(SYS_mremap, Addr(info[0]), len, len, MREMAP_MAYMOVE | MREMAP_FIXED, Addr(info[2]));
  if (r == -1) Fail(info.Env(), "mremap", errno);
  return Big(info.Env(), static_cast<uint64_t>(r));
}

// The break this module last set; brkShrink refuses if someone else moved it.
struct BrkState {
  uint64_t end = 0;
};

Napi::Object Range(Napi::Env env, uint64_t a, uint64_t b) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("start", Big(env, a));
  o.Set("end", Big(env, b));
  return o;
}

Napi::Value BrkGrow(const Napi::CallbackInfo& info) {
  auto* state = info.Env().GetInstanceData<BrkState>();
  size_t len = Pages(info[0]) * Page();
  uintptr_t cur = reinterpret_cast<uintptr_t>(sbrk(0));
  uintptr_t aligned = (cur + Page() - 1) & ~(Page() - 1);
  if (sbrk(static_cast<intptr_t>(aligned - cur + len)) == reinterpret_cast<void*>(-1)) Fail(info.Env(), "sbrk", errno);
  madvise(reinterpret_cast<void*>(aligned), len, MADV_NOHUGEPAGE);
  Touch(reinterpret_cast<void*>(aligned), len);
  state->end = aligned + len;
  return Range(info.Env(), aligned, aligned + len);
}

Napi::Value BrkShrink(const Napi::CallbackInfo& info) {
  auto* state = info.Env().GetInstanceData<BrkState>();
  size_t len = Pages(info[0]) * Page();
  uintptr_t cur = reinterpret_cast<uintptr_t>(sbrk(0));
  if (state->end == 0 || cur != state->end) {
    Napi::Error::New(info.Env(), "brkShrink: the break moved since brkGrow (malloc?); refusing").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  if (sbrk(-static_cast<intptr_t>(len)) == reinterpret_cast<void*>(-1)) Fail(info.Env(), "sbrk", errno);
  state->end = cur - len;
  return Range(info.Env(), cur - len, cur);
}

void Write(const Napi::CallbackInfo& info) {
  *reinterpret_cast<volatile uint8_t*>(Addr(info[0])) = static_cast<uint8_t>(info[1].As<Napi::Number>().Uint32Value());
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), *reinterpret_cast<volatile uint8_t*>(Addr(info[0])));
}

// The child only makes raw system calls: it never returns into V8.
Napi::Value ForkChildThatWaits(const Napi::CallbackInfo& info) {
  long pid = syscall(SYS_fork);
  if (pid < 0) Fail(info.Env(), "fork", errno);
  if (pid == 0) {
    for (;;) syscall(SYS_pause);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(pid));
}

// mremap(old, oldBytes, newBytes, flags, new): moving onto `newAddr` when
// one is given (MREMAP_MAYMOVE | MREMAP_FIXED), in place otherwise. A raw
// syscall: glibc's wrapper only reads the fifth argument for some flags.
Napi::Value Mremap(const Napi::CallbackInfo& info) {
  uint64_t old_len = Addr(info[1]);
  uint64_t new_len = Addr(info[2]);
  bool moving = info.Length() > 3 && info[3].IsBigInt();
  long r = syscall(SYS_mremap, Addr(info[0]), old_len, new_len, moving ? MREMAP_MAYMOVE | MREMAP_FIXED : 0, moving ? Addr(info[3]) : 0);
  if (r == -1) Fail(info.Env(), "mremap", errno);
  return Big(info.Env(), static_cast<uint64_t>(r));
}

// A mapping of `pages` pages of one kind ("anonymous", "shared", "file"), at
// `at` with MAP_FIXED when given, touched. A file mapping is of a new file in
// `dir`, unlinked at once, so nothing is left behind. A read-only mapping is
// touched by reading, and its file is opened O_RDONLY, so that the mapping
// can never become writable.
Napi::Value Map(const Napi::CallbackInfo& info) {
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  size_t len = Pages(info[1]) * Page();
  bool fixed = info[2].IsBigInt();
  bool writable = info[4].ToBoolean().Value();
  void* want = fixed ? reinterpret_cast<void*>(Addr(info[2])) : nullptr;
  int flags = (fixed ? MAP_FIXED : 0);
  int fd = -1;
  if (kind == "anonymous") {
    flags |= MAP_PRIVATE | MAP_ANONYMOUS;
  } else if (kind == "shared") {
    flags |= MAP_SHARED | MAP_ANONYMOUS;
  } else if (kind == "file") {
    std::string path = info[3].As<Napi::String>().Utf8Value() + "/ummunotify-mapping-XXXXXX";
    int rw = mkostemp(path.data(), O_CLOEXEC);
    if (rw < 0) Fail(info.Env(), "mkostemp(" + path + ")", errno);
    int err = ftruncate(rw, static_cast<off_t>(len)) == 0 ? 0 : errno;
    fd = writable ? rw : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && err == 0) err = errno;
    if (!writable) close(rw);
    unlink(path.c_str());
    if (err != 0) {
      if (fd >= 0) close(fd);
      Fail(info.Env(), "creating " + path, err);
    }
    flags |= MAP_SHARED;
  } else {
    Napi::Error::New(info.Env(), "map: kind is anonymous, shared or file").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  void* p = mmap(want, len, writable ? PROT_READ | PROT_WRITE : PROT_READ, flags, fd, 0);
  int err = errno;
  if (fd >= 0) close(fd);
  if (p == MAP_FAILED) Fail(info.Env(), "mmap(" + kind + ")", err);
  if (kind == "anonymous") madvise(p, len, MADV_NOHUGEPAGE);
  if (writable) {
    Touch(p, len);
  } else {
    for (size_t i = 0; i < len; i += Page()) (void)static_cast<volatile char*>(p)[i];
  }
  return Big(info.Env(), p);
}

// SIGKILL and reap; returns the raw wait status.
Napi::Value KillAndReap(const Napi::CallbackInfo& info) {
  pid_t pid = static_cast<pid_t>(info[0].As<Napi::Number>().Int32Value());
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) Fail(info.Env(), "waitpid", errno);
  }
  return Napi::Number::New(info.Env(), status);
}

Napi::Value PageSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(Page())); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new BrkState());
  exports.Set("pageSize", Napi::Function::New(env, PageSize));
  exports.Set("mmapAnon", Napi::Function::New(env, MmapAnon));
  exports.Set("mmapFixed", Napi::Function::New(env, MmapFixed));
  exports.Set("mmapShared", Napi::Function::New(env, MmapShared));
  exports.Set("mmapFile", Napi::Function::New(env, MmapFile));
  exports.Set("munmap", Napi::Function::New(env, Munmap));
  exports.Set("madvise", Napi::Function::New(env, Madvise));
  exports.Set("madviseDontneed", Napi::Function::New(env, MadviseDontneed));
  exports.Set("mremapMove", Napi::Function::New(env, MremapMove));
  exports.Set("mremap", Napi::Function::New(env, Mremap));
  exports.Set("map", Napi::Function::New(env, Map));
  exports.Set("brkGrow", Napi::Function::New(env, BrkGrow));
  exports.Set("brkShrink", Napi::Function::New(env, BrkShrink));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("forkChildThatWaits", Napi::Function::New(env, ForkChildThatWaits));
  exports.Set("killAndReap", Napi::Function::New(env, KillAndReap));
  return exports;
}

}  // namespace

NODE_API_MODULE(memops, Init)
