// The calling thread's last failure, as umn_last_error() and friends report
// it. Per thread, like errno: a client shared by threads must not hand one
// thread's failure to another.
#pragma once

#include "status.h"

namespace umn {

// Remembers a failure for this thread and returns its negative errno, so a C
// entry point can end with `return Fail(status);`.
int Fail(const Status& status);

// As Fail, for exception handlers: never throws, even when out of memory.
int FailNoThrow(int errnum, const char* message) noexcept;

const Status& LastFailure();

}  // namespace umn
