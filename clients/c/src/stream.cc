// StreamEvents behind a pull interface with a timeout: gRPC's asynchronous
// API on a completion queue private to the stream, so no thread of ours waits
// on the stream between calls, and closing cancels at once.

#include <errno.h>

#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_stream.h>

#include <deque>

#include "client_impl.h"
#include "grpc_use.h"
#include "guard.h"
#include "last_error.h"
#include "reports.h"

using umn::Fail;
using umn::Status;

namespace {

// Completion-queue tags: which operation finished.
enum Op : intptr_t { kStart = 1, kRead = 2, kFinish = 3 };

void* Tag(Op op) { return reinterpret_cast<void*>(static_cast<intptr_t>(op)); }

gpr_timespec DeadlineAfter(int timeout_ms) {
  if (timeout_ms < 0) return gpr_inf_future(GPR_CLOCK_MONOTONIC);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

}  // namespace

struct umn_stream {
  // Released last: a stream may close after its client, with the channel.
  umn::GrpcUse grpc_use;
  // Keeps the channel alive for as long as the call exists.
  std::shared_ptr<UmmunotifyStub> stub;
  grpc::ClientContext context;
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::ClientAsyncReader<ummunotify::v1::StreamEventsResponse>> reader;
  ummunotify::v1::StreamEventsResponse message;
  // Received reports with the epoch of their batch, checked against the
  // client's unregistrations as they are handed out.
  std::deque<std::pair<umn_report, uint64_t>> ready;
  std::shared_ptr<umn::UnregisterFences> fences;
  uint64_t fence_reader = 0;
  // The one operation in flight (gRPC allows one read at a time), or 0.
  intptr_t pending = 0;
  // The daemon's first message came: the subscription is in place.
  bool subscribed = false;
  bool finished = false;
  grpc::Status final_status;

  // Waits for the operation in flight until deadline; false on timeout.
  bool Complete(gpr_timespec deadline) {
    void* tag;
    bool ok;
    grpc::CompletionQueue::NextStatus next = cq.AsyncNext(&tag, &ok, deadline);
    if (next != grpc::CompletionQueue::GOT_EVENT) return false;
    pending = 0;
    switch (static_cast<Op>(reinterpret_cast<intptr_t>(tag))) {
      case kStart:
        if (ok) {
          Read();
        } else {
          reader->Finish(&final_status, Tag(kFinish));
          pending = kFinish;
        }
        break;
      case kRead:
        if (ok) {
          subscribed = true;
          Buffer();
          Read();
        } else {
          // The call failed or the server ended the stream: learn how.
          reader->Finish(&final_status, Tag(kFinish));
          pending = kFinish;
        }
        break;
      case kFinish:
        finished = true;
        break;
    }
    return true;
  }

  void Read() {
    message.Clear();
    reader->Read(&message, Tag(kRead));
    pending = kRead;
  }

  void Buffer() {
    for (const auto& wire : message.reports()) {
      umn_report report;
      if (umn::ToCReport(wire, &report)) ready.emplace_back(report, message.epoch());
    }
  }

  ~umn_stream() {
    if (reader) {
      // Cancelling makes the operation in flight finish at once (not ok);
      // Finish then collects the CANCELLED status.
      if (!finished) context.TryCancel();
      while (!finished && pending != 0) Complete(gpr_inf_future(GPR_CLOCK_MONOTONIC));
    }
    cq.Shutdown();
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) {
    }
    if (fences) fences->CloseReader(fence_reader);
  }
};

extern "C" {

UMN_API int umn_stream_open(umn_client* client, umn_stream** out) {
  return umn::Guarded([&]() -> int {
    if (client == nullptr || out == nullptr) return Fail(Status::Local(EINVAL, "umn_stream_open: client and out must not be NULL"));
    auto stream = std::make_unique<umn_stream>();
    stream->stub = client->stub;
    stream->fences = client->fences;
    stream->fence_reader = client->fences->OpenReader();
    stream->reader = stream->stub->PrepareAsyncStreamEvents(&stream->context, ummunotify::v1::StreamEventsRequest(), &stream->cq);
    stream->reader->StartCall(Tag(kStart));
    stream->pending = kStart;
    // The daemon's first message says the subscription is in place: wait
    // for it, so that every invalidation after this returns is delivered.
    const gpr_timespec deadline = DeadlineAfter(static_cast<int>(client->call_timeout.count()));
    while (!stream->subscribed && !stream->finished) {
      if (!stream->Complete(deadline)) return Fail(Status::Local(ETIMEDOUT, "umn_stream_open: the daemon did not confirm the subscription in time"));
    }
    if (!stream->subscribed) {
      if (stream->final_status.ok()) return Fail(Status::Local(EPIPE, "umn_stream_open: the stream ended before it began (the daemon stopped?)"));
      return Fail(umn::FromRpc(stream->final_status, stream->context));
    }
    *out = stream.release();
    return 0;
  });
}

UMN_API int umn_stream_next(umn_stream* stream, umn_report* out, int timeout_ms) {
  return umn::Guarded([&]() -> int {
    if (stream == nullptr || out == nullptr) return Fail(Status::Local(EINVAL, "umn_stream_next: stream and out must not be NULL"));
    const gpr_timespec deadline = DeadlineAfter(timeout_ms);
    for (;;) {
      if (!stream->ready.empty()) {
        auto [report, epoch] = stream->ready.front();
        stream->ready.pop_front();
        if (!stream->fences->Admits(stream->fence_reader, report.kind == UMN_REPORT_INVALIDATION, report.cookie, epoch)) continue;
        *out = report;
        return 1;
      }
      if (stream->finished) {
        if (stream->final_status.ok()) {
          return Fail(Status::Local(EPIPE, "the stream has ended (the target exited or the daemon stopped)"));
        }
        return Fail(umn::FromRpc(stream->final_status, stream->context));
      }
      if (!stream->Complete(deadline)) return 0;
    }
  });
}

UMN_API void umn_stream_close(umn_stream* stream) {
  try {
    delete stream;
  } catch (...) {
  }
}

}  // extern "C"
