// umn::GrpcUse: this library's use of gRPC's process-wide state, held by
// every client and stream, so that the last release can wait for gRPC to
// finish tearing down what the library used.
//
// Why: a core channel keeps its own reference to gRPC's process state until
// its last internal reference (subchannel, transport, pending closures) is
// dropped, and that often happens on one of gRPC's threads after the channel
// object is gone. A program that exits right after umn_close() would then
// exit with those threads in the middle of destroying the transport. When
// nothing but this library used gRPC, the last GrpcUse to go waits (bounded)
// until gRPC reports itself shut down; when the application uses gRPC too,
// its state is not ours to wait for, and nothing waits.
#pragma once

namespace umn {

class GrpcUse {
 public:
  GrpcUse();
  ~GrpcUse();
  GrpcUse(const GrpcUse&) = delete;
  GrpcUse& operator=(const GrpcUse&) = delete;
};

}  // namespace umn
