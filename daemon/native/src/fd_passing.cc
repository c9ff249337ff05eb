#include "fd_passing.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace ummu {

namespace {

Result<sockaddr_un> SocketAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Error::Of(ErrorKind::kInvalid, ENAMETOOLONG,
                     "socket path must be 1.." + std::to_string(sizeof addr.sun_path - 1) + " bytes: " + path);
  }
  memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace

Result<UniqueFd> ReceiveFd(const std::string& path) {
  auto addr = SocketAddress(path);
  if (!addr.ok()) return addr.error();
  UniqueFd sock(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) return Error::Sys(errno, SysMessage("socket(AF_UNIX, SOCK_SEQPACKET)", errno));
  timeval timeout{5, 0};  // never hang on a server that does not answer
  setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr.value()), sizeof(sockaddr_un)) != 0) {
    int err = errno;
    return Error::Sys(err, SysMessage("connect(" + path + ")", err),
                      err == ENOENT || err == ECONNREFUSED ? ErrorKind::kNotFound
                      : err == EACCES                      ? ErrorKind::kPermission
                                                           : ErrorKind::kNone);
  }
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))];  // room to detect a second fd
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(sock.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::Sys(errno, SysMessage("recvmsg(" + path + ")", errno));
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
    return Error::Of(ErrorKind::kPrecondition, EMSGSIZE, "receiving an fd from " + path + ": control message truncated (MSG_CTRUNC)");
  }
  if (n == 0 && fds.empty()) {
    return Error::Of(ErrorKind::kPermission, ECONNRESET,
                     "the server at " + path + " closed the connection without sending an fd (is this uid allowed?)");
  }
  if (fds.size() != 1) {
    return Error::Of(ErrorKind::kPrecondition, EPROTO,
                     "expected exactly one fd from " + path + ", got " + std::to_string(fds.size()));
  }
  return std::move(fds[0]);
}

Result<std::unique_ptr<FdServer>> FdServer::Start(const std::string& path, int fd, std::vector<unsigned> allowed_uids) {
  auto addr = SocketAddress(path);
  if (!addr.ok()) return addr.error();
  std::unique_ptr<FdServer> server(new FdServer());
  server->path_ = path;
  server->allowed_uids_ = std::move(allowed_uids);
  server->fd_.reset(fcntl(fd, F_DUPFD_CLOEXEC, 3));
  if (!server->fd_) {
    int err = errno;
    return Error::Sys(err, SysMessage("dup(fd " + std::to_string(fd) + ")", err), err == EBADF ? ErrorKind::kInvalid : ErrorKind::kNone);
  }
  server->stop_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!server->stop_fd_) return Error::Sys(errno, SysMessage("eventfd", errno));
  server->listen_fd_.reset(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!server->listen_fd_) return Error::Sys(errno, SysMessage("socket(AF_UNIX, SOCK_SEQPACKET)", errno));
  mode_t old_mask = umask(077);
  int rc = bind(server->listen_fd_.get(), reinterpret_cast<const sockaddr*>(&addr.value()), sizeof(sockaddr_un));
  int err = errno;
  umask(old_mask);
  if (rc != 0) {
    return Error::Sys(err, SysMessage("bind(" + path + ")", err),
                      err == EADDRINUSE ? ErrorKind::kExists : err == EACCES ? ErrorKind::kPermission : ErrorKind::kNone);
  }
  chmod(path.c_str(), 0600);
  if (listen(server->listen_fd_.get(), 64) != 0) {
    err = errno;
    unlink(path.c_str());
    return Error::Sys(err, SysMessage("listen(" + path + ")", err));
  }
  server->thread_ = std::thread([s = server.get()] { s->Run(); });
  return server;
}

FdServer::~FdServer() { Close(); }

void FdServer::Close() {
  if (closed_) return;
  closed_ = true;
  if (thread_.joinable()) {
    uint64_t one = 1;
    ssize_t ignored = write(stop_fd_.get(), &one, sizeof one);
    (void)ignored;
    thread_.join();
  }
  unlink(path_.c_str());
  listen_fd_.reset();
  stop_fd_.reset();
  fd_.reset();
}

void FdServer::Run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents & (POLLERR | POLLNVAL)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    UniqueFd conn(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!conn) continue;
    Serve(conn.get());
  }
}

void FdServer::Serve(int conn) const {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return;
  bool allowed = cred.uid == 0 || std::find(allowed_uids_.begin(), allowed_uids_.end(), cred.uid) != allowed_uids_.end();
  if (!allowed) return;  // closing without a byte tells the peer no
  char byte = 'U';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = fd_.get();
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t ignored = sendmsg(conn, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  (void)ignored;
}

}  // namespace ummu
