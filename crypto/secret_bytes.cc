#include "crypto/secret_bytes.h"

#include <climits>
#include <utility>

#include "absl/status/status.h"
#include "crypto/internal/openssl_util.h"
#include "openssl/crypto.h"
#include "openssl/rand.h"

namespace registry::crypto {
namespace {

// Fills [out, out + n) from RAND_bytes; n <= INT_MAX (checked by the callers before they
// allocate).
absl::Status FillRandom(uint8_t* out, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    return internal::OpenSslError(absl::StatusCode::kInternal, "RAND_bytes failed");
  }
  return absl::OkStatus();
}

// Returned by data() of an empty secret so that callers never pass null to OpenSSL.
constexpr uint8_t kEmpty[1] = {0};

}  // namespace

SecretBytes::SecretBytes(absl::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this == &other) return *this;
  // Wipe first: vector::operator= may reuse the buffer and keep old bytes past the new size.
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_ = other.bytes_;
  return *this;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this == &other) return *this;
  // The old buffer is released to the cleansing allocator, which wipes it.
  bytes_ = std::move(other.bytes_);
  other.bytes_.clear();
  return *this;
}

absl::StatusOr<SecretBytes> SecretBytes::Random(size_t n) {
  if (n > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("random length exceeds INT_MAX");
  }
  SecretBytes out;
  out.bytes_.resize(n);
  absl::Status s = FillRandom(out.bytes_.data(), n);
  if (!s.ok()) return s;
  return out;
}

const uint8_t* SecretBytes::data() const { return bytes_.empty() ? kEmpty : bytes_.data(); }

absl::string_view SecretBytes::view() const {
  return absl::string_view(reinterpret_cast<const char*>(data()), bytes_.size());
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  return ConstantTimeEquals(view(), other.view());
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  if (n > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("random length exceeds INT_MAX");
  }
  std::string out(n, '\0');
  absl::Status s = FillRandom(reinterpret_cast<uint8_t*>(out.data()), n);
  if (!s.ok()) return s;
  return out;
}

}  // namespace registry::crypto
