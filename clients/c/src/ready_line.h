// The daemon's ready line on stdout:
// {"ready":true,"socket":"...","counterSocket":"..."}.
#pragma once

#include <string>

namespace umn {

struct ReadyLine {
  std::string socket;
  std::string counter_socket;
};

// True if line is the ready line; other lines (if the daemon ever prints
// any before it) are not errors, just not the line we wait for.
bool ParseReadyLine(const std::string& line, ReadyLine* out);

}  // namespace umn
