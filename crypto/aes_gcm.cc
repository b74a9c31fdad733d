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

// Creates a context keyed for AES-256-GCM with a 12-byte nonce, for encryption or decryption.
absl::StatusOr<EvpCipherCtxPtr> NewContext(const SecretBytes& key, absl::string_view nonce12,
                                           bool encrypt) {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_CIPHER_CTX_new");
  // The IV length defaults to 12 for GCM; set it anyway so the code does not rely on a default.
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kAesGcmNonceSize),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), Bytes(nonce12), -1) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM initialisation failed");
  }
  return ctx;
}

// Feeds the associated data (no output).
bool UpdateAad(EVP_CIPHER_CTX* ctx, absl::string_view aad) {
  if (aad.empty()) return true;
  int len = 0;
  return EVP_CipherUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1;
}

}  // namespace

absl::StatusOr<std::string> AesGcmSeal(const SecretBytes& key, absl::string_view nonce12,
                                       absl::string_view plaintext, absl::string_view aad) {
  RETURN_IF_ERROR(CheckKeyAndNonce(key, nonce12));
  if (plaintext.size() > kAesGcmMaxInputSize || aad.size() > kAesGcmMaxInputSize) {
    return absl::InvalidArgumentError("AES-GCM input too large");
  }
  ASSIGN_OR_RETURN(EvpCipherCtxPtr ctx, NewContext(key, nonce12, /*encrypt=*/true));
  if (!UpdateAad(ctx.get(), aad)) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM aad update failed");
  }
  std::string out(plaintext.size() + kAesGcmTagSize, '\0');
  unsigned char* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), dst, &len, Bytes(plaintext),
                          static_cast<int>(plaintext.size())) != 1 ||
        static_cast<size_t>(len) != plaintext.size()) {
      return OpenSslError(absl::StatusCode::kInternal, "AES-GCM encrypt update failed");
    }
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), dst + plaintext.size(), &final_len) != 1 || final_len != 0) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM encrypt final failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagSize),
                          dst + plaintext.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM get tag failed");
  }
  return out;
}

absl::StatusOr<std::string> AesGcmOpen(const SecretBytes& key, absl::string_view nonce12,
                                       absl::string_view ct_and_tag, absl::string_view aad) {
  RETURN_IF_ERROR(CheckKeyAndNonce(key, nonce12));
  if (ct_and_tag.size() < kAesGcmTagSize) return AuthenticationFailed();
  if (ct_and_tag.size() - kAesGcmTagSize > kAesGcmMaxInputSize ||
      aad.size() > kAesGcmMaxInputSize) {
    return AuthenticationFailed();
  }
  const absl::string_view ct = ct_and_tag.substr(0, ct_and_tag.size() - kAesGcmTagSize);
  const absl::string_view tag = ct_and_tag.substr(ct.size());

  ASSIGN_OR_RETURN(EvpCipherCtxPtr ctx, NewContext(key, nonce12, /*encrypt=*/false));
  // OpenSSL takes a non-const pointer for SET_TAG but only copies from it.
  unsigned char tag_copy[kAesGcmTagSize];
  std::copy(tag.begin(), tag.end(), tag_copy);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAesGcmTagSize),
                          tag_copy) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM set tag failed");
  }
  if (!UpdateAad(ctx.get(), aad)) {
    return OpenSslError(absl::StatusCode::kInternal, "AES-GCM aad update failed");
  }
  std::string out(ct.size(), '\0');
  unsigned char* dst = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  if (!ct.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), dst, &len, Bytes(ct), static_cast<int>(ct.size())) != 1 ||
        static_cast<size_t>(len) != ct.size()) {
      OPENSSL_cleanse(out.data(), out.size());
      return OpenSslError(absl::StatusCode::kInternal, "AES-GCM decrypt update failed");
    }
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), dst + ct.size(), &final_len) != 1) {
    // Wipe the unauthenticated plaintext before it is freed.
    OPENSSL_cleanse(out.data(), out.size());
    return AuthenticationFailed();
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AesGcm>> AesGcm::Create(const SecretBytes& key) {
  if (key.size() != kAesGcmKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM key must be ", kAesGcmKeySize, " bytes"));
  }
  return std::unique_ptr<AesGcm>(new AesGcm(key));
}

absl::StatusOr<std::string> AesGcm::Encrypt(absl::string_view plaintext,
                                            absl::string_view associated_data) const {
  ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kAesGcmNonceSize));
  ASSIGN_OR_RETURN(std::string sealed, AesGcmSeal(key_, nonce, plaintext, associated_data));
  return absl::StrCat(nonce, sealed);
}

absl::StatusOr<std::string> AesGcm::Decrypt(absl::string_view ciphertext,
                                            absl::string_view associated_data) const {
  if (ciphertext.size() < kAesGcmNonceSize + kAesGcmTagSize) return AuthenticationFailed();
  absl::StatusOr<std::string> plain =
      AesGcmOpen(key_, ciphertext.substr(0, kAesGcmNonceSize), ciphertext.substr(kAesGcmNonceSize),
                 associated_data);
  if (!plain.ok()) return AuthenticationFailed();
  return plain;
}

absl::StatusOr<std::unique_ptr<AesGcmOpener>> AesGcmOpener::Create(const SecretBytes& key) {
  if (key.size() != kAesGcmKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM key must be ", kAesGcmKeySize, " bytes"));
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_CIPHER_CTX_new");
  // Keyed once, with no nonce yet: each Open sets only its nonce, which resets the GCM state and
  // keeps the key schedule.
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kAesGcmNonceSize),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nullptr) != 1) {
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
  const auto fail = [plaintext] {
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
    return AuthenticationFailed();
  };
  if (ciphertext.size() < kAesGcmNonceSize + kAesGcmTagSize ||
      ciphertext.size() - kAesGcmNonceSize - kAesGcmTagSize > kAesGcmMaxInputSize ||
      associated_data.size() > kAesGcmMaxInputSize) {
    return fail();
  }
  const absl::string_view nonce = ciphertext.substr(0, kAesGcmNonceSize);
  const absl::string_view ct =
      ciphertext.substr(kAesGcmNonceSize, ciphertext.size() - kAesGcmNonceSize - kAesGcmTagSize);
  const absl::string_view tag = ciphertext.substr(ciphertext.size() - kAesGcmTagSize);
  unsigned char tag_copy[kAesGcmTagSize];
  std::copy(tag.begin(), tag.end(), tag_copy);
  if (EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, Bytes(nonce)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAesGcmTagSize),
                          tag_copy) != 1 ||
      !UpdateAad(ctx_, associated_data)) {
    return fail();
  }
  // The previous plaintext is overwritten in place (resize keeps the capacity).
  plaintext->resize(ct.size());
  unsigned char* dst = reinterpret_cast<unsigned char*>(plaintext->data());
  int len = 0;
  if (!ct.empty() &&
      (EVP_DecryptUpdate(ctx_, dst, &len, Bytes(ct), static_cast<int>(ct.size())) != 1 ||
       static_cast<size_t>(len) != ct.size())) {
    return fail();
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx_, dst + ct.size(), &final_len) != 1) return fail();
  return absl::OkStatus();
}

}  // namespace registry::crypto
