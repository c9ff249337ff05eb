#include "peer.h"

#include <errno.h>
#include <sys/socket.h>

#include <string>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

namespace ummu {

Result<PeerCred> GetPeerCred(int socket_fd) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    int err = errno;
    return Error::Sys(err, SysMessage("getsockopt(SO_PEERCRED) on fd " + std::to_string(socket_fd), err),
                      err == EBADF || err == ENOTSOCK ? ErrorKind::kInvalid : ErrorKind::kNone);
  }
  return PeerCred{cred.pid, cred.uid, cred.gid};
}

Result<UniqueFd> GetPeerPidfd(int socket_fd) {
  int pidfd = -1;
  socklen_t len = sizeof pidfd;
  if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) != 0) {
    int err = errno;
    if (err == ENOPROTOOPT) return UniqueFd();
    return Error::Sys(err, SysMessage("getsockopt(SO_PEERPIDFD) on fd " + std::to_string(socket_fd), err),
                      err == EBADF || err == ENOTSOCK ? ErrorKind::kInvalid : ErrorKind::kNone);
  }
  return UniqueFd(pidfd);
}

}  // namespace ummu
