#include "common/audit_filter.h"

#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/time_format.h"

namespace registry {

absl::StatusOr<bool> MatchesAuditFilter(const registry::v1::AuditFilter& f,
                                        const registry::v1::AuditEvent& e) {
  if (!f.actor().empty() && e.actor() != f.actor()) return false;
  if (!f.action().empty() && e.action() != f.action()) return false;
  if (f.outcome_plus_one() != 0 && e.outcome() != f.outcome_plus_one() - 1) return false;
  if (!f.check_id().empty() && e.check_id() != f.check_id()) return false;
  if (!f.record_id().empty()) {
    bool found = false;
    for (const auto& id : e.record_ids()) found = found || id == f.record_id();
    if (!found) return false;
  }
  if (!f.from_time().empty() || !f.to_time().empty()) {
    ASSIGN_OR_RETURN(absl::Time t, ParseInstant(e.time()));
    if (!f.from_time().empty()) {
      ASSIGN_OR_RETURN(absl::Time from, ParseInstant(f.from_time()));
      if (t < from) return false;
    }
    if (!f.to_time().empty()) {
      ASSIGN_OR_RETURN(absl::Time to, ParseInstant(f.to_time()));
      if (t >= to) return false;
    }
  }
  return true;
}

bool FiltersNothing(const registry::v1::AuditFilter& f) {
  return f.actor().empty() && f.action().empty() && f.outcome_plus_one() == 0 &&
         f.record_id().empty() && f.check_id().empty() && f.from_time().empty() &&
         f.to_time().empty();
}

}  // namespace registry
