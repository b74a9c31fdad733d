// Audit events as an auditor's client reads them, shared by registry-cli's `audit` commands and
// registry-console's audit pages: the event an entry's hashed bytes hold (never the server's own
// decoded copy, which nothing verifies), method names short and long, role and status names.
//
//   HashedEvent hashed = DecodeHashedEvent(entry);
//   if (hashed.event) Show(*hashed.event);
//   for (const std::string& warning : hashed.warnings) Warn(warning);
#ifndef REGISTRY_CLIENT_AUDIT_EVENTS_H_
#define REGISTRY_CLIENT_AUDIT_EVENTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/common.pb.h"

namespace registry::client {

// The largest gRPC status code (UNAUTHENTICATED); an event's outcome is one of 0..this.
inline constexpr int kMaxStatusCode = 16;

// "/registry.v1.RecordService/GetRecord" for "GetRecord" (the method names of the v1 API are
// unique across its services); a full name as it is; nullopt for a name no service has.
std::optional<std::string> FullMethodName(absl::string_view action);

// Every method of the v1 API by its short name ("CreateRecord", ...), in the order of the files.
std::vector<std::string> ApiMethodNames();

// "GetRecord" for "/registry.v1.RecordService/GetRecord"; anything else as it is.
std::string ShortMethod(absl::string_view action);

// "clerk" for ROLE_CLERK, "unspecified" for ROLE_UNSPECIFIED.
std::string RoleName(v1::Role role);

// An entry's event as the log's Merkle tree commits to it: decoded here from event_bytes, the
// leaf that `audit verify` hashes. The server may also send its own decoded copy
// (AuditEntry.event; not when asked for bytes_only, as this project's clients ask), but nothing
// verifies that copy: a server could list an innocent event while the tree holds another. So a
// client shows only what it decoded, and says when a copy it was sent differs.
struct HashedEvent {
  // nullopt when event_bytes is not an AuditEvent.
  std::optional<v1::AuditEvent> event;
  // One line each, starting "WARNING: event N: ".
  std::vector<std::string> warnings;
  // The server sent a decoded copy, and it is not what event_bytes say.
  bool copy_differs = false;
};
// `shown` says, in the warning of a copy that differs, which of the two the output holds.
HashedEvent DecodeHashedEvent(const v1::AuditEntry& entry,
                              absl::string_view shown = "the hashed event is shown");

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_AUDIT_EVENTS_H_
