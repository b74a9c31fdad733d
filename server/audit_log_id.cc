#include "server/audit_log_id.h"

#include "absl/strings/escaping.h"
#include "common/status_macros.h"
#include "crypto/secret_bytes.h"
#include "server/call_gate.h"

namespace registry::server {
namespace {

constexpr char kLogIdKey[] = "audit/log-id";

}  // namespace

absl::StatusOr<std::string> EnsureAuditLogId(storage::Database* db) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, db->Get(storage::Cf::kMeta, kLogIdKey));
  if (stored.has_value()) {
    // A record id and a log id share their shape: 16 random bytes in lowercase hex.
    if (!RecordIdShaped(*stored)) return absl::DataLossError("the stored audit log id is damaged");
    return *std::move(stored);
  }
  // The name is no change to what the registry holds (and on a new database there is no log yet
  // to record it in): it is written once, before anything is served, and from then on every
  // signed head states it.
  ASSIGN_OR_RETURN(const std::string raw, crypto::RandomBytes(16));
  const std::string log_id = absl::BytesToHexString(raw);
  rocksdb::WriteBatch batch;
  batch.Put(db->cf(storage::Cf::kMeta), kLogIdKey, log_id);
  RETURN_IF_ERROR(db->Write(&batch));
  return log_id;
}

}  // namespace registry::server
