#include "rpc_status.h"

#include <errno.h>

#include <cstdlib>
#include <string>

namespace umn {

namespace {

// The daemon's keys (proto/ummunotify/v1/ummunotify.proto, header comment).
constexpr char kErrnoKey[] = "ummunotify-errno";
constexpr char kErrnoNameKey[] = "ummunotify-errno-name";

const char* const kCodeNames[] = {
    "OK",           "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",        "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",       "DATA_LOSS",        "UNAUTHENTICATED",
};

bool Lookup(const grpc::ClientContext& context, const char* key, std::string* value) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  if (it == trailers.end()) return false;
  value->assign(it->second.data(), it->second.size());
  return true;
}

// A positive errno from metadata text; 0 if it is not a plausible one.
int ParseErrno(const std::string& text) {
  if (text.empty() || text.size() > 4) return 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
  }
  return std::atoi(text.c_str());
}

}  // namespace

int ErrnoForGrpcCode(int code) {
  switch (code) {
    case grpc::StatusCode::OK: return 0;
    case grpc::StatusCode::CANCELLED: return ECANCELED;
    case grpc::StatusCode::INVALID_ARGUMENT: return EINVAL;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return ETIMEDOUT;
    case grpc::StatusCode::NOT_FOUND: return ENOENT;
    case grpc::StatusCode::ALREADY_EXISTS: return EEXIST;
    case grpc::StatusCode::PERMISSION_DENIED: return EPERM;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return ENOSPC;
    // "Not in a state for this call": EBADFD is no errno the daemon sends,
    // so a caller can tell a state error from a failed system call.
    case grpc::StatusCode::FAILED_PRECONDITION: return EBADFD;
    case grpc::StatusCode::ABORTED: return EAGAIN;
    case grpc::StatusCode::OUT_OF_RANGE: return ERANGE;
    case grpc::StatusCode::UNIMPLEMENTED: return ENOSYS;
    case grpc::StatusCode::UNAVAILABLE: return ECONNREFUSED;
    case grpc::StatusCode::UNAUTHENTICATED: return EACCES;
    default: return EIO;
  }
}

const char* GrpcCodeName(int code) {
  if (code < 0 || static_cast<size_t>(code) >= sizeof kCodeNames / sizeof kCodeNames[0]) return "UNKNOWN_STATUS";
  return kCodeNames[code];
}

Status FromRpc(const grpc::Status& status, const grpc::ClientContext& context) {
  if (status.ok()) return Status::Ok();
  Status s;
  s.grpc_code = status.error_code();
  s.message = status.error_message();
  if (s.message.empty()) s.message = std::string("the daemon answered ") + GrpcCodeName(s.grpc_code);
  std::string text;
  int errnum = Lookup(context, kErrnoKey, &text) ? ParseErrno(text) : 0;
  if (Lookup(context, kErrnoNameKey, &text)) s.errno_name = text;
  s.err = -(errnum != 0 ? errnum : ErrnoForGrpcCode(s.grpc_code));
  return s;
}

}  // namespace umn
