// Whether an audit event passes an AuditFilter (registry/v1/audit.proto): the one reading of a
// filter, used by registryd when it lists or exports events and by registry-cli when it filters
// a log it verified itself (`audit list --verified`), so that both select the same events.
//
// Every field set must match: actor, action, record id and check id exactly (the record id among
// the event's record_ids, the check id as the event's check_id, which only the event of that
// vetting check carries), the outcome as its status code, and the event's time within
// [from_time, to_time). An empty field matches every event.
#ifndef REGISTRY_COMMON_AUDIT_FILTER_H_
#define REGISTRY_COMMON_AUDIT_FILTER_H_

#include "absl/status/statusor.h"
#include "registry/v1/audit.pb.h"

namespace registry {

// InvalidArgument when a time of the filter, or the event's own time when the filter has a
// time, is not RFC 3339.
absl::StatusOr<bool> MatchesAuditFilter(const registry::v1::AuditFilter& filter,
                                        const registry::v1::AuditEvent& event);

// Whether the filter sets no field (every event matches).
bool FiltersNothing(const registry::v1::AuditFilter& filter);

}  // namespace registry

#endif  // REGISTRY_COMMON_AUDIT_FILTER_H_
