// The exception barrier of every extern "C" entry point: C callers cannot
// catch, and an exception unwinding into C frames is undefined behaviour.
#pragma once

#include <errno.h>

#include <new>
#include <utility>

#include "last_error.h"

namespace umn {

// Runs body (returning an int or ssize_t error convention) and turns any
// escaping exception into a recorded negative errno.
template <typename Body>
auto Guarded(Body&& body) noexcept -> decltype(body()) {
  try {
    return std::forward<Body>(body)();
  } catch (const std::bad_alloc&) {
    return FailNoThrow(ENOMEM, "out of memory");
  } catch (...) {
    return FailNoThrow(EIO, "internal error in libummunotify-client");
  }
}

}  // namespace umn
