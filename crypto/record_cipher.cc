#include "crypto/record_cipher.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/aes_gcm.h"

namespace registry::crypto {
namespace {

constexpr absl::string_view kRecordAadLabel = "kjc-registry/record/v1";
// Bounds on the names in the associated data; far above any real id, far below u32 overflow.
constexpr size_t kMaxAadFieldSize = size_t{1} << 20;

static_assert(kRecordCipherOverhead == 1 + kAesGcmNonceSize + kAesGcmTagSize);

void AppendU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

absl::StatusOr<std::string> EncodeAad(const RecordAad& aad) {
  if (aad.record_id.size() > kMaxAadFieldSize || aad.field_set.size() > kMaxAadFieldSize) {
    return absl::InvalidArgumentError("record id or field set too long");
  }
  std::string out(kRecordAadLabel);
  AppendU32(out, static_cast<uint32_t>(aad.record_id.size()));
  out.append(aad.record_id);
  AppendU32(out, aad.version);
  AppendU32(out, static_cast<uint32_t>(aad.field_set.size()));
  out.append(aad.field_set);
  return out;
}

absl::Status CheckDek(const SecretBytes& dek) {
  if (dek.size() != kAesGcmKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("DEK must be ", kAesGcmKeySize, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SealRecordFields(const SecretBytes& dek, const RecordAad& aad,
                                             absl::string_view plaintext) {
  RETURN_IF_ERROR(CheckDek(dek));
  if (plaintext.size() > kRecordMaxPlaintextSize) {
    return absl::InvalidArgumentError("record fields exceed 1 MiB");
  }
  ASSIGN_OR_RETURN(std::string encoded_aad, EncodeAad(aad));
  ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kAesGcmNonceSize));
  ASSIGN_OR_RETURN(std::string sealed, AesGcmSeal(dek, nonce, plaintext, encoded_aad));
  std::string out;
  out.reserve(1 + nonce.size() + sealed.size());
  out.push_back(static_cast<char>(kRecordCipherFormat));
  out.append(nonce);
  out.append(sealed);
  return out;
}

absl::StatusOr<std::string> OpenRecordFields(const SecretBytes& dek, const RecordAad& aad,
                                             absl::string_view sealed) {
  RETURN_IF_ERROR(CheckDek(dek));
  ASSIGN_OR_RETURN(std::string encoded_aad, EncodeAad(aad));
  if (sealed.size() < kRecordCipherOverhead ||
      sealed.size() > kRecordCipherOverhead + kRecordMaxPlaintextSize ||
      static_cast<uint8_t>(sealed[0]) != kRecordCipherFormat) {
    return absl::DataLossError("authentication failed");
  }
  absl::StatusOr<std::string> plain = AesGcmOpen(dek, sealed.substr(1, kAesGcmNonceSize),
                                                 sealed.substr(1 + kAesGcmNonceSize), encoded_aad);
  if (!plain.ok()) return absl::DataLossError("authentication failed");
  return plain;
}

}  // namespace registry::crypto
