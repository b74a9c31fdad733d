#include "storage/audit_log_id.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/blind_index.h"
#include "crypto/hmac.h"
#include "storage/ids.h"

namespace registry::storage {
namespace {

constexpr char kLogIdKey[] = "audit/log-id";
constexpr char kLogIdMacLabel[] = "kjc-registry/audit-log-id/v1|";

absl::StatusOr<std::string> LogIdMac(const crypto::SecretBytes& audit_log_key,
                                     absl::string_view log_id) {
  if (audit_log_key.size() != 32) return absl::InvalidArgumentError("audit log key: 32 bytes");
  ASSIGN_OR_RETURN(crypto::SecretBytes id_key,
                   crypto::DeriveKey(audit_log_key, kAuditLogIdKeyLabel));
  return crypto::HmacSha256(id_key, absl::StrCat(kLogIdMacLabel, log_id));
}

}  // namespace

absl::StatusOr<bool> HoldsNothing(const Database& db) {
  ASSIGN_OR_RETURN(const uint64_t cut_off, db.CutOffWrites());
  // CutOffWrites reads one meta row, present exactly when the count is not 0.
  int allowed = cut_off > 0 ? 1 : 0;
  for (int family = 0; family < static_cast<int>(Cf::kCount); ++family) {
    std::unique_ptr<Iterator> it = db.NewIterator(static_cast<Cf>(family), BlockCache::kBypass);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (--allowed < 0) return false;
    }
    RETURN_IF_ERROR(it->status());
  }
  return true;
}

absl::StatusOr<std::string> SealAuditLogId(const crypto::SecretBytes& audit_log_key,
                                           absl::string_view log_id) {
  if (!IsRegistryId(log_id)) return absl::InvalidArgumentError("not an audit log id");
  ASSIGN_OR_RETURN(std::string mac, LogIdMac(audit_log_key, log_id));
  return absl::StrCat(log_id, mac);
}

absl::Status NameNewAuditLog(Database* db, const crypto::SecretBytes& audit_log_key) {
  ASSIGN_OR_RETURN(const bool new_database, HoldsNothing(*db));
  if (!new_database) return absl::OkStatus();
  // The name is no change to what the registry holds (and on a new database there is no log yet
  // to record it in): it is written once, before anything else, and from then on every signed
  // head states it.
  ASSIGN_OR_RETURN(std::string log_id, NewRegistryId());
  ASSIGN_OR_RETURN(std::string sealed, SealAuditLogId(audit_log_key, log_id));
  Batch batch;
  batch.Put(Cf::kMeta, kLogIdKey, sealed);
  return db->Write(batch);
}

absl::StatusOr<std::string> ReadAuditLogId(const Database& db,
                                           const crypto::SecretBytes& audit_log_key) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, db.Get(Cf::kMeta, kLogIdKey));
  if (!stored.has_value()) {
    // Never drawn anew here: on a database that holds anything, a new name would present a
    // rolled-back log to auditors as another log instead of a truncated one.
    return absl::DataLossError(
        "the audit log id is missing from a database that holds data: it was deleted, and only "
        "the key file's holder can name the log; registryd will not give it a new name (restore "
        "a backup)");
  }
  // Malformed and unauthenticated are one error: either way the key file's holder did not write
  // it, and the log is not the one it says it is.
  const absl::string_view value = *stored;
  bool authentic = false;
  if (value.size() == kIdSize + crypto::kHmacSha256Size) {
    const absl::string_view log_id = value.substr(0, kIdSize);
    ASSIGN_OR_RETURN(std::string expected, LogIdMac(audit_log_key, log_id));
    authentic =
        IsRegistryId(log_id) && crypto::ConstantTimeEquals(value.substr(kIdSize), expected);
  }
  if (!authentic) {
    return absl::DataLossError(
        "the stored audit log id fails authentication: it was changed, copied from a database of "
        "another key file, or written without the key file; registryd will not serve the log "
        "under a name its key file did not give it (restore a backup)");
  }
  return std::string(value.substr(0, kIdSize));
}

absl::StatusOr<std::string> EnsureAuditLogId(Database* db,
                                             const crypto::SecretBytes& audit_log_key) {
  RETURN_IF_ERROR(NameNewAuditLog(db, audit_log_key));
  return ReadAuditLogId(*db, audit_log_key);
}

}  // namespace registry::storage
