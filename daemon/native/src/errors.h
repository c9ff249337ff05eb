// Error values passed from the native code to the bindings: a message a person
// can act on, the errno where a system call failed, and a kind that the daemon
// maps to a gRPC status.  Plain values: they never cross threads as exceptions.
#pragma once

#include <string>
#include <utility>

namespace ummu {

enum class ErrorKind { kNone, kInvalid, kExists, kNotFound, kExhausted, kPrecondition, kPermission };

struct Error {
  ErrorKind kind = ErrorKind::kNone;
  int err = 0;  // errno, 0 when none
  std::string message;

  static Error Sys(int err, std::string message, ErrorKind kind = ErrorKind::kNone) {
    return Error{kind, err, std::move(message)};
  }
  static Error Of(ErrorKind kind, int err, std::string message) { return Error{kind, err, std::move(message)}; }
};

// Either a value or an Error.
template <typename T>
class Result {
 public:
  Result(T value) : ok_(true), value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : ok_(false), error_(std::move(error)) {}  // NOLINT
  bool ok() const { return ok_; }
  T& value() { return value_; }
  const Error& error() const { return error_; }

 private:
  bool ok_;
  T value_{};
  Error error_;
};

struct Ok {};
using Status = Result<Ok>;

const char* ErrnoName(int err);
const char* KindName(ErrorKind kind);
// "<what>: <strerror> (<ERRNO>)"
std::string SysMessage(const std::string& what, int err);

}  // namespace ummu
