#include "crypto/hash.h"

#include <cstdlib>

#include "openssl/evp.h"

namespace registry::crypto {

std::string Sha256(absl::string_view data) {
  std::string out(kSha256Size, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != kSha256Size) {
    std::abort();
  }
  return out;
}

}  // namespace registry::crypto
