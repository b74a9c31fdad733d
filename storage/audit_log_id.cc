#include "storage/audit_log_id.h"

#include "common/status_macros.h"
#include "storage/ids.h"

namespace registry::storage {
namespace {

constexpr char kLogIdKey[] = "audit/log-id";

}  // namespace

absl::StatusOr<std::string> EnsureAuditLogId(Database* db) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, db->Get(Cf::kMeta, kLogIdKey));
  if (stored.has_value()) {
    if (!IsRegistryId(*stored)) return absl::DataLossError("the stored audit log id is damaged");
    return *std::move(stored);
  }
  // The name is no change to what the registry holds (and on a new database there is no log yet
  // to record it in): it is written once, before anything is served, and from then on every
  // signed head states it.
  ASSIGN_OR_RETURN(std::string log_id, NewRegistryId());
  Batch batch;
  batch.Put(Cf::kMeta, kLogIdKey, log_id);
  RETURN_IF_ERROR(db->Write(batch));
  return log_id;
}

}  // namespace registry::storage
