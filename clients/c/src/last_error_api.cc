// The C accessors of the calling thread's last failure.

#include "last_error.h"
#include "rpc_status.h"
#include "ummunotify/client.h"

extern "C" {

UMN_API const char* umn_last_error(void) { return umn::LastFailure().message.c_str(); }

UMN_API int umn_last_status(void) { return umn::LastFailure().grpc_code; }

UMN_API const char* umn_last_errno_name(void) {
  const umn::Status& last = umn::LastFailure();
  return last.errno_name.empty() ? nullptr : last.errno_name.c_str();
}

UMN_API const char* umn_status_name(int code) { return umn::GrpcCodeName(code); }

}  // extern "C"
