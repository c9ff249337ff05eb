// A daemon spawned by umn_open() for this process, stopped when the client
// closes so that nothing outlives it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "ready_line.h"
#include "status.h"
#include "unique_fd.h"

namespace umn {

class SpawnedDaemon {
 public:
  // Runs `exe --pid <target> args...` (exe searched on PATH if it has no
  // slash), its stderr inherited, and waits for its ready line.
  static Status Start(const std::string& exe, pid_t target, const std::vector<std::string>& args,
                      std::unique_ptr<SpawnedDaemon>* out);

  SpawnedDaemon(const SpawnedDaemon&) = delete;
  SpawnedDaemon& operator=(const SpawnedDaemon&) = delete;
  ~SpawnedDaemon() { Stop(); }

  const ReadyLine& ready() const { return ready_; }
  pid_t pid() const { return pid_; }

  // SIGTERM, wait; SIGKILL after 10 s. Returns the wait status, or -1 if the
  // child was already reaped (by us earlier, or by someone else).
  int Stop();

 private:
  SpawnedDaemon(pid_t pid, UniqueFd out) : pid_(pid), stdout_(std::move(out)) {}
  Status AwaitReady(const std::string& exe);

  pid_t pid_;
  // Kept open while the daemon runs: a later write to a closed pipe would
  // kill it with EPIPE.
  UniqueFd stdout_;
  ReadyLine ready_;
};

// "exited with status 1", "was killed by signal 9".
std::string DescribeWaitStatus(int status);

}  // namespace umn
