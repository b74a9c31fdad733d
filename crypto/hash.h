// SHA-256, one shot.
//
//   std::string digest = Sha256("abc");  // 32 raw bytes
#ifndef REGISTRY_CRYPTO_HASH_H_
#define REGISTRY_CRYPTO_HASH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace registry::crypto {

inline constexpr size_t kSha256Size = 32;

// Returns the 32-byte SHA-256 digest of data. SHA-256 cannot fail on valid input; an OpenSSL
// failure (out of memory) aborts the process rather than return a wrong digest.
std::string Sha256(absl::string_view data);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_HASH_H_
