// Blind indexes: equality search over encrypted fields without decrypting them.
//
// A blind index token is HMAC-SHA256 of a normalised value under a key that belongs to one index
// alone. Storing the token beside the ciphertext lets the registry find "all records with this
// personal number" by computing the token of the query; the token reveals nothing about the value
// to anyone without the key. Each index has its own key, derived from one root secret, so tokens
// of the same value in two indexes are unrelated and cannot be joined (CipherSweet, Acra).
//
// Key derivation, for index name N:
//   index key = HKDF-SHA256(ikm = root, salt = "kjc-registry-v1", info = "blind-index/" || N, 32)
//
//   ASSIGN_OR_RETURN(std::unique_ptr<BlindIndexer> pn,
//                    BlindIndexer::Create(root, "personal_number"));
//   ASSIGN_OR_RETURN(std::string token, pn->Token("1234567890"));  // 32 raw bytes
//
// DeriveKey gives other purpose-bound keys from the same root (e.g. signing seeds).
#ifndef REGISTRY_CRYPTO_BLIND_INDEX_H_
#define REGISTRY_CRYPTO_BLIND_INDEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/hmac.h"
#include "crypto/secret_bytes.h"

namespace registry::crypto {

// The HKDF salt of every key derived from the registry's root secret.
inline constexpr absl::string_view kKeyDerivationSalt = "kjc-registry-v1";
inline constexpr size_t kBlindIndexTokenSize = 32;

// Computes the tokens of one index. Immutable after Create, so thread-safe.
class BlindIndexer {
 public:
  // Returns an indexer whose key is derived from `derivation_root` for `index_name`. Fails with
  // InvalidArgument when the root is empty or the name is empty (an unnamed index would share
  // the key of any other careless caller); Internal when OpenSSL fails.
  static absl::StatusOr<std::unique_ptr<BlindIndexer>> Create(const SecretBytes& derivation_root,
                                                              absl::string_view index_name);

  // Returns the 32-byte token of `normalized_value`: HMAC-SHA256 under the index key. The caller
  // normalises (case, diacritics, script) first; equal inputs give equal tokens. Fails with
  // Internal only when OpenSSL fails.
  absl::StatusOr<std::string> Token(absl::string_view normalized_value) const;

 private:
  explicit BlindIndexer(std::unique_ptr<HmacSha256Key> key) : key_(std::move(key)) {}

  const std::unique_ptr<HmacSha256Key> key_;
};

// Returns the 32-byte key HKDF-SHA256(root, "kjc-registry-v1", purpose, 32). Fails with
// InvalidArgument when `root` or `purpose` is empty or `purpose` exceeds 1024 bytes; Internal
// when OpenSSL fails.
absl::StatusOr<SecretBytes> DeriveKey(const SecretBytes& root, absl::string_view purpose);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_BLIND_INDEX_H_
