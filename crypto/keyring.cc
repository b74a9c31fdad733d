#include "crypto/keyring.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/aes_gcm.h"
#include "openssl/crypto.h"

namespace registry::crypto {
namespace {

constexpr absl::string_view kDekAadLabel = "kjc-registry/dek/v1";

static_assert(kWrappedDekSize ==
              kWrappedDekPrefixSize + kAesGcmNonceSize + kDekSize + kAesGcmTagSize);

std::string Prefix(uint32_t version) {
  std::string out(kWrappedDekPrefixSize, '\0');
  out[0] = static_cast<char>(kWrappedDekFormat);
  out[1] = static_cast<char>((version >> 24) & 0xff);
  out[2] = static_cast<char>((version >> 16) & 0xff);
  out[3] = static_cast<char>((version >> 8) & 0xff);
  out[4] = static_cast<char>(version & 0xff);
  return out;
}

std::string DekAad(absl::string_view record_id, absl::string_view prefix) {
  return absl::StrCat(kDekAadLabel, absl::string_view("\0", 1), record_id, prefix);
}

absl::Status UnwrapFailed() { return absl::DataLossError("authentication failed"); }

}  // namespace

absl::StatusOr<std::unique_ptr<Keyring>> Keyring::Create(
    std::vector<std::pair<uint32_t, SecretBytes>> keks, uint32_t current_version) {
  if (keks.empty()) return absl::InvalidArgumentError("keyring has no keys");
  std::map<uint32_t, std::unique_ptr<AesGcm>> by_version;
  for (auto& [version, key] : keks) {
    if (version == 0) return absl::InvalidArgumentError("key version 0 is not allowed");
    if (key.size() != kKekSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("key version ", version, " is not ", kKekSize, " bytes"));
    }
    if (by_version.count(version) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("key version ", version, " is repeated"));
    }
    ASSIGN_OR_RETURN(by_version[version], AesGcm::Create(key));
  }
  if (by_version.count(current_version) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("current key version ", current_version, " is not in the keyring"));
  }
  return std::unique_ptr<Keyring>(new Keyring(std::move(by_version), current_version));
}

absl::StatusOr<std::string> Keyring::WrapDek(const SecretBytes& dek,
                                             absl::string_view record_id) const {
  if (dek.size() != kDekSize) {
    return absl::InvalidArgumentError(absl::StrCat("DEK must be ", kDekSize, " bytes"));
  }
  const std::string prefix = Prefix(current_version_);
  // A fresh random nonce, then the ciphertext and tag.
  ASSIGN_OR_RETURN(std::string sealed,
                   keks_.at(current_version_)->Encrypt(dek.view(), DekAad(record_id, prefix)));
  return absl::StrCat(prefix, sealed);
}

absl::StatusOr<SecretBytes> Keyring::UnwrapDek(absl::string_view wrapped,
                                               absl::string_view record_id) const {
  // A malformed envelope is reported like a forged one: the caller learns nothing more.
  absl::StatusOr<uint32_t> version_or = WrappedVersion(wrapped);
  if (!version_or.ok()) return UnwrapFailed();
  const uint32_t version = *version_or;
  auto it = keks_.find(version);
  if (it == keks_.end()) {
    return absl::DataLossError(absl::StrCat("unknown key version ", version));
  }
  const absl::string_view prefix = wrapped.substr(0, kWrappedDekPrefixSize);
  // Nonce, ciphertext and tag, as AesGcm::Encrypt laid them out.
  const absl::string_view sealed = wrapped.substr(kWrappedDekPrefixSize);
  absl::StatusOr<std::string> dek = it->second->Decrypt(sealed, DekAad(record_id, prefix));
  if (!dek.ok()) return UnwrapFailed();
  SecretBytes out(*dek);
  OPENSSL_cleanse(dek->data(), dek->size());
  return out;
}

absl::StatusOr<std::string> Keyring::Rewrap(absl::string_view wrapped,
                                            absl::string_view record_id) const {
  ASSIGN_OR_RETURN(SecretBytes dek, UnwrapDek(wrapped, record_id));
  return WrapDek(dek, record_id);
}

absl::StatusOr<uint32_t> Keyring::WrappedVersion(absl::string_view wrapped) {
  if (wrapped.size() != kWrappedDekSize || static_cast<uint8_t>(wrapped[0]) != kWrappedDekFormat) {
    return absl::DataLossError("malformed wrapped key");
  }
  const auto byte = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(wrapped[i]));
  };
  return (byte(1) << 24) | (byte(2) << 16) | (byte(3) << 8) | byte(4);
}

absl::StatusOr<SecretBytes> Keyring::NewDek() { return SecretBytes::Random(kDekSize); }

}  // namespace registry::crypto
