#include "last_error.h"

namespace umn {

namespace {

Status& Slot() {
  thread_local Status last;
  return last;
}

}  // namespace

int Fail(const Status& status) {
  Status& slot = Slot();
  // Assigning copies strings; if that cannot allocate, keep the number at least.
  try {
    slot = status;
  } catch (...) {
    slot.err = status.err;
    slot.grpc_code = status.grpc_code;
    slot.errno_name.clear();
    slot.message.clear();
  }
  return status.err;
}

int FailNoThrow(int errnum, const char* message) noexcept {
  Status& slot = Slot();
  slot.err = -errnum;
  slot.grpc_code = 0;
  slot.errno_name.clear();
  try {
    slot.message = message;
  } catch (...) {
    slot.message.clear();
  }
  return -errnum;
}

const Status& LastFailure() { return Slot(); }

}  // namespace umn
