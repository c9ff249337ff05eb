// Who is on the other end of a Unix socket.
#pragma once

#include <optional>

#include "errors.h"
#include "fd.h"

namespace ummu {

struct PeerCred {
  int pid;
  unsigned uid;
  unsigned gid;
};

Result<PeerCred> GetPeerCred(int socket_fd);
// SO_PEERPIDFD (Linux 6.5+); an empty UniqueFd where the kernel lacks it.
Result<UniqueFd> GetPeerPidfd(int socket_fd);

}  // namespace ummu
