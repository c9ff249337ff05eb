// Passing one fd over a SOCK_SEQPACKET Unix socket with SCM_RIGHTS: the
// receiving side, and a listener thread that hands a fixed fd to every
// accepted peer whose uid is allowed.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "errors.h"
#include "fd.h"

namespace ummu {

// Connects to `path` and receives exactly one fd (MSG_CMSG_CLOEXEC; a
// truncated control message or a count other than one is an error).
Result<UniqueFd> ReceiveFd(const std::string& path);

class FdServer {
 public:
  // Binds `path` (0600, created under umask 077) and starts the thread.  The
  // server keeps its own duplicate of `fd`.
  static Result<std::unique_ptr<FdServer>> Start(const std::string& path, int fd, std::vector<unsigned> allowed_uids);
  ~FdServer();
  // Stops and joins the thread, closes the sockets, unlinks the path.  Idempotent.
  void Close();

 private:
  FdServer() = default;
  void Run();
  void Serve(int conn) const;

  std::string path_;
  UniqueFd listen_fd_;
  UniqueFd stop_fd_;  // eventfd
  UniqueFd fd_;
  std::vector<unsigned> allowed_uids_;
  std::thread thread_;
  bool closed_ = false;
};

}  // namespace ummu
