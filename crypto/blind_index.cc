#include "crypto/blind_index.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"

namespace registry::crypto {
namespace {

constexpr size_t kDerivedKeySize = 32;

}  // namespace

absl::StatusOr<SecretBytes> DeriveKey(const SecretBytes& root, absl::string_view purpose) {
  if (purpose.empty()) return absl::InvalidArgumentError("key purpose is empty");
  return HkdfSha256(root, kKeyDerivationSalt, purpose, kDerivedKeySize);
}

absl::StatusOr<std::unique_ptr<BlindIndexer>> BlindIndexer::Create(
    const SecretBytes& derivation_root, absl::string_view index_name) {
  if (index_name.empty()) return absl::InvalidArgumentError("blind index name is empty");
  ASSIGN_OR_RETURN(SecretBytes key,
                   DeriveKey(derivation_root, absl::StrCat("blind-index/", index_name)));
  ASSIGN_OR_RETURN(std::unique_ptr<HmacSha256Key> mac_key, HmacSha256Key::Create(key));
  return std::unique_ptr<BlindIndexer>(new BlindIndexer(std::move(mac_key)));
}

absl::StatusOr<std::string> BlindIndexer::Token(absl::string_view normalized_value) const {
  return key_->Mac(normalized_value);
}

}  // namespace registry::crypto
