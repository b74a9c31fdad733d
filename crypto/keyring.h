// Keyring: the versioned key-encryption keys (KEKs) that wrap each record's data key (DEK).
//
// Envelope encryption: every record is encrypted under its own random 32-byte DEK
// (record_cipher.h), and only the DEK is encrypted ("wrapped") under a KEK. Rotating the KEK then
// means rewrapping 65-byte DEKs, never re-encrypting records (Vault transit `rewrap`), and
// destroying a record's wrapped DEK makes its data unreadable (crypto-shredding). Each wrapped
// DEK names the KEK version that wrapped it, so old versions stay readable until every DEK has
// been rewrapped and the old KEK can be dropped from the key file.
//
// Wrapped-DEK format, 65 bytes:
//   byte  0       0x01, the format version
//   bytes 1..4    KEK version, unsigned 32-bit big-endian (>= 1)
//                 (bytes 0..4 together are the 5-byte key-id prefix of Tink's output prefix)
//   bytes 5..16   AES-GCM nonce, 12 random bytes
//   bytes 17..48  AES-256-GCM ciphertext of the 32-byte DEK under that KEK
//   bytes 49..64  AES-GCM tag, 16 bytes
// Associated data (authenticated, not stored):
//   "kjc-registry/dek/v1" (19 ASCII bytes) || 0x00 || record_id || bytes 0..4 above
// Binding the record id means a wrapped DEK copied to another record fails to unwrap; binding
// the prefix means its version bytes cannot be altered.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Keyring> ring, Keyring::Create(std::move(keks), 2));
//   ASSIGN_OR_RETURN(SecretBytes dek, Keyring::NewDek());
//   ASSIGN_OR_RETURN(std::string wrapped, ring->WrapDek(dek, record_id));
//   ...
//   ASSIGN_OR_RETURN(SecretBytes same_dek, ring->UnwrapDek(wrapped, record_id));
#ifndef REGISTRY_CRYPTO_KEYRING_H_
#define REGISTRY_CRYPTO_KEYRING_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/aes_gcm.h"
#include "crypto/secret_bytes.h"

namespace registry::crypto {

inline constexpr uint8_t kWrappedDekFormat = 0x01;
// Both are AES-256-GCM keys: record_cipher.h seals a record under its DEK, and the KEK seals the
// DEK.
inline constexpr size_t kDekSize = kAesGcmKeySize;
inline constexpr size_t kKekSize = kAesGcmKeySize;
inline constexpr size_t kWrappedDekPrefixSize = 5;
inline constexpr size_t kWrappedDekSize = 65;

// Immutable after Create, so thread-safe.
class Keyring {
 public:
  // Returns a keyring of `keks` (version, 32-byte key) wrapping new DEKs under `current_version`.
  // Fails with InvalidArgument when the list is empty, a version is 0 or repeated, a key is not
  // 32 bytes, or `current_version` is not in the list.
  static absl::StatusOr<std::unique_ptr<Keyring>> Create(
      std::vector<std::pair<uint32_t, SecretBytes>> keks, uint32_t current_version);

  // The version that WrapDek and Rewrap use.
  uint32_t current_version() const { return current_version_; }

  // Every KEK version in the ring, ascending.
  std::vector<uint32_t> versions() const {
    std::vector<uint32_t> out;
    for (const auto& entry : keks_) out.push_back(entry.first);
    return out;
  }

  // Returns the 65-byte wrapped form of `dek` under the current KEK, bound to `record_id`. Fails
  // with InvalidArgument unless the DEK is 32 bytes; Internal when OpenSSL fails.
  absl::StatusOr<std::string> WrapDek(const SecretBytes& dek, absl::string_view record_id) const;

  // Returns the DEK inside `wrapped`. Fails with DataLoss("unknown key version N") when the KEK
  // version it names is not in this ring (the data is unreadable with this key file, hence data
  // loss rather than a precondition), and with DataLoss("authentication failed") when it is not
  // 65 bytes, has another format byte, was modified, or belongs to another record id.
  absl::StatusOr<SecretBytes> UnwrapDek(absl::string_view wrapped,
                                        absl::string_view record_id) const;

  // Returns `wrapped` rewrapped under the current KEK (always with a fresh nonce, even when it
  // already uses the current version). Only the DEK is decrypted; record data is untouched.
  // Fails as UnwrapDek does.
  absl::StatusOr<std::string> Rewrap(absl::string_view wrapped, absl::string_view record_id) const;

  // Returns the KEK version named by `wrapped` without authenticating it (use it to plan a
  // rotation, never to trust the data). Fails with DataLoss("malformed wrapped key") when the
  // input is not 65 bytes or does not start with the format byte 0x01.
  static absl::StatusOr<uint32_t> WrappedVersion(absl::string_view wrapped);

  // Returns a fresh random 32-byte DEK. Fails with Internal when the CSPRNG fails.
  static absl::StatusOr<SecretBytes> NewDek();

 private:
  Keyring(std::map<uint32_t, std::unique_ptr<AesGcm>> keks, uint32_t current_version)
      : keks_(std::move(keks)), current_version_(current_version) {}

  // Each KEK as an AesGcm, whose contexts are keyed once: a wrapped DEK is the prefix followed
  // by exactly what AesGcm::Encrypt lays out (nonce, ciphertext, tag).
  const std::map<uint32_t, std::unique_ptr<AesGcm>> keks_;
  const uint32_t current_version_;
};

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_KEYRING_H_
