// Ed25519 signatures (RFC 8032): the registry signs vetting certificates and audit tree heads.
//
// A signer is built from a 32-byte seed (the RFC's "secret key"), typically derived from the root
// secret with DeriveKey (blind_index.h). Anyone holding the 32-byte public key verifies with
// Ed25519Verify. A key is named by its key id: the lowercase hex of the first 8 bytes of
// SHA-256(raw public key), 16 characters.
//
//   ASSIGN_OR_RETURN(SecretBytes seed, DeriveKey(root, "vetting-signing"));
//   ASSIGN_OR_RETURN(std::unique_ptr<Ed25519Signer> signer, Ed25519Signer::FromSeed(seed));
//   ASSIGN_OR_RETURN(std::string sig, signer->Sign(message));
//   RETURN_IF_ERROR(Ed25519Verify(signer->public_key(), message, sig));
#ifndef REGISTRY_CRYPTO_ED25519_H_
#define REGISTRY_CRYPTO_ED25519_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/internal/openssl_util.h"
#include "crypto/secret_bytes.h"

namespace registry::crypto {

inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;
inline constexpr size_t kEd25519KeyIdSize = 16;

// Holds one private key. Immutable after FromSeed, so thread-safe.
class Ed25519Signer {
 public:
  // Returns the signer for the 32-byte `seed32`. Fails with InvalidArgument when the seed is not
  // 32 bytes; Internal when OpenSSL fails.
  static absl::StatusOr<std::unique_ptr<Ed25519Signer>> FromSeed(const SecretBytes& seed32);

  // Returns the 64-byte signature of `message` (deterministic, RFC 8032). Fails with Internal
  // only when OpenSSL fails.
  absl::StatusOr<std::string> Sign(absl::string_view message) const;

  // The raw 32-byte public key.
  const std::string& public_key() const { return public_key_; }
  // Ed25519KeyId(public_key()): 16 lowercase hex characters.
  const std::string& key_id() const { return key_id_; }
  // The public key as a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) block.
  std::string PublicKeyPem() const { return public_key_pem_; }

 private:
  Ed25519Signer(internal::EvpPkeyPtr key, std::string public_key, std::string public_key_pem);

  const internal::EvpPkeyPtr key_;
  const std::string public_key_;
  const std::string key_id_;
  const std::string public_key_pem_;
};

// Returns OK when `signature64` is a valid signature of `message` under `public_key_raw32`.
// Fails with InvalidArgument when the key is not 32 bytes or the signature not 64 bytes, and with
// DataLoss("signature verification failed") when the signature does not verify.
absl::Status Ed25519Verify(absl::string_view public_key_raw32, absl::string_view message,
                           absl::string_view signature64);

// Returns the raw 32-byte public key in a PEM "PUBLIC KEY" block. Fails with InvalidArgument when
// the text is not PEM, is over 4 KiB, or holds a key of another type.
absl::StatusOr<std::string> Ed25519PublicKeyFromPem(absl::string_view pem);

// Returns the key id of a raw public key: lowercase hex of the first 8 bytes of its SHA-256.
// Defined for any input; callers pass 32-byte keys.
std::string Ed25519KeyId(absl::string_view public_key_raw32);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_ED25519_H_
