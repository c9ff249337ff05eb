// Receiving exactly one file descriptor over a SOCK_SEQPACKET Unix socket
// with SCM_RIGHTS: how the daemon hands out its counter page, since gRPC
// cannot carry fds.
#pragma once

#include <string>

#include "status.h"
#include "unique_fd.h"

namespace umn {

// Connects to path, receives one message of at least one byte carrying
// exactly one fd (close-on-exec), and returns it.
Status ReceiveFd(const std::string& path, UniqueFd* out);

}  // namespace umn
