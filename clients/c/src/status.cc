#include "status.h"

#include <string.h>

#include <cstdlib>

namespace umn {

Status Status::Local(int errnum, std::string message) {
  Status s;
  s.err = -std::abs(errnum);
  s.message = std::move(message);
  return s;
}

Status Status::Sys(int errnum, const std::string& what) { return Local(errnum, what + ": " + ErrnoText(errnum)); }

std::string ErrnoText(int errnum) {
  char buf[128];
  // GNU strerror_r may return a static string instead of filling buf.
  const char* text = strerror_r(errnum, buf, sizeof buf);
  return text;
}

}  // namespace umn
