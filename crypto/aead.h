// Aead: authenticated encryption with associated data, as a two-method interface.
//
// Encrypt protects the confidentiality and integrity of `plaintext` and binds the result to
// `associated_data`, which is authenticated but not encrypted and not part of the output.
// Decrypt succeeds only with the same associated data and an unmodified ciphertext.
// Implementations are thread-safe: one instance may serve many threads at once. (Tink's
// tink/aead.h is the model; tests substitute fakes.)
//
//   ASSIGN_OR_RETURN(std::unique_ptr<AesGcm> aead, AesGcm::Create(key));
//   ASSIGN_OR_RETURN(std::string ct, aead->Encrypt("secret", "record-42"));
//   ASSIGN_OR_RETURN(std::string pt, aead->Decrypt(ct, "record-42"));
#ifndef REGISTRY_CRYPTO_AEAD_H_
#define REGISTRY_CRYPTO_AEAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace registry::crypto {

class Aead {
 public:
  virtual ~Aead() = default;

  // Returns the ciphertext of `plaintext` bound to `associated_data`. The format is the
  // implementation's. Fails with InvalidArgument on oversized input and Internal on a library
  // failure.
  virtual absl::StatusOr<std::string> Encrypt(absl::string_view plaintext,
                                              absl::string_view associated_data) const = 0;

  // Returns the plaintext of `ciphertext`. Fails with DataLoss("authentication failed") when the
  // ciphertext is malformed or was modified, or when `associated_data` differs from the one given
  // to Encrypt; the message never says which.
  virtual absl::StatusOr<std::string> Decrypt(absl::string_view ciphertext,
                                              absl::string_view associated_data) const = 0;
};

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_AEAD_H_
