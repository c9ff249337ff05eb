// Opening, attaching and closing a client: the handoff of clients/README.md.

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <string>
#include <vector>

#include "client_impl.h"
#include "engine_fd.h"
#include "guard.h"
#include "last_error.h"
#include "ptracer.h"

using umn::Fail;
using umn::Status;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);

const char* NonEmptyEnv(const char* name) {
  const char* value = getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

Status Connect(umn_client* client, const std::string& socket) {
  // gRPC would retry a missing socket until the deadline; say so at once.
  struct stat st;
  if (stat(socket.c_str(), &st) != 0) return Status::Sys(errno, "the daemon's socket " + socket);
  grpc::ChannelArguments args;
  // umn_read_events_all() may drain a million reports in one answer.
  args.SetMaxReceiveMessageSize(-1);
  // A Unix socket never goes through an HTTP proxy from the environment.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  client->socket = socket;
  client->channel = grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
  if (!client->channel->WaitForConnected(std::chrono::system_clock::now() + kConnectTimeout)) {
    return Status::Local(ECONNREFUSED, "no daemon answers on " + socket + " (waited " +
                                           std::to_string(kConnectTimeout.count()) + " s)");
  }
  client->stub = ummunotify::v1::UmmunotifyService::NewStub(client->channel);
  return Status::Ok();
}

// Maps the counter page once; later calls find it mapped.
Status MapCounter(umn_client* client) {
  std::lock_guard<std::mutex> lock(client->counter_mu);
  if (client->counter) return Status::Ok();
  ummunotify::v1::GetCounterEndpointResponse endpoint;
  Status s = client->Call(&UmmunotifyStub::GetCounterEndpoint, ummunotify::v1::GetCounterEndpointRequest(), &endpoint);
  if (!s.ok()) return s;
  s = umn::CounterMapping::Fetch(endpoint.socket_path(), endpoint.sealed_memfd(), &client->counter);
  if (!s.ok()) return s;
  client->page.store(client->counter->page(), std::memory_order_release);
  return Status::Ok();
}

Status Attach(umn_client* client) {
  umn::UniqueFd fd;
  Status s = umn::OpenEngineFd(client->engine, &fd);
  if (!s.ok()) return s;
  umn::NameDaemonPtracer(client->socket);
  ummunotify::v1::AttachRequest request;
  request.set_fd(fd.get());
  ummunotify::v1::AttachResponse response;
  s = client->Call(&UmmunotifyStub::Attach, request, &response);
  // Whatever the outcome: with the uffd engine a copy kept here would leave
  // this process blocked on a daemon that died.
  fd.reset();
  if (!s.ok()) return s;
  return MapCounter(client);
}

Status Open(const umn_open_options& opts, std::unique_ptr<umn_client>* out) {
  auto client = std::make_unique<umn_client>();
  if (opts.call_timeout_ms != 0) client->call_timeout = std::chrono::milliseconds(opts.call_timeout_ms);
  Status s = umn::ResolveEngine(opts.engine, &client->engine);
  if (!s.ok()) return s;

  std::string socket;
  if (opts.socket != nullptr) {
    socket = opts.socket;
  } else if (const char* env = NonEmptyEnv("UMMUNOTIFY_SOCKET")) {
    socket = env;
  } else {
    const char* exe = opts.daemon != nullptr ? opts.daemon : NonEmptyEnv("UMMUNOTIFYD");
    std::vector<std::string> args;
    for (size_t i = 0; i < opts.n_daemon_args; i++) {
      if (opts.daemon_args[i] == nullptr) return Status::Local(EINVAL, "daemon_args[" + std::to_string(i) + "] is NULL");
      args.emplace_back(opts.daemon_args[i]);
    }
    s = umn::SpawnedDaemon::Start(exe != nullptr ? exe : "ummunotifyd", getpid(), args, &client->daemon);
    if (!s.ok()) return s;
    socket = client->daemon->ready().socket;
  }

  s = Connect(client.get(), socket);
  if (!s.ok()) return s;
  if (!opts.no_attach) {
    s = Attach(client.get());
  } else {
    // A daemon another client already attached has a counter page to share;
    // one not attached yet answers FAILED_PRECONDITION, which is no error here.
    s = MapCounter(client.get());
    if (s.grpc_code == grpc::StatusCode::FAILED_PRECONDITION) s = Status::Ok();
  }
  if (!s.ok()) return s;
  *out = std::move(client);
  return Status::Ok();
}

}  // namespace

extern "C" {

UMN_API int umn_open(const umn_open_options* opts, umn_client** out) {
  return umn::Guarded([&]() -> int {
    if (out == nullptr) return Fail(Status::Local(EINVAL, "umn_open: out is NULL"));
    if (opts != nullptr && opts->n_daemon_args != 0 && opts->daemon_args == nullptr) {
      return Fail(Status::Local(EINVAL, "umn_open: n_daemon_args is set but daemon_args is NULL"));
    }
    const umn_open_options defaults{};
    std::unique_ptr<umn_client> client;
    // On failure the half-built client's destructor unmaps, disconnects and
    // stops a daemon it spawned.
    Status s = Open(opts != nullptr ? *opts : defaults, &client);
    if (!s.ok()) return Fail(s);
    *out = client.release();
    return 0;
  });
}

UMN_API void umn_close(umn_client* client) {
  // Destructors do not throw; the barrier is for the C caller's peace of mind.
  try {
    delete client;
  } catch (...) {
  }
}

UMN_API int umn_attach(umn_client* client) {
  return umn::Guarded([&]() -> int {
    if (client == nullptr) return Fail(Status::Local(EINVAL, "umn_attach: client is NULL"));
    Status s = Attach(client);
    return s.ok() ? 0 : Fail(s);
  });
}

UMN_API const char* umn_socket_path(const umn_client* client) {
  return client != nullptr ? client->socket.c_str() : nullptr;
}

UMN_API const volatile uint64_t* umn_counter_page(const umn_client* client) {
  return client != nullptr ? client->page.load(std::memory_order_acquire) : nullptr;
}

}  // extern "C"
