// ExitWatch: a thread that waits for a process to exit (its pidfd becomes
// readable) and then calls a callback once, from that thread.  The daemon
// needs this before an engine exists, and the callback must never wait for
// the JavaScript thread, so the bindings hand it a non-blocking TSFN call.
#pragma once

#include <functional>
#include <memory>
#include <thread>

#include "errors.h"
#include "fd.h"

namespace ummu {

class ExitWatch {
 public:
  // Does not take the pidfd; duplicates it, so the caller may close its own.
  static Result<std::unique_ptr<ExitWatch>> Start(int pidfd, std::function<void()> on_exit);
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;
  ~ExitWatch();

  // Stops the thread; the callback will not run afterwards.  Idempotent.
  void Stop();

 private:
  ExitWatch(UniqueFd pidfd, UniqueFd wake, std::function<void()> on_exit);
  void Run();

  UniqueFd pidfd_;
  UniqueFd wake_;  // eventfd: written by Stop()
  std::function<void()> on_exit_;
  std::thread thread_;
};

}  // namespace ummu
