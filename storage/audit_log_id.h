// The audit log's own name, signed into every tree head (crypto/tree_head.h): 32 lowercase hex
// characters drawn at random (ids.h) the first time registryd opens its database, and kept in the
// database's meta family (key "audit/log-id") ever after, so a backup restored into it keeps it too.
//
// A signed size and root say nothing about which log they belong to. Two installations (or a dev
// server started on a fresh data folder) with heads of different sizes look to an auditor's
// client exactly like one log truncated; with the log id in the signed bytes the client tells
// them apart, and a truncation or fork of the same log stays an error.
//
//   ASSIGN_OR_RETURN(std::string log_id, EnsureAuditLogId(db));
#ifndef REGISTRY_STORAGE_AUDIT_LOG_ID_H_
#define REGISTRY_STORAGE_AUDIT_LOG_ID_H_

#include <string>

#include "absl/status/statusor.h"
#include "storage/database.h"

namespace registry::storage {

// The stored log id; when there is none yet, a new random one, written (synced) before it is
// returned. DataLoss when the stored value is not 32 lowercase hex characters.
absl::StatusOr<std::string> EnsureAuditLogId(Database* db);

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_AUDIT_LOG_ID_H_
