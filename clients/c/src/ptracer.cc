#include "ptracer.h"

#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "unique_fd.h"

namespace umn {

void NameDaemonPtracer(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) return;
  memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock || connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return;
  ucred cred{};
  socklen_t len = sizeof cred;
  // A pid of 0: the daemon is in a pid namespace we cannot see.
  if (getsockopt(sock.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0) return;
  prctl(PR_SET_PTRACER, static_cast<unsigned long>(cred.pid), 0, 0, 0);
}

}  // namespace umn
