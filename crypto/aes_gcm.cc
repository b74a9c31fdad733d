#include "crypto/aes_gcm.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/internal/openssl_util.h"
#include "openssl/crypto.h"
#include "openssl/evp.h"

namespace registry::crypto {
namespace {

using internal::EvpCipherCtxPtr;
using internal::OpenSslError;

absl::Status AuthenticationFailed() {
  internal::ClearOpenSslErrors();
  return absl::DataLossError("authentication failed");
}

absl::Status CheckKeyAndNonce(const SecretBytes& key, absl::string_view nonce12) {
  if (key.size() != kAesGcmKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM key must be ", kAesGcmKeySize, " bytes"));
  }
  if (nonce12.size() != kAesGcmNonceSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM nonce must be ", kAesGcmNonceSize, " bytes"));
  }
  return absl::OkStatus();
}

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// A context keyed for AES-256-GCM with 12-byte nonces, for encryption or decryption, with no
// nonce yet: each message sets its own, which resets the GCM state and keeps the key schedule.
// Null when OpenSSL fails.
EvpCipherCtxPtr NewKeyedContext(const SecretBytes& key, bool encrypt) {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return nullptr;
  // The IV length defaults to 12 for GCM; set it anyway so the code does not rely on a default.
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kAesGcmNonceSize),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), nullptr, -1) != 1) {
    return nullptr;
  }
  return ctx;
}

// Feeds the associated data (no output).
bool UpdateAad(EVP_CIPHER_CTX* ctx, absl::string_view aad) {
  if (aad.empty()) return true;
  int len = 0;
  return EVP_CipherUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
}

// ciphertext || tag(16) of `plaintext` under a context from NewKeyedContext(key, true). The
// sizes are the caller's to check.
absl::StatusOr<std::string> SealWith(EVP_CIPHER_CTX* ctx, absl::string_view nonce12,
                                     absl::string_view plaintext, absl::string_view aad) {
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, Bytes(nonce12)) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM nonce");
  }
  if (!UpdateAad(ctx, aad)) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM aad update failed");
  }
  std::string out(plaintext.size() + kAesGcmTagSize, '\0');
  unsigned char* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx, dst, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) !=
            1 ||
        static_cast<size_t>(len) != plaintext.size()) {
      return OpenSslError(absl::StatusCode::kInternal, "AES-GCM encrypt update failed");
    }
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx, dst + plaintext.size(), &final_len) != 1 || final_len != 0) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM encrypt final failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagSize),
                          dst + plaintext.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM get tag failed");
  }
  return out;
}

// Opens `ct_and_tag` (at least a tag long; the sizes are the caller's to check) under a context
// from NewKeyedContext(key, false) into *plaintext, whose memory is reused. DataLoss
// ("authentication failed") when the tag does not verify, Internal when OpenSSL fails before;
// on any failure *plaintext is wiped and emptied, so no unauthenticated plaintext is left.
absl::Status OpenWith(EVP_CIPHER_CTX* ctx, absl::string_view nonce12,
                      absl::string_view ct_and_tag, absl::string_view aad,
                      std::string* plaintext) {
  const auto wipe = [plaintext] {
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
  };
  const absl::string_view ct = ct_and_tag.substr(0, ct_and_tag.size() - kAesGcmTagSize);
  const absl::string_view tag = ct_and_tag.substr(ct.size());
  // OpenSSL takes a non-const pointer for SET_TAG but only copies from it.
  unsigned char tag_copy[kAesGcmTagSize];
  std::copy(tag.begin(), tag.end(), tag_copy);
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, Bytes(nonce12)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAesGcmTagSize),
                          tag_copy) != 1 ||
      !UpdateAad(ctx, aad)) {
    wipe();
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM decrypt set-up failed");
  }
  // The previous plaintext is overwritten in place (resize keeps the capacity).
  plaintext->resize(ct.size());
  unsigned char* dst = reinterpret_cast<unsigned char*>(plaintext->data());
  int len = 0;
  if (!ct.empty() &&
      (EVP_DecryptUpdate(ctx, dst, &len, Bytes(ct), static_cast<int>(ct.size())) != 1 ||
       static_cast<size_t>(len) != ct.size())) {
    wipe();
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM decrypt update failed");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx, dst + ct.size(), &final_len) != 1) {
    wipe();
    return AuthenticationFailed();
  }
  return absl::OkStatus();
}

// Whether a nonce(12) || ciphertext || tag(16) input of these sizes can be opened at all.
bool OpenableSizes(absl::string_view ciphertext, absl::string_view aad) {
  return ciphertext.size() >= kAesGcmNonceSize + kAesGcmTagSize &&
         ciphertext.size() - kAesGcmNonceSize - kAesGcmTagSize <= kAesGcmMaxInputSize &&
         aad.size() <= kAesGcmMaxInputSize;
}

}  // namespace

absl::StatusOr<std::string> AesGcmSeal(const SecretBytes& key, absl::string_view nonce12,
                                       absl::string_view plaintext, absl::string_view aad) {
  RETURN_IF_ERROR(CheckKeyAndNonce(key, nonce12));
  if (plaintext.size() > kAesGcmMaxInputSize || aad.size() > kAesGcmMaxInputSize) {
    return absl::InvalidArgumentError("AES-GCM input too large");
  }
  EvpCipherCtxPtr ctx = NewKeyedContext(key, /*encrypt=*/true);
  if (ctx == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM initialisation failed");
  }
  return SealWith(ctx.get(), nonce12, plaintext, aad);
}

absl::StatusOr<std::string> AesGcmOpen(const SecretBytes& key, absl::string_view nonce12,
                                       absl::string_view ct_and_tag, absl::string_view aad) {
  RETURN_IF_ERROR(CheckKeyAndNonce(key, nonce12));
  if (ct_and_tag.size() < kAesGcmTagSize) return AuthenticationFailed();
  if (ct_and_tag.size() - kAesGcmTagSize > kAesGcmMaxInputSize ||
      aad.size() > kAesGcmMaxInputSize) {
    return AuthenticationFailed();
  }
  EvpCipherCtxPtr ctx = NewKeyedContext(key, /*encrypt=*/false);
  if (ctx == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM initialisation failed");
  }
  std::string out;
  RETURN_IF_ERROR(OpenWith(ctx.get(), nonce12, ct_and_tag, aad, &out));
  return out;
}

AesGcm::AesGcm(const SecretBytes& key)
    : key_(key),
      sealers_([this] { return NewKeyedContext(key_, /*encrypt=*/true); }),
      openers_([this] { return NewKeyedContext(key_, /*encrypt=*/false); }) {}

absl::StatusOr<std::unique_ptr<AesGcm>> AesGcm::Create(const SecretBytes& key) {
  if (key.size() != kAesGcmKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM key must be ", kAesGcmKeySize, " bytes"));
  }
  std::unique_ptr<AesGcm> aead(new AesGcm(key));
  // A key OpenSSL refuses is found here, not at the first message.
  EvpCipherCtxPtr first = aead->openers_.Take();
  if (first == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM initialisation failed");
  }
  aead->openers_.Give(std::move(first));
  return aead;
}

absl::StatusOr<std::string> AesGcm::Encrypt(absl::string_view plaintext,
                                            absl::string_view associated_data) const {
  if (plaintext.size() > kAesGcmMaxInputSize || associated_data.size() > kAesGcmMaxInputSize) {
    return absl::InvalidArgumentError("AES-GCM input too large");
  }
  ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kAesGcmNonceSize));
  EvpCipherCtxPtr ctx = sealers_.Take();
  if (ctx == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM initialisation failed");
  }
  ASSIGN_OR_RETURN(std::string sealed, SealWith(ctx.get(), nonce, plaintext, associated_data));
  sealers_.Give(std::move(ctx));
  return absl::StrCat(nonce, sealed);
}

absl::StatusOr<std::string> AesGcm::Decrypt(absl::string_view ciphertext,
                                            absl::string_view associated_data) const {
  if (!OpenableSizes(ciphertext, associated_data)) return AuthenticationFailed();
  EvpCipherCtxPtr ctx = openers_.Take();
  if (ctx == nullptr) return AuthenticationFailed();
  std::string plain;
  if (!OpenWith(ctx.get(), ciphertext.substr(0, kAesGcmNonceSize),
                ciphertext.substr(kAesGcmNonceSize), associated_data, &plain)
           .ok()) {
    // Every failure reads the same; the context, in an unknown state, is freed.
    return AuthenticationFailed();
  }
  openers_.Give(std::move(ctx));
  return plain;
}

absl::StatusOr<std::unique_ptr<AesGcmOpener>> AesGcmOpener::Create(const SecretBytes& key) {
  if (key.size() != kAesGcmKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM key must be ", kAesGcmKeySize, " bytes"));
  }
  EvpCipherCtxPtr ctx = NewKeyedContext(key, /*encrypt=*/false);
  if (ctx == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM initialisation failed");
  }
  return std::unique_ptr<AesGcmOpener>(new AesGcmOpener(ctx.release()));
}

AesGcmOpener::~AesGcmOpener() { EVP_CIPHER_CTX_free(ctx_); }

absl::StatusOr<std::string> AesGcmOpener::Open(absl::string_view ciphertext,
                                               absl::string_view associated_data) {
  std::string out;
  RETURN_IF_ERROR(OpenInto(ciphertext, associated_data, &out));
  return out;
}

absl::Status AesGcmOpener::OpenInto(absl::string_view ciphertext,
                                    absl::string_view associated_data, std::string* plaintext) {
  if (!OpenableSizes(ciphertext, associated_data) ||
      !OpenWith(ctx_, ciphertext.substr(0, kAesGcmNonceSize), ciphertext.substr(kAesGcmNonceSize),
                associated_data, plaintext)
           .ok()) {
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
    return AuthenticationFailed();
  }
  return absl::OkStatus();
}

}  // namespace registry::crypto
