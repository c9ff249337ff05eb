// Status: the outcome of one step inside the library, carrying everything the
// C caller can later ask about a failure (negative errno, gRPC code, the
// daemon's errno name, a message).
#pragma once

#include <string>

namespace umn {

struct Status {
  // 0 on success, else a negative errno: what the C function returns.
  int err = 0;
  // The gRPC status code, or 0 for a failure that never reached the daemon.
  int grpc_code = 0;
  // The daemon's `ummunotify-errno-name`, empty if it sent none.
  std::string errno_name;
  std::string message;

  bool ok() const { return err == 0; }

  static Status Ok() { return Status{}; }
  // A local failure with an errno (positive or negative) and a message.
  static Status Local(int errnum, std::string message);
  // A failed system call: "what: strerror(errnum)".
  static Status Sys(int errnum, const std::string& what);
};

// The text of strerror(errnum), thread-safe.
std::string ErrnoText(int errnum);

}  // namespace umn
