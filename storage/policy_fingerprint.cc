#include "storage/policy_fingerprint.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace registry::storage {
namespace {

constexpr char kPolicyFingerprintLabel[] = "kjc-registry/policy-fingerprint/v1|";
constexpr size_t kSha256HexSize = 64;

bool IsSha256Hex(absl::string_view s) {
  if (s.size() != kSha256HexSize) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PolicyFingerprint>> PolicyFingerprint::Create(
    Database* db, const crypto::SecretBytes& key) {
  if (key.size() != 32) return absl::InvalidArgumentError("policy fingerprint key: 32 bytes");
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> mac_key,
                   crypto::HmacSha256Key::Create(key));
  return std::unique_ptr<PolicyFingerprint>(new PolicyFingerprint(db, std::move(mac_key)));
}

absl::StatusOr<std::string> PolicyFingerprint::Seal(absl::string_view sha256) const {
  if (!IsSha256Hex(sha256)) {
    return absl::InvalidArgumentError("policy fingerprint: 64 lowercase hex characters");
  }
  ASSIGN_OR_RETURN(const std::string mac, key_->Mac(absl::StrCat(kPolicyFingerprintLabel,
                                                                 sha256)));
  return absl::StrCat(sha256, " ", absl::BytesToHexString(mac));
}

absl::StatusOr<std::optional<std::string>> PolicyFingerprint::Get() const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, db_->Get(Cf::kMeta, kPolicyFingerprintKey));
  if (!stored.has_value()) return std::optional<std::string>();
  const std::vector<absl::string_view> parts = absl::StrSplit(*stored, ' ');
  if (parts.size() != 2 || !IsSha256Hex(parts[0])) {
    return absl::DataLossError("the fingerprint of the policy last in force fails authentication");
  }
  ASSIGN_OR_RETURN(const std::string sealed, Seal(parts[0]));
  if (!crypto::ConstantTimeEquals(sealed, *stored)) {
    return absl::DataLossError("the fingerprint of the policy last in force fails authentication");
  }
  return std::optional<std::string>(std::string(parts[0]));
}

absl::Status PolicyFingerprint::Stage(absl::string_view sha256, PendingWrite* w) const {
  ASSIGN_OR_RETURN(const std::string sealed, Seal(sha256));
  w->batch()->Put(Cf::kMeta, kPolicyFingerprintKey, sealed);
  return absl::OkStatus();
}

absl::Status PolicyFingerprint::InitForEmptyLog(absl::string_view sha256,
                                                const AuditLog& log) const {
  // Once the log holds events, a policy that differs from the last one is a change to record
  // with its event (Stage), never a row written on the side.
  if (log.CurrentHead().size > 0) {
    return absl::FailedPreconditionError("the audit log already holds events");
  }
  ASSIGN_OR_RETURN(const std::string sealed, Seal(sha256));
  Batch batch;
  batch.Put(Cf::kMeta, kPolicyFingerprintKey, sealed);
  return db_->Write(batch);
}

}  // namespace registry::storage
