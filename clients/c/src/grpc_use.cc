#include "grpc_use.h"

#include <grpc/grpc.h>

#include <chrono>
#include <mutex>
#include <thread>

namespace umn {
namespace {

// Teardown takes milliseconds; the bound is for a channel or call leaked
// elsewhere in the process, which keeps gRPC up for good.
constexpr auto kShutdownWait = std::chrono::seconds(5);
constexpr auto kPoll = std::chrono::milliseconds(1);

std::mutex mu;
int users = 0;
// gRPC was not initialized when our first user arrived: we are its only user.
bool sole_user = false;

bool LastUserGone() {
  std::lock_guard<std::mutex> lock(mu);
  return users == 0;
}

}  // namespace

GrpcUse::GrpcUse() {
  std::lock_guard<std::mutex> lock(mu);
  if (users++ == 0) sole_user = grpc_is_initialized() == 0;
}

GrpcUse::~GrpcUse() {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (--users != 0 || !sole_user) return;
  }
  // grpc_is_initialized() blocks while a shutdown runs, so 0 means the
  // teardown is complete. A new client opened meanwhile ends the wait.
  const auto deadline = std::chrono::steady_clock::now() + kShutdownWait;
  while (grpc_is_initialized() != 0 && LastUserGone() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace umn
