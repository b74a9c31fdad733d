#include "crypto/ed25519.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/hash.h"
#include "openssl/evp.h"
#include "openssl/pem.h"

namespace registry::crypto {
namespace {

using internal::BioPtr;
using internal::EvpMdCtxPtr;
using internal::EvpPkeyPtr;
using internal::OpenSslError;

constexpr size_t kMaxPemSize = 4096;

// Refuses any passphrase. Without it OpenSSL's default callback would prompt on the terminal for
// a PEM block with "Proc-Type: 4,ENCRYPTED" headers, which input must never be able to cause.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::StatusOr<std::string> RawPublicKey(const EVP_PKEY* key) {
  std::string out(kEd25519PublicKeySize, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != kEd25519PublicKeySize) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_PKEY_get_raw_public_key");
  }
  return out;
}

absl::StatusOr<std::string> PublicKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslError(absl::StatusCode::kInternal, "BIO_new");
  if (PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "PEM_write_bio_PUBKEY");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL's type.
  if (len <= 0 || data == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "BIO_get_mem_data");
  }
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

Ed25519Signer::Ed25519Signer(EvpPkeyPtr key, std::string public_key, std::string public_key_pem)
    : key_(std::move(key)),
      public_key_(std::move(public_key)),
      key_id_(Ed25519KeyId(public_key_)),
      public_key_pem_(std::move(public_key_pem)) {}

absl::StatusOr<std::unique_ptr<Ed25519Signer>> Ed25519Signer::FromSeed(const SecretBytes& seed32) {
  if (seed32.size() != kEd25519SeedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 seed must be ", kEd25519SeedSize, " bytes"));
  }
  EvpPkeyPtr key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed32.data(), seed32.size()));
  if (key == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_PKEY_new_raw_private_key");
  }
  ASSIGN_OR_RETURN(std::string public_key, RawPublicKey(key.get()));
  ASSIGN_OR_RETURN(std::string pem, PublicKeyToPem(key.get()));
  return std::unique_ptr<Ed25519Signer>(
      new Ed25519Signer(std::move(key), std::move(public_key), std::move(pem)));
}

absl::StatusOr<std::string> Ed25519Signer::Sign(absl::string_view message) const {
  // One context per call: the EVP_PKEY is only read, so concurrent calls are safe.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_MD_CTX_new");
  // Ed25519 is a one-shot scheme: no digest, and EVP_DigestSign instead of update/final.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_DigestSignInit(Ed25519)");
  }
  std::string signature(kEd25519SignatureSize, '\0');
  size_t len = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     Bytes(message), message.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_DigestSign(Ed25519)");
  }
  return signature;
}

absl::Status Ed25519Verify(absl::string_view public_key_raw32, absl::string_view message,
                           absl::string_view signature64) {
  if (public_key_raw32.size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 public key must be ", kEd25519PublicKeySize, " bytes"));
  }
  if (signature64.size() != kEd25519SignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 signature must be ", kEd25519SignatureSize, " bytes"));
  }
  EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key_raw32),
                                             public_key_raw32.size()));
  if (key == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "invalid Ed25519 public key");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_MD_CTX_new");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_DigestVerifyInit(Ed25519)");
  }
  // 1 is a valid signature; 0 an invalid one; negative a malformed one (e.g. S out of range).
  if (EVP_DigestVerify(ctx.get(), Bytes(signature64), signature64.size(), Bytes(message),
                       message.size()) != 1) {
    internal::ClearOpenSslErrors();
    return absl::DataLossError("signature verification failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Ed25519PublicKeyFromPem(absl::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPemSize) {
    return absl::InvalidArgumentError("Ed25519 PEM must be 1..4096 bytes");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslError(absl::StatusCode::kInternal, "BIO_new_mem_buf");
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "not a PEM public key");
  }
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("PEM public key is not Ed25519");
  }
  return RawPublicKey(key.get());
}

std::string Ed25519KeyId(absl::string_view public_key_raw32) {
  return absl::BytesToHexString(Sha256(public_key_raw32).substr(0, kEd25519KeyIdSize / 2));
}

}  // namespace registry::crypto
