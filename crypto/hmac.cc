#include "crypto/hmac.h"

#include "absl/status/status.h"
#include "crypto/internal/openssl_util.h"
#include "openssl/core_names.h"
#include "openssl/evp.h"
#include "openssl/params.h"

namespace registry::crypto {
namespace {

using internal::EvpMacCtxPtr;
using internal::EvpMacPtr;
using internal::OpenSslError;

// Fetching the algorithm searches the provider store under a lock, so do it once. An EVP_MAC is
// immutable and may be shared by threads. It is deliberately never freed (so not in a unique_ptr):
// a static destructor could run after OpenSSL's own atexit cleanup and free it twice.
const EVP_MAC* HmacAlgorithm() {
  static const EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  return mac;
}

}  // namespace

absl::StatusOr<std::string> HmacSha256(const SecretBytes& key, absl::string_view data) {
  const EVP_MAC* mac = HmacAlgorithm();
  if (mac == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_fetch(HMAC)");
  // EVP_MAC_CTX_new takes a non-const pointer; it only takes a reference.
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(const_cast<EVP_MAC*>(mac)));
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_CTX_new");

  char digest[] = OSSL_DIGEST_NAME_SHA2_256;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // key.data() is never null, so an empty key is set as an empty key rather than "no key".
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_init(HMAC-SHA256)");
  }
  if (!data.empty() &&
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_update");
  }
  std::string out(kHmacSha256Size, '\0');
  size_t out_len = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len,
                    out.size()) != 1 ||
      out_len != kHmacSha256Size) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_final");
  }
  return out;
}

}  // namespace registry::crypto
