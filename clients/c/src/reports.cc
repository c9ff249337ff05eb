#include "reports.h"

#include <string.h>

namespace umn {

bool ToCReport(const ummunotify::v1::Report& report, umn_report* out) {
  memset(out, 0, sizeof *out);
  switch (report.kind_case()) {
    case ummunotify::v1::Report::kInvalidation: {
      const auto& inv = report.invalidation();
      out->kind = UMN_REPORT_INVALIDATION;
      out->cookie = inv.cookie();
      out->hint = inv.hint();
      out->start = inv.start();
      out->end = inv.end();
      // Each kind appears once; more than the room would be a protocol
      // change, and the first ones seen are the ones worth keeping.
      for (int i = 0; i < inv.sources_size() && out->n_sources < UMN_MAX_SOURCES; i++) {
        out->sources[out->n_sources++] = static_cast<umn_source>(inv.sources(i));
      }
      return true;
    }
    case ummunotify::v1::Report::kLast:
      out->kind = UMN_REPORT_LAST;
      out->counter = report.last().counter();
      return true;
    case ummunotify::v1::Report::kTargetExited:
      out->kind = UMN_REPORT_TARGET_EXITED;
      out->pid = report.target_exited().pid();
      return true;
    default:
      return false;
  }
}

}  // namespace umn
