#include "registration_rules.h"

#include <errno.h>

#include <cinttypes>
#include <cstdio>
#include <string>
#include <unordered_set>

#include "syscalls.h"

namespace ummu {

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string RangeText(uint64_t a, uint64_t b) { return "[" + Hex(a) + ", " + Hex(b) + ")"; }

Status CheckRegister(const std::vector<Registration>& regs, const std::function<bool(uint64_t)>& registered,
                     size_t held, size_t max_registrations) {
  const uint64_t limit = UserSpaceEnd();
  std::unordered_set<uint64_t> batch;
  batch.reserve(regs.size());
  for (size_t i = 0; i < regs.size(); i++) {
    const Registration& r = regs[i];
    // Named only on failure: building it for every registration of a large
    // batch cost more than the checks themselves.
    auto which = [&] { return "registration " + std::to_string(i) + " (cookie " + std::to_string(r.cookie) + ")"; };
    if (r.start >= r.end) {
      return Error::Of(ErrorKind::kInvalid, EINVAL, which() + ": start " + Hex(r.start) + " must be below end " + Hex(r.end));
    }
    if (r.end > limit) {
      return Error::Of(ErrorKind::kInvalid, EINVAL, which() + ": end " + Hex(r.end) + " is beyond the user address space (" + Hex(limit) + ")");
    }
    if (!batch.insert(r.cookie).second) {
      return Error::Of(ErrorKind::kInvalid, EINVAL, which() + ": the cookie appears twice in the batch");
    }
    // The kernel ABI says EINVAL for a duplicate cookie; the wire says ALREADY_EXISTS.
    if (registered(r.cookie)) return Error::Of(ErrorKind::kExists, EINVAL, which() + ": the cookie is already registered");
  }
  if (held + regs.size() > max_registrations) {
    return Error::Of(ErrorKind::kExhausted, ENOSPC,
                     "registering " + std::to_string(regs.size()) + " more would exceed the limit of " +
                         std::to_string(max_registrations) + " registrations (" + std::to_string(held) + " held)");
  }
  return Ok{};
}

Status CheckUnregister(const std::vector<uint64_t>& cookies, const std::function<bool(uint64_t)>& registered) {
  std::unordered_set<uint64_t> batch;
  batch.reserve(cookies.size());
  for (uint64_t c : cookies) {
    if (!registered(c)) return Error::Of(ErrorKind::kNotFound, EINVAL, "cookie " + std::to_string(c) + " is not registered");
    if (!batch.insert(c).second) return Error::Of(ErrorKind::kInvalid, EINVAL, "cookie " + std::to_string(c) + " appears twice in the batch");
  }
  return Ok{};
}

}  // namespace ummu
