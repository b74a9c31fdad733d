// Fuzzes the ciphertext parsers: wrapped data keys and sealed record fields from untrusted
// storage bytes must fail with DATA_LOSS, never crash or return data.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include "crypto/keyring.h"
#include "crypto/record_cipher.h"
#include "crypto/secret_bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const registry::crypto::Keyring* keyring = [] {
    std::vector<std::pair<uint32_t, registry::crypto::SecretBytes>> keks;
    keks.emplace_back(1, registry::crypto::SecretBytes(std::string(32, '\x11')));
    keks.emplace_back(2, registry::crypto::SecretBytes(std::string(32, '\x22')));
    auto k = registry::crypto::Keyring::Create(std::move(keks), 2);
    if (!k.ok()) std::abort();
    return k->release();
  }();
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  auto dek = keyring->UnwrapDek(in, "0123456789abcdef0123456789abcdef");
  if (dek.ok()) std::abort();  // random bytes never authenticate
  if (dek.status().code() != absl::StatusCode::kDataLoss) std::abort();
  (void)registry::crypto::Keyring::WrappedVersion(in);
  const registry::crypto::SecretBytes key(std::string(32, '\x33'));
  auto opened = registry::crypto::OpenRecordFields(
      key, registry::crypto::RecordAad{"0123456789abcdef0123456789abcdef", 1, "f"}, in);
  if (opened.ok()) std::abort();
  return 0;
}
