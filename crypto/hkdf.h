// HKDF-SHA256 (RFC 5869): derives independent keys from one secret.
//
// Extract-then-expand: `salt` and `ikm` give a pseudorandom key, which `info` (the purpose, e.g.
// "blind-index/personal_number") expands into `length` output bytes. Different `info` values give
// unrelated keys.
//
//   ASSIGN_OR_RETURN(SecretBytes k, HkdfSha256(root, "kjc-registry-v1", "blind-index/pn", 32));
#ifndef REGISTRY_CRYPTO_HKDF_H_
#define REGISTRY_CRYPTO_HKDF_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secret_bytes.h"

namespace registry::crypto {

// 255 * SHA-256 output size: the most HKDF-SHA256 can produce (RFC 5869 section 2.3).
inline constexpr size_t kHkdfSha256MaxLength = 255 * 32;
// OpenSSL 3.0 refuses longer info strings.
inline constexpr size_t kHkdfMaxInfoSize = 1024;

// Returns `length` bytes of HKDF-SHA256(ikm, salt, info). An empty salt means "no salt" (a string
// of zero bytes, RFC 5869 section 2.2). Fails with InvalidArgument when `length` is 0 or above
// 8160, when `ikm` is empty, or when `info` is longer than 1024 bytes; Internal when OpenSSL fails.
absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm, absl::string_view salt,
                                       absl::string_view info, size_t length);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_HKDF_H_
