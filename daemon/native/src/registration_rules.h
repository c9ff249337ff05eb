// The checks every engine makes before it touches the kernel, so that both
// refuse the same requests with the same status, errno and words, and a
// refused batch changes nothing (DESIGN 3 and 5).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine.h"
#include "errors.h"

namespace ummu {

// Register: start < end, end within user space, each cookie once in the
// batch and not already registered, and room under the cap.
Status CheckRegister(const std::vector<Registration>& regs, const std::function<bool(uint64_t)>& registered,
                     size_t held, size_t max_registrations);

// Unregister: every cookie registered, each once in the batch.
Status CheckUnregister(const std::vector<uint64_t>& cookies, const std::function<bool(uint64_t)>& registered);

// "0x1f000", and "[0x1000, 0x2000)".
std::string Hex(uint64_t v);
std::string RangeText(uint64_t a, uint64_t b);

}  // namespace ummu
