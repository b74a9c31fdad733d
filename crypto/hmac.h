// HMAC-SHA256 (RFC 2104, FIPS 198-1): a keyed 32-byte tag of a message.
//
// Used for blind indexes (blind_index.h): equal inputs under one key give equal tags, and without
// the key a tag reveals nothing about its input.
//
//   ASSIGN_OR_RETURN(std::string tag, HmacSha256(key, "message"));  // 32 raw bytes
//
// A key used for many messages is an HmacSha256Key: it is set up once, not once per message.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<HmacSha256Key> mac_key, HmacSha256Key::Create(key));
//   ASSIGN_OR_RETURN(std::string tag, mac_key->Mac("message"));  // as HmacSha256(key, ...)
#ifndef REGISTRY_CRYPTO_HMAC_H_
#define REGISTRY_CRYPTO_HMAC_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/internal/context_pool.h"
#include "crypto/secret_bytes.h"
#include "openssl/evp.h"

namespace registry::crypto {

inline constexpr size_t kHmacSha256Size = 32;

// Returns the 32-byte HMAC-SHA256 of `data` under `key` (any length, empty included). Fails with
// Internal only when OpenSSL fails (no HMAC implementation, out of memory).
absl::StatusOr<std::string> HmacSha256(const SecretBytes& key, absl::string_view data);

// One HMAC-SHA256 key for many messages. Each Mac restarts a context that was set up with the
// key once (the algorithm fetched, the key hashed into its inner and outer pads), taken from a
// pool (internal/context_pool.h); per message this costs a third of HmacSha256. Thread-safe.
class HmacSha256Key {
 public:
  // Fails with Internal only when OpenSSL fails (the key is set up once here, so that a key
  // OpenSSL refuses is found at once).
  static absl::StatusOr<std::unique_ptr<HmacSha256Key>> Create(const SecretBytes& key);

  // Returns HmacSha256(key, data). Fails with Internal only when OpenSSL fails.
  absl::StatusOr<std::string> Mac(absl::string_view data) const;

 private:
  explicit HmacSha256Key(const SecretBytes& key);

  const SecretBytes key_;
  const internal::ContextPool<EVP_MAC_CTX, EVP_MAC_CTX_free> contexts_;
};

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_HMAC_H_
