// struct umn_client: what one open client owns. Every member releases what it
// holds on destruction, in the reverse order of declaration: the counter page
// is unmapped, the channel closed, then the spawned daemon stopped, and last
// gRPC's teardown of the channel waited for (grpc_use.h).
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "counter_mapping.h"
#include "grpc_use.h"
#include "rpc_status.h"
#include "spawn.h"
#include "unregister_fences.h"
#include "ummunotify/client.h"
#include "ummunotify/v1/ummunotify.grpc.pb.h"

using UmmunotifyStub = ummunotify::v1::UmmunotifyService::Stub;

struct umn_client {
  umn::GrpcUse grpc_use;
  std::unique_ptr<umn::SpawnedDaemon> daemon;
  std::string socket;
  std::shared_ptr<grpc::Channel> channel;
  // Shared with streams, which may (wrongly) outlive the client.
  std::shared_ptr<UmmunotifyStub> stub;
  umn_engine engine = UMN_ENGINE_UNSPECIFIED;
  std::chrono::milliseconds call_timeout{30000};
  std::mutex counter_mu;
  std::unique_ptr<umn::CounterMapping> counter;
  std::atomic<const volatile uint64_t*> page{nullptr};
  // What we unregistered, shared with our streams (unregister_fences.h).
  std::shared_ptr<umn::UnregisterFences> fences = std::make_shared<umn::UnregisterFences>();

  // One unary call with the client's deadline.
  template <typename Request, typename Response>
  umn::Status Call(grpc::Status (UmmunotifyStub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + call_timeout);
    grpc::Status status = (stub.get()->*method)(&context, request, response);
    return umn::FromRpc(status, context);
  }
};
