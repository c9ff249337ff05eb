#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>

extern char** environ;

namespace umn {

namespace {

// tsx compiles the daemon on its first run; a loaded CI machine is slow.
constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(10);

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&fa_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &fa_; }

 private:
  posix_spawn_file_actions_t fa_;
};

class SpawnAttr {
 public:
  SpawnAttr() { posix_spawnattr_init(&attr_); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

void SleepMillis(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// waitpid without blocking, through EINTR: the pid if it was reaped, 0 if it
// is still running, -1 if it is not our child (any more).
pid_t Reap(pid_t pid, int* status) {
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r >= 0 || errno != EINTR) return r;
  }
}

// The path posix_spawn will run, as execvp would find it. Resolving it here
// rather than letting the spawn fail in the child gives a clear ENOENT or
// EACCES whatever way the C library (or valgrind) implements the spawn.
Status FindExecutable(const std::string& name, std::string* path) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) != 0) return Status::Sys(errno, "cannot start the daemon " + name);
    *path = name;
    return Status::Ok();
  }
  const char* env = getenv("PATH");
  std::string dirs = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  int err = ENOENT;
  for (size_t begin = 0; begin <= dirs.size();) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(begin, end - begin);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(candidate.c_str(), X_OK) == 0) {
        *path = candidate;
        return Status::Ok();
      }
      err = EACCES;
    }
    begin = end + 1;
  }
  return Status::Local(err, "cannot start the daemon " + name + ": " +
                                (err == EACCES ? "found on PATH but not executable" : "not found on PATH") +
                                " (set UMMUNOTIFYD to the daemon's path)");
}

}  // namespace

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "stopped with wait status " + std::to_string(status);
}

Status SpawnedDaemon::Start(const std::string& exe, pid_t target, const std::vector<std::string>& args,
                            std::unique_ptr<SpawnedDaemon>* out) {
  std::string path;
  Status found = FindExecutable(exe, &path);
  if (!found.ok()) return found;

  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Status::Sys(errno, "pipe2 for the daemon's stdout");
  UniqueFd read_end(p[0]);
  UniqueFd write_end(p[1]);
  // Below 3 the dup2 onto stdout could collide with the child's stdio.
  if (write_end.get() < 3) {
    UniqueFd moved(fcntl(write_end.get(), F_DUPFD_CLOEXEC, 3));
    if (!moved) return Status::Sys(errno, "fcntl(F_DUPFD_CLOEXEC)");
    write_end = std::move(moved);
  }

  FileActions actions;
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Our fds are close-on-exec, but the application's may not be: a daemon
  // holding a copy of, say, the target's own sockets would keep them alive.
  posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);
#endif

  SpawnAttr attr;
  // A mask or disposition the application set for itself must not make the
  // daemon deaf to the SIGTERM that stops it.
  sigset_t empty, term;
  sigemptyset(&empty);
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  posix_spawnattr_setsigmask(attr.get(), &empty);
  posix_spawnattr_setsigdefault(attr.get(), &term);
  posix_spawnattr_setflags(attr.get(), POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings{exe, "--pid", std::to_string(target)};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Allocated first: once the child exists, nothing may fail before an owner
  // that stops it does.
  std::unique_ptr<SpawnedDaemon> daemon(new SpawnedDaemon(-1, std::move(read_end)));
  int rc = posix_spawn(&daemon->pid_, path.c_str(), actions.get(), attr.get(), argv.data(), environ);
  if (rc != 0) {
    daemon->pid_ = -1;
    return Status::Local(rc, "cannot start the daemon " + path + ": " + ErrnoText(rc));
  }
  write_end.reset();  // so that the daemon's exit shows as EOF
  Status s = daemon->AwaitReady(exe);
  if (!s.ok()) return s;  // the destructor stops it
  *out = std::move(daemon);
  return Status::Ok();
}

Status SpawnedDaemon::AwaitReady(const std::string& exe) {
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  std::string pending;
  char chunk[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      Stop();
      return Status::Local(ETIMEDOUT, "the daemon " + exe + " printed no ready line within " +
                                          std::to_string(kReadyTimeout.count()) + " s; stopped it");
    }
    pollfd pfd{stdout_.get(), POLLIN, 0};
    int n = poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return Status::Sys(errno, "poll on the daemon's stdout");
    if (n <= 0) continue;
    ssize_t got = read(stdout_.get(), chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Status::Sys(errno, "reading the daemon's stdout");
    }
    if (got == 0) {
      int status = Stop();
      std::string how = status == -1 ? "exited" : DescribeWaitStatus(status);
      return Status::Local(ECHILD, "the daemon " + exe + " " + how + " before it was ready (its stderr says why)");
    }
    pending.append(chunk, static_cast<size_t>(got));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (ParseReadyLine(line, &ready_)) return Status::Ok();
    }
    if (pending.size() > (1u << 20)) return Status::Local(EPROTO, "the daemon " + exe + " printed a line over 1 MiB long and no ready line");
  }
}

int SpawnedDaemon::Stop() {
  if (pid_ <= 0) return -1;
  const pid_t pid = pid_;
  pid_ = -1;
  int status = 0;
  pid_t r = Reap(pid, &status);
  if (r != 0) return r == pid ? status : -1;
  kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  long nap = 1;
  while (std::chrono::steady_clock::now() < deadline) {
    r = Reap(pid, &status);
    if (r != 0) return r == pid ? status : -1;
    SleepMillis(nap);
    nap = nap < 20 ? nap * 2 : 20;
  }
  kill(pid, SIGKILL);
  for (;;) {
    r = waitpid(pid, &status, 0);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
  }
}

}  // namespace umn
