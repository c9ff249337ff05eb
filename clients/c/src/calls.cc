// The daemon's unary calls besides Attach: Register, Unregister, ReadEvents
// and GetInfo, each one round trip.

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "client_impl.h"
#include "guard.h"
#include "last_error.h"
#include "reports.h"

using umn::Fail;
using umn::Status;

namespace {

Status NoClient(const char* function) { return Status::Local(EINVAL, std::string(function) + ": client is NULL"); }

Status Register(umn_client* client, const umn_range* ranges, size_t n) {
  ummunotify::v1::RegisterRequest request;
  request.mutable_registrations()->Reserve(static_cast<int>(n < INT32_MAX ? n : INT32_MAX));
  for (size_t i = 0; i < n; i++) {
    const umn_range& r = ranges[i];
    // The wire carries [start, end): a range that wraps has no end to send.
    if (r.length > UINT64_MAX - r.addr) {
      return Status::Local(EINVAL, "range " + std::to_string(i) + " (cookie " + std::to_string(r.cookie) +
                                       "): addr + length overflows 64 bits");
    }
    auto* reg = request.add_registrations();
    reg->set_cookie(r.cookie);
    reg->set_start(r.addr);
    reg->set_end(r.addr + r.length);
  }
  ummunotify::v1::RegisterResponse response;
  return client->Call(&UmmunotifyStub::Register, request, &response);
}

Status Unregister(umn_client* client, const uint64_t* cookies, size_t n) {
  ummunotify::v1::UnregisterRequest request;
  for (size_t i = 0; i < n; i++) request.add_cookies(cookies[i]);
  ummunotify::v1::UnregisterResponse response;
  Status s = client->Call(&UmmunotifyStub::Unregister, request, &response);
  if (s.ok()) client->fences->Record(cookies, n, response.epoch());
  return s;
}

Status ReadEvents(umn_client* client, uint32_t max_reports, ummunotify::v1::ReadEventsResponse* response) {
  ummunotify::v1::ReadEventsRequest request;
  request.set_max_reports(max_reports);
  return client->Call(&UmmunotifyStub::ReadEvents, request, response);
}

// Copies strings into one malloc'd array of malloc'd strings, so a C caller
// frees it without knowing about C++.
template <typename Repeated>
bool CopyStrings(const Repeated& from, char*** to, size_t* n) {
  *to = nullptr;
  *n = 0;
  if (from.empty()) return true;
  char** array = static_cast<char**>(calloc(static_cast<size_t>(from.size()), sizeof(char*)));
  if (array == nullptr) return false;
  *to = array;
  for (const std::string& s : from) {
    array[*n] = strdup(s.c_str());
    if (array[*n] == nullptr) return false;
    ++*n;
  }
  return true;
}

void FreeStrings(char** array, size_t n) {
  for (size_t i = 0; i < n; i++) free(array[i]);
  free(array);
}

}  // namespace

extern "C" {

UMN_API int umn_register(umn_client* client, uint64_t addr, uint64_t length, uint64_t cookie) {
  umn_range range{addr, length, cookie};
  return umn_register_batch(client, &range, 1);
}

UMN_API int umn_register_batch(umn_client* client, const umn_range* ranges, size_t n) {
  return umn::Guarded([&]() -> int {
    if (client == nullptr) return Fail(NoClient("umn_register"));
    if (ranges == nullptr && n != 0) return Fail(Status::Local(EINVAL, "umn_register_batch: ranges is NULL"));
    Status s = Register(client, ranges, n);
    return s.ok() ? 0 : Fail(s);
  });
}

UMN_API int umn_unregister(umn_client* client, uint64_t cookie) { return umn_unregister_batch(client, &cookie, 1); }

UMN_API int umn_unregister_batch(umn_client* client, const uint64_t* cookies, size_t n) {
  return umn::Guarded([&]() -> int {
    if (client == nullptr) return Fail(NoClient("umn_unregister"));
    if (cookies == nullptr && n != 0) return Fail(Status::Local(EINVAL, "umn_unregister_batch: cookies is NULL"));
    Status s = Unregister(client, cookies, n);
    return s.ok() ? 0 : Fail(s);
  });
}

UMN_API ssize_t umn_read_events(umn_client* client, umn_report* out, size_t max_reports) {
  return umn::Guarded([&]() -> ssize_t {
    if (client == nullptr) return Fail(NoClient("umn_read_events"));
    // 0 means "no limit" on the wire: with a fixed buffer that would lose reports.
    if (max_reports == 0 || out == nullptr) {
      return Fail(Status::Local(EINVAL, "umn_read_events: needs a buffer of at least one report (umn_read_events_all takes no limit)"));
    }
    const uint32_t limit = max_reports < UINT32_MAX ? static_cast<uint32_t>(max_reports) : UINT32_MAX;
    ummunotify::v1::ReadEventsResponse response;
    Status s = ReadEvents(client, limit, &response);
    if (!s.ok()) return Fail(s);
    if (static_cast<size_t>(response.reports_size()) > limit) {
      return Fail(Status::Local(EPROTO, "the daemon answered " + std::to_string(response.reports_size()) +
                                            " reports to a request for at most " + std::to_string(limit)));
    }
    ssize_t n = 0;
    for (const auto& report : response.reports()) {
      if (umn::ToCReport(report, &out[n])) n++;
    }
    return n;
  });
}

UMN_API ssize_t umn_read_events_all(umn_client* client, umn_report** out) {
  return umn::Guarded([&]() -> ssize_t {
    if (client == nullptr) return Fail(NoClient("umn_read_events_all"));
    if (out == nullptr) return Fail(Status::Local(EINVAL, "umn_read_events_all: out is NULL"));
    *out = nullptr;
    // One reply holds at most the daemon's max_reports_per_read: a reply of
    // invalidations alone means more are queued, so ask until Last comes.
    std::vector<umn_report> all;
    for (;;) {
      ummunotify::v1::ReadEventsResponse response;
      Status s = ReadEvents(client, 0, &response);
      if (!s.ok()) return Fail(s);
      bool ended = response.reports_size() == 0;
      for (const auto& report : response.reports()) {
        if (!report.has_invalidation()) ended = true;
        umn_report r{};
        if (umn::ToCReport(report, &r)) all.push_back(r);
      }
      if (ended) break;
    }
    if (all.empty()) return 0;
    auto* reports = static_cast<umn_report*>(calloc(all.size(), sizeof(umn_report)));
    if (reports == nullptr) return Fail(Status::Local(ENOMEM, "umn_read_events_all: no memory for the reports"));
    std::copy(all.begin(), all.end(), reports);
    *out = reports;
    return static_cast<ssize_t>(all.size());
  });
}

UMN_API int umn_info(umn_client* client, struct umn_info* out) {
  return umn::Guarded([&]() -> int {
    if (client == nullptr) return Fail(NoClient("umn_info"));
    if (out == nullptr) return Fail(Status::Local(EINVAL, "umn_info: out is NULL"));
    ummunotify::v1::GetInfoResponse info;
    Status s = client->Call(&UmmunotifyStub::GetInfo, ummunotify::v1::GetInfoRequest(), &info);
    if (!s.ok()) return Fail(s);
    struct umn_info result {};
    result.target_pid = info.target_pid();
    result.target_alive = info.target_alive();
    result.engine = static_cast<umn_engine>(info.engine());
    result.counter = info.counter();
    result.registrations = info.registrations();
    result.max_registrations = info.max_registrations();
    result.pending_reports = info.pending_reports();
    result.subscribers = info.subscribers();
    for (int source : info.sources()) {
      if (source > 0 && source < 32) result.sources |= 1u << source;
    }
    for (int mapping : info.watchable_mappings()) {
      if (mapping > 0 && mapping < 32) result.watchable_mappings |= 1u << mapping;
    }
    if (!CopyStrings(info.features(), &result.features, &result.n_features) ||
        !CopyStrings(info.blind_spots(), &result.blind_spots, &result.n_blind_spots)) {
      umn_info_release(&result);
      return Fail(Status::Local(ENOMEM, "umn_info: no memory for the strings"));
    }
    *out = result;
    return 0;
  });
}

UMN_API void umn_info_release(struct umn_info* info) {
  if (info == nullptr) return;
  FreeStrings(info->features, info->n_features);
  FreeStrings(info->blind_spots, info->n_blind_spots);
  memset(info, 0, sizeof *info);
}

}  // extern "C"
