// Wire reports to C reports.
#pragma once

#include "ummunotify/client.h"
#include "ummunotify/v1/ummunotify.pb.h"

namespace umn {

// Fills out from a wire report; false for a kind this library does not know
// (a newer daemon), which callers skip rather than misreport.
bool ToCReport(const ummunotify::v1::Report& report, umn_report* out);

}  // namespace umn
