#include "storage/ids.h"

#include "absl/strings/escaping.h"
#include "common/status_macros.h"
#include "crypto/secret_bytes.h"

namespace registry::storage {

bool IsRegistryId(absl::string_view text) {
  if (text.size() != kIdSize) return false;
  for (char c : text) {
    // Lowercase only: one id has one spelling, so that it is one key in every family.
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::StatusOr<std::string> NewRegistryId() {
  ASSIGN_OR_RETURN(const std::string raw, crypto::RandomBytes(kIdSize / 2));
  return absl::BytesToHexString(raw);
}

}  // namespace registry::storage
