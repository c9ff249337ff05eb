// A failed gRPC call as the C caller sees it: the daemon's errno where it
// sent one (trailing metadata), else an errno derived from the status code.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include "status.h"

namespace umn {

// The errno (positive) standing for a gRPC status code when the daemon sent none.
int ErrnoForGrpcCode(int code);

// The name of a gRPC status code, "UNKNOWN_STATUS" if it has none.
const char* GrpcCodeName(int code);

// Status of a finished call; reads the trailing metadata from context.
Status FromRpc(const grpc::Status& status, const grpc::ClientContext& context);

}  // namespace umn
