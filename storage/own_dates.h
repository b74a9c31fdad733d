// OwnDates and DatesRules: a conviction's own retention dates as the server's rules give them,
// and the rules a RecordStore reads its heads under. The server computes them
// (server/reference_data.h, ReferenceData::OwnDatesFor); storage seals them in each record's
// head and extends them by the person's other convictions (record_store.h, EffectiveDates).
#ifndef REGISTRY_STORAGE_OWN_DATES_H_
#define REGISTRY_STORAGE_OWN_DATES_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "registry/v1/records.pb.h"

namespace registry::storage {

// A conviction's own dates, as the retention rules give them (YYYY-MM-DD); the store extends
// them by the person's later convictions (EffectiveDates).
struct OwnDates {
  std::string employer_visible_until;
  std::string delete_after;
  std::string final_date;  // orders the person's convictions
  // The fingerprint of the retention rules that gave them, sealed with them in the head.
  std::string rules;
};

// The retention rules in force, for reading the heads: a head whose own dates were sealed under
// other rules (the re-dating after a change of the rules runs before anything is served, so only
// a head put back from before the change) has them computed from its current version's
// conviction by `own_dates` instead of read. Without `own_dates`, sealed dates are read as they
// are.
struct DatesRules {
  std::string fingerprint;
  std::function<absl::StatusOr<OwnDates>(const registry::v1::Conviction&)> own_dates;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_OWN_DATES_H_
