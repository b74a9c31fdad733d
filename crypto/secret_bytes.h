// SecretBytes: the one type that holds key bytes.
//
// It owns its bytes and overwrites them with OPENSSL_cleanse whenever it lets go of them: on
// destruction, when assigned over, and when moved from (the moved-from object is left empty).
// It cannot be printed or converted to a string implicitly, and it compares in constant time.
// (Tink's SecretData plays the same role.)
//
//   ASSIGN_OR_RETURN(SecretBytes dek, SecretBytes::Random(32));
//   ASSIGN_OR_RETURN(std::string ct, AesGcmSeal(dek, nonce, plaintext, aad));
//   if (dek.Equals(other_key)) { ... }
#ifndef REGISTRY_CRYPTO_SECRET_BYTES_H_
#define REGISTRY_CRYPTO_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/internal/cleansing_allocator.h"

namespace registry::crypto {

class SecretBytes {
 public:
  // An empty secret.
  SecretBytes() = default;
  // Copies `bytes`. The caller remains responsible for wiping its own copy.
  explicit SecretBytes(absl::string_view bytes);

  SecretBytes(const SecretBytes& other) = default;
  SecretBytes& operator=(const SecretBytes& other);
  // Leaves `other` empty; its bytes are moved, not copied, so no second copy remains.
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  // Zeroises the bytes (through the cleansing allocator).
  ~SecretBytes() = default;

  // Returns `n` bytes from OpenSSL's CSPRNG (RAND_bytes). Fails with InvalidArgument when `n`
  // exceeds INT_MAX and with Internal when the generator fails.
  static absl::StatusOr<SecretBytes> Random(size_t n);

  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  // The key bytes; valid until this object is modified or destroyed. Never null, even if empty.
  const uint8_t* data() const;
  // The key bytes as a view, for passing to primitives. Callers must not log, print, store or
  // copy this view into a non-zeroising container.
  absl::string_view view() const;

  // Returns whether both hold the same bytes. Constant time in the contents (CRYPTO_memcmp); the
  // lengths are not secret.
  bool Equals(const SecretBytes& other) const;

 private:
  internal::CleansingBytes bytes_;
};

// Returns whether a and b hold the same bytes, in time independent of the contents
// (CRYPTO_memcmp). Returns false when the lengths differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Returns `n` bytes from OpenSSL's CSPRNG, for non-secret randomness such as nonces and ids.
// Fails with InvalidArgument when `n` exceeds INT_MAX and with Internal when the generator fails.
absl::StatusOr<std::string> RandomBytes(size_t n);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_SECRET_BYTES_H_
