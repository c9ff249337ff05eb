#include "receive_fd.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <vector>

namespace umn {

Status ReceiveFd(const std::string& path, UniqueFd* out) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Status::Local(ENAMETOOLONG, "counter socket path must be 1.." + std::to_string(sizeof addr.sun_path - 1) + " bytes: " + path);
  }
  memcpy(addr.sun_path, path.data(), path.size());

  UniqueFd sock(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) return Status::Sys(errno, "socket(AF_UNIX, SOCK_SEQPACKET)");
  // A server that accepts and never sends must not hang the target.
  timeval timeout{5, 0};
  setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return Status::Sys(errno, "connect(" + path + ")");
  }

  char byte;
  iovec iov{&byte, 1};
  // Room for two fds, so that a second one is seen (and closed) rather than
  // silently truncated.
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(sock.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    return Status::Sys(err == EAGAIN ? ETIMEDOUT : err, "recvmsg(" + path + ")");
  }

  // Take ownership of every fd first, so that each is closed on any error below.
  std::vector<UniqueFd> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    return Status::Local(EMSGSIZE, "receiving the counter fd from " + path + ": control message truncated (MSG_CTRUNC)");
  }
  if (n == 0 && fds.empty()) {
    return Status::Local(ECONNRESET, "the counter socket " + path + " closed without sending an fd (is this uid allowed?)");
  }
  if (fds.size() != 1) {
    return Status::Local(EPROTO, "expected exactly one fd from " + path + ", got " + std::to_string(fds.size()));
  }
  *out = std::move(fds[0]);
  return Status::Ok();
}

}  // namespace umn
