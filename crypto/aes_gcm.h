// AES-256-GCM, the registry's authenticated cipher (NIST SP 800-38D).
//
// AesGcm is the Aead for callers that want a self-contained ciphertext with a random nonce:
//
//   byte 0..11   nonce, 12 random bytes (RAND_bytes)
//   byte 12..    ciphertext, as long as the plaintext
//   last 16      authentication tag
//
// Random 96-bit nonces are safe for up to 2^32 messages under one key (SP 800-38D 8.3); the
// registry uses a fresh key per record (see keyring.h), far below that.
//
// AesGcmSeal and AesGcmOpen are the raw primitive with a caller-chosen nonce, for formats that lay
// out their own bytes (keyring.h, record_cipher.h) and for known-answer tests. A nonce must never
// be reused with the same key.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<AesGcm> aead, AesGcm::Create(key));
//   ASSIGN_OR_RETURN(std::string ct, aead->Encrypt(plaintext, aad));
//
//   ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kAesGcmNonceSize));
//   ASSIGN_OR_RETURN(std::string ct_and_tag, AesGcmSeal(key, nonce, plaintext, aad));
#ifndef REGISTRY_CRYPTO_AES_GCM_H_
#define REGISTRY_CRYPTO_AES_GCM_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/aead.h"
#include "crypto/internal/context_pool.h"
#include "crypto/secret_bytes.h"
#include "openssl/evp.h"
#include "openssl/types.h"

namespace registry::crypto {

inline constexpr size_t kAesGcmKeySize = 32;
inline constexpr size_t kAesGcmNonceSize = 12;
inline constexpr size_t kAesGcmTagSize = 16;
// Largest plaintext or associated data accepted (OpenSSL's update calls take an int length).
inline constexpr size_t kAesGcmMaxInputSize = size_t{1} << 30;

// Thread-safe. The key is expanded once per OpenSSL context, and the contexts are reused from
// one message to the next (internal/context_pool.h): each Encrypt and Decrypt sets only its
// nonce.
class AesGcm final : public Aead {
 public:
  // Returns an AesGcm that holds a copy of `key`. Fails with InvalidArgument unless the key is
  // exactly 32 bytes (AES-256; shorter AES keys are not offered), Internal when OpenSSL fails.
  static absl::StatusOr<std::unique_ptr<AesGcm>> Create(const SecretBytes& key);

  // Returns nonce(12) || ciphertext || tag(16). Fails with InvalidArgument when the plaintext or
  // associated data exceeds kAesGcmMaxInputSize, Internal when OpenSSL fails.
  absl::StatusOr<std::string> Encrypt(absl::string_view plaintext,
                                      absl::string_view associated_data) const override;

  // Returns the plaintext. Every failure, including input shorter than nonce and tag, a wrong
  // tag and (never expected) a library failure, is DataLoss("authentication failed").
  absl::StatusOr<std::string> Decrypt(absl::string_view ciphertext,
                                      absl::string_view associated_data) const override;

 private:
  explicit AesGcm(const SecretBytes& key);

  const SecretBytes key_;
  const internal::ContextPool<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free> sealers_;
  const internal::ContextPool<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free> openers_;
};

// Opens many AesGcm::Encrypt ciphertexts under one key with one OpenSSL context, keyed once: for
// a scan of many small ciphertexts (the audit log), where setting up a context for each costs
// more than the decryption itself. Not thread-safe: one per scan.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<AesGcmOpener> opener, AesGcmOpener::Create(key));
//   for (...) ASSIGN_OR_RETURN(std::string pt, opener->Open(ct, aad));
class AesGcmOpener {
 public:
  // InvalidArgument unless the key is 32 bytes; Internal when OpenSSL fails.
  static absl::StatusOr<std::unique_ptr<AesGcmOpener>> Create(const SecretBytes& key);
  ~AesGcmOpener();
  AesGcmOpener(const AesGcmOpener&) = delete;
  AesGcmOpener& operator=(const AesGcmOpener&) = delete;

  // As AesGcm::Decrypt: every failure is DataLoss("authentication failed"), and the opener
  // stays usable after one.
  absl::StatusOr<std::string> Open(absl::string_view ciphertext,
                                   absl::string_view associated_data);

  // As Open, into *plaintext, whose memory a scan reuses from one ciphertext to the next. On
  // failure *plaintext is wiped and emptied.
  absl::Status OpenInto(absl::string_view ciphertext, absl::string_view associated_data,
                        std::string* plaintext);

 private:
  explicit AesGcmOpener(evp_cipher_ctx_st* ctx) : ctx_(ctx) {}
  evp_cipher_ctx_st* const ctx_;
};

// Returns ciphertext || tag(16) of `plaintext` under the 32-byte `key` and 12-byte `nonce12`,
// authenticating `aad`. Fails with InvalidArgument for a key that is not 32 bytes, a nonce that is
// not 12 bytes, or input over kAesGcmMaxInputSize; Internal when OpenSSL fails.
absl::StatusOr<std::string> AesGcmSeal(const SecretBytes& key, absl::string_view nonce12,
                                       absl::string_view plaintext, absl::string_view aad);

// Returns the plaintext of `ct_and_tag` (ciphertext || tag(16)). Fails with
// DataLoss("authentication failed") when the input is shorter than a tag or the tag does not
// verify (modified ciphertext, tag, nonce or aad, or another key); InvalidArgument for a key that
// is not 32 bytes or a nonce that is not 12 bytes; Internal when OpenSSL fails otherwise. No
// unauthenticated plaintext is ever returned.
absl::StatusOr<std::string> AesGcmOpen(const SecretBytes& key, absl::string_view nonce12,
                                       absl::string_view ct_and_tag, absl::string_view aad);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_AES_GCM_H_
