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

absl::StatusOr<std::vector<std::string>> NewRegistryIds(size_t n) {
  constexpr size_t kRaw = kIdSize / 2;
  ASSIGN_OR_RETURN(const std::string raw, crypto::RandomBytes(n * kRaw));
  std::vector<std::string> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ids.push_back(absl::BytesToHexString(absl::string_view(raw).substr(i * kRaw, kRaw)));
  }
  return ids;
}

}  // namespace registry::storage
