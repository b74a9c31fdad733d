#include "crypto/hmac.h"

#include <utility>

#include "absl/status/status.h"
#include "common/status_macros.h"
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

// A context set up with `key` for HMAC-SHA256; null when OpenSSL fails.
EvpMacCtxPtr NewKeyedContext(const SecretBytes& key) {
  const EVP_MAC* mac = HmacAlgorithm();
  if (mac == nullptr) return nullptr;
  // EVP_MAC_CTX_new takes a non-const pointer; it only takes a reference.
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(const_cast<EVP_MAC*>(mac)));
  if (ctx == nullptr) return nullptr;
  char digest[] = OSSL_DIGEST_NAME_SHA2_256;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // key.data() is never null, so an empty key is set as an empty key rather than "no key".
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) return nullptr;
  return ctx;
}

// The MAC of `data` with a context set up by NewKeyedContext that has not yet taken a message.
absl::StatusOr<std::string> MacWith(EVP_MAC_CTX* ctx, absl::string_view data) {
  if (!data.empty() &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_update");
  }
  std::string out(kHmacSha256Size, '\0');
  size_t out_len = 0;
  if (EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &out_len, out.size()) !=
          1 ||
      out_len != kHmacSha256Size) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_final");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> HmacSha256(const SecretBytes& key, absl::string_view data) {
  EvpMacCtxPtr ctx = NewKeyedContext(key);
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "HMAC-SHA256 set-up");
  return MacWith(ctx.get(), data);
}

HmacSha256Key::HmacSha256Key(const SecretBytes& key)
    : key_(key), contexts_([this] { return NewKeyedContext(key_); }) {}

absl::StatusOr<std::unique_ptr<HmacSha256Key>> HmacSha256Key::Create(const SecretBytes& key) {
  std::unique_ptr<HmacSha256Key> mac_key(new HmacSha256Key(key));
  EvpMacCtxPtr first = mac_key->contexts_.Take();
  if (first == nullptr) return OpenSslError(absl::StatusCode::kInternal, "HMAC-SHA256 set-up");
  mac_key->contexts_.Give(std::move(first));
  return mac_key;
}

absl::StatusOr<std::string> HmacSha256Key::Mac(absl::string_view data) const {
  EvpMacCtxPtr ctx = contexts_.Take();
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "HMAC-SHA256 set-up");
  // A lent context may have MACed another message: EVP_MAC_init without a key begins a new one
  // under the key it has.
  if (EVP_MAC_init(ctx.get(), nullptr, 0, nullptr) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_MAC_init(HMAC-SHA256)");
  }
  ASSIGN_OR_RETURN(std::string tag, MacWith(ctx.get(), data));
  contexts_.Give(std::move(ctx));
  return tag;
}

}  // namespace registry::crypto
