#include "errors.h"

#include <errno.h>
#include <string.h>

namespace ummu {

const char* ErrnoName(int err) {
  // strerrorname_np needs glibc 2.32; Debian 12 has 2.36.
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "EUNKNOWN";
}

const char* KindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid: return "invalid";
    case ErrorKind::kExists: return "exists";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kExhausted: return "exhausted";
    case ErrorKind::kPrecondition: return "precondition";
    case ErrorKind::kPermission: return "permission";
    case ErrorKind::kNone: break;
  }
  return nullptr;
}

std::string SysMessage(const std::string& what, int err) {
  char buf[128];
  const char* text = strerror_r(err, buf, sizeof buf);  // GNU variant
  return what + ": " + text + " (" + ErrnoName(err) + ")";
}

}  // namespace ummu
