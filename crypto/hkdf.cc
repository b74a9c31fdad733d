#include "crypto/hkdf.h"

#include "absl/status/status.h"
#include "crypto/internal/cleansing_allocator.h"
#include "crypto/internal/openssl_util.h"
#include "openssl/core_names.h"
#include "openssl/kdf.h"
#include "openssl/params.h"

namespace registry::crypto {
namespace {

using internal::EvpKdfCtxPtr;
using internal::OpenSslError;

// Fetched once: the provider lookup takes a lock. An EVP_KDF is immutable and shareable. Never
// freed, on purpose: a static destructor could run after OpenSSL's atexit cleanup.
const EVP_KDF* HkdfAlgorithm() {
  static const EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  return kdf;
}

// OSSL_PARAM wants non-const pointers for inputs it only reads.
void* Mutable(const void* p) { return const_cast<void*>(p); }

}  // namespace

absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm, absl::string_view salt,
                                       absl::string_view info, size_t length) {
  if (length == 0 || length > kHkdfSha256MaxLength) {
    return absl::InvalidArgumentError("HKDF-SHA256 length must be 1..8160");
  }
  if (ikm.empty()) return absl::InvalidArgumentError("HKDF input key material is empty");
  if (info.size() > kHkdfMaxInfoSize) {
    return absl::InvalidArgumentError("HKDF info longer than 1024 bytes");
  }
  const EVP_KDF* kdf = HkdfAlgorithm();
  if (kdf == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_KDF_fetch(HKDF)");
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(const_cast<EVP_KDF*>(kdf)));
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_KDF_CTX_new");

  char digest[] = OSSL_DIGEST_NAME_SHA2_256;
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, Mutable(ikm.data()), ikm.size());
  // Absent salt and info are the RFC's empty values; leaving them out avoids passing OpenSSL
  // zero-length buffers.
  if (!salt.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, Mutable(salt.data()), salt.size());
  }
  if (!info.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, Mutable(info.data()), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();

  internal::CleansingBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_KDF_derive(HKDF-SHA256)");
  }
  return SecretBytes(absl::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

}  // namespace registry::crypto
