#include "exit_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace ummu {

Result<std::unique_ptr<ExitWatch>> ExitWatch::Start(int pidfd, std::function<void()> on_exit) {
  UniqueFd dup(fcntl(pidfd, F_DUPFD_CLOEXEC, 0));
  if (!dup) return Error::Sys(errno, "cannot duplicate the pidfd: " + std::string(strerror(errno)));
  UniqueFd wake(eventfd(0, EFD_CLOEXEC));
  if (!wake) return Error::Sys(errno, "eventfd: " + std::string(strerror(errno)));
  std::unique_ptr<ExitWatch> watch(new ExitWatch(std::move(dup), std::move(wake), std::move(on_exit)));
  watch->thread_ = std::thread([w = watch.get()] { w->Run(); });
  return watch;
}

ExitWatch::ExitWatch(UniqueFd pidfd, UniqueFd wake, std::function<void()> on_exit)
    : pidfd_(std::move(pidfd)), wake_(std::move(wake)), on_exit_(std::move(on_exit)) {}

ExitWatch::~ExitWatch() { Stop(); }

void ExitWatch::Run() {
  pollfd fds[2] = {{pidfd_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // nothing sensible left to wait on
    if (fds[1].revents) return;  // Stop()
    if (fds[0].revents) {
      on_exit_();
      return;
    }
  }
}

void ExitWatch::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  // A full eventfd counter is still readable, which is all Run() needs.
  ssize_t ignored = write(wake_.get(), &one, sizeof(one));
  (void)ignored;
  thread_.join();
}

}  // namespace ummu
