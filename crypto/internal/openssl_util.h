// Glue between OpenSSL 3 and our code: owning pointers for OpenSSL objects, and the one place
// where an OpenSSL failure becomes an absl::Status.
//
// Every OpenSSL object lives in a std::unique_ptr whose deleter is the object's free function, so
// no early return can leak it:
//
//   EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
//   if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_CIPHER_CTX_new");
//   if (EVP_EncryptInit_ex(ctx.get(), ...) != 1) {
//     return OpenSslError(absl::StatusCode::kInternal, "EVP_EncryptInit_ex");
//   }
#ifndef REGISTRY_CRYPTO_INTERNAL_OPENSSL_UTIL_H_
#define REGISTRY_CRYPTO_INTERNAL_OPENSSL_UTIL_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "openssl/bio.h"
#include "openssl/evp.h"
#include "openssl/kdf.h"

namespace registry::crypto::internal {

// A deleter that calls OpenSSL's free function for T.
template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

template <typename T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

using EvpCipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpMacPtr = OpenSslPtr<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = OpenSslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using EvpKdfPtr = OpenSslPtr<EVP_KDF, EVP_KDF_free>;
using EvpKdfCtxPtr = OpenSslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;

// Returns a non-OK status with `code` whose message is `what` (the failing call, a constant
// string chosen by our code) followed by OpenSSL's reason for the oldest queued error. Reason
// strings come from OpenSSL's static tables, so the message never holds key or plaintext bytes.
// Clears this thread's OpenSSL error queue, so a stale error cannot be blamed on a later call.
// `code` must not be kOk; kOk is turned into kInternal.
absl::Status OpenSslError(absl::StatusCode code, absl::string_view what);

// Empties this thread's OpenSSL error queue without building a status, for paths that report
// their own fixed message (e.g. "authentication failed").
void ClearOpenSslErrors();

}  // namespace registry::crypto::internal

#endif  // REGISTRY_CRYPTO_INTERNAL_OPENSSL_UTIL_H_
