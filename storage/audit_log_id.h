// The audit log's own name, signed into every tree head (crypto/tree_head.h): 32 lowercase hex
// characters drawn at random (ids.h) the first time registryd opens its database, and kept in the
// database's meta family ever after, so a backup restored into it keeps it too.
//
// A signed size and root say nothing about which log they belong to. Two installations (or a dev
// server started on a fresh data folder) with heads of different sizes look to an auditor's
// client exactly like one log truncated; with the log id in the signed bytes the client tells
// them apart, and a truncation or fork of the same log stays an error.
//
// That only holds while the id cannot be changed by whoever can change the database. An auditor's
// client treats a new id under a known key as another log (a warning), not as a truncated one (a
// failure): so someone who rolled the data folder back to an older copy and then deleted or
// replaced the id would turn "log truncated" into a one-time note. The id is therefore stored
// with a MAC under a key derived from the key file (which the database never holds):
//
//   meta key "audit/log-id" -> id (32 hex characters)
//                              || HMAC-SHA256(id key, kLogIdMacLabel || id)
//   id key = crypto::DeriveKey(audit log key, kAuditLogIdKeyLabel), the audit log key being the
//            one AuditLog::Open takes (kAuditLogKeyPurpose from the key file's root)
//
// A new id is drawn only for a database that holds nothing at all, before anything else is
// written to it (NameNewAuditLog): from then on, a database without an authenticated id is one
// whose id was removed or replaced, and ReadAuditLogId refuses it with DataLoss. Only the key
// file's holder can name the log.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(options));
//   RETURN_IF_ERROR(NameNewAuditLog(db.get(), audit_log_key));    // a new database: named now
//   ... RecordStore::Create (the key file and schema checks) ...
//   ASSIGN_OR_RETURN(std::string log_id, ReadAuditLogId(*db, audit_log_key));
#ifndef REGISTRY_STORAGE_AUDIT_LOG_ID_H_
#define REGISTRY_STORAGE_AUDIT_LOG_ID_H_

#include <string>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "storage/database.h"

namespace registry::storage {

// The HKDF purpose of the id's MAC key, derived from the audit log key as the log's own state
// key is (kAuditStateKeyLabel, storage/audit_log.h).
inline constexpr char kAuditLogIdKeyLabel[] = "mac/audit-log-id/v1";

// Whether the database holds no row at all, in any family, but Database::Open's count of writes
// a crash cut off (a first start killed during its first write leaves only that): a database
// NameNewAuditLog would name as new. Reads only, so a database opened read only can be asked;
// such a database is new only when nothing outside it says otherwise (an erasure ledger with
// entries, an audit watermark that counts events, backups), which the start holds it to before
// it opens the folder to write (server/check_config.h RefuseAnEmptyFolderWithAPast).
absl::StatusOr<bool> HoldsNothing(const Database& db);

// On a database that holds nothing (what Database::Open leaves in a new folder, even after a
// first start that a crash cut off), writes a new random id with its MAC, synced; on any other,
// does nothing. Call it right after Database::Open, before anything else writes: a database named
// later, after other rows, could not be told apart from one whose id was deleted.
// `audit_log_key` is 32 bytes, derived from the key file with kAuditLogKeyPurpose.
absl::Status NameNewAuditLog(Database* db, const crypto::SecretBytes& audit_log_key);

// The stored log id, once its MAC checks out under `audit_log_key`. DataLoss when the stored
// value is malformed or fails authentication (edited, copied from a database of another key
// file, or written without the key file), and when there is none (NameNewAuditLog names every
// new database before anything else is written to it, so the id was deleted).
absl::StatusOr<std::string> ReadAuditLogId(const Database& db,
                                           const crypto::SecretBytes& audit_log_key);

// NameNewAuditLog, then ReadAuditLogId: for tools that open a database and check nothing else
// first (e.g. registry-bench's preload, which writes a new database registryd then serves).
absl::StatusOr<std::string> EnsureAuditLogId(Database* db,
                                             const crypto::SecretBytes& audit_log_key);

// The stored form of `log_id` under `audit_log_key`, as NameNewAuditLog writes it: for tools
// and tests that act as the key file's holder would. Without the key nobody can make one.
absl::StatusOr<std::string> SealAuditLogId(const crypto::SecretBytes& audit_log_key,
                                           absl::string_view log_id);

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_AUDIT_LOG_ID_H_
