// HMAC-SHA256 (RFC 2104, FIPS 198-1): a keyed 32-byte tag of a message.
//
// Used for blind indexes (blind_index.h): equal inputs under one key give equal tags, and without
// the key a tag reveals nothing about its input.
//
//   ASSIGN_OR_RETURN(std::string tag, HmacSha256(key, "message"));  // 32 raw bytes
#ifndef REGISTRY_CRYPTO_HMAC_H_
#define REGISTRY_CRYPTO_HMAC_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secret_bytes.h"

namespace registry::crypto {

inline constexpr size_t kHmacSha256Size = 32;

// Returns the 32-byte HMAC-SHA256 of `data` under `key` (any length, empty included). Fails with
// Internal only when OpenSSL fails (no HMAC implementation, out of memory).
absl::StatusOr<std::string> HmacSha256(const SecretBytes& key, absl::string_view data);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_HMAC_H_
