// PolicyFingerprint: the SHA-256 of the access policy file last in force, kept in the meta
// family, so that registryd tells at start whether the policy file was changed while it was
// stopped (a principal added, a deny-list entry removed) and writes that to the audit log before
// it serves (server/registry_server.cc RecordPolicyAtStart):
//
//   meta key "policy/in-force" -> sha256 (64 lowercase hex characters, as sha256sum prints it)
//                                 " " hex HMAC-SHA256(key, kPolicyFingerprintLabel || sha256)
//   key = crypto::DeriveKey(the key file's root, kPolicyFingerprintKeyPurpose)
//
// A reload that puts a policy in force stages the new fingerprint into the write of its audit
// event (Stage); a new database, whose audit log is still empty, records the policy it starts
// with without an event (InitForEmptyLog).
//
// The fingerprint is neither secret nor personal: the reload events state it too. It is
// authenticated under the key file, which the database never holds, so that whoever can write
// the data folder but not read the key file cannot plant the fingerprint of a policy file they
// edited while registryd was stopped, and so keep the change out of the audit log. Deleting or
// damaging the row hides nothing: the next start finds no fingerprint it can trust, and its only
// effect is one event more than there would have been ("no earlier policy recorded"). A row put
// back from an earlier copy of this database together with the policy file of that time goes
// unnoticed at start; the audit log's last policy event still names the later fingerprint,
// which an auditor compares with sha256sum of the file.
//
//   ASSIGN_OR_RETURN(auto fingerprint, PolicyFingerprint::Create(db, key));
//   ASSIGN_OR_RETURN(std::optional<std::string> last, fingerprint->Get());
//   RETURN_IF_ERROR(fingerprint->Stage(sha256, &write));  // committed with the event
#ifndef REGISTRY_STORAGE_POLICY_FINGERPRINT_H_
#define REGISTRY_STORAGE_POLICY_FINGERPRINT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/hmac.h"
#include "crypto/secret_bytes.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/pending_write.h"

namespace registry::storage {

// The HKDF purpose of the row's MAC key (crypto::DeriveKey from the key file's root).
inline constexpr char kPolicyFingerprintKeyPurpose[] = "mac/policy-fingerprint/v1";
// The row's key in the meta family (for tests that delete or plant it as an insider would).
inline constexpr char kPolicyFingerprintKey[] = "policy/in-force";

// Thread-safe.
class PolicyFingerprint {
 public:
  // `db` is not owned and must outlive this object; `key` is 32 bytes, derived with
  // kPolicyFingerprintKeyPurpose.
  static absl::StatusOr<std::unique_ptr<PolicyFingerprint>> Create(
      Database* db, const crypto::SecretBytes& key);

  // The fingerprint of the policy last in force; nullopt when none is recorded (a database of a
  // registryd before this row, or the row deleted). DataLoss when the row fails authentication
  // (edited, or written without the key file).
  absl::StatusOr<std::optional<std::string>> Get() const;

  // Stages `sha256` (lowercase hex) as the fingerprint of the policy in force, to commit with
  // the audit event that puts it in force. InvalidArgument when it is not 64 hex characters.
  absl::Status Stage(absl::string_view sha256, PendingWrite* w) const;

  // Writes `sha256` in a write of its own, without an event: for a new database, whose first
  // policy is no change to record. FailedPrecondition once `log` holds an event.
  absl::Status InitForEmptyLog(absl::string_view sha256, const AuditLog& log) const;

 private:
  PolicyFingerprint(Database* db, std::unique_ptr<crypto::HmacSha256Key> key)
      : db_(db), key_(std::move(key)) {}
  // The stored value for `sha256`.
  absl::StatusOr<std::string> Seal(absl::string_view sha256) const;

  Database* const db_;
  const std::unique_ptr<crypto::HmacSha256Key> key_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_POLICY_FINGERPRINT_H_
