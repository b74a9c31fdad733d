// Record field encryption: one set of a record's fields sealed under the record's data key and
// bound to its place, so ciphertext moved elsewhere fails to open instead of giving wrong data.
//
// "Place" is (record id, record version, field-set name). A field set is a serialised group of
// personal fields (e.g. "person" or "conviction") that is encrypted as one unit.
//
// Sealed format:
//   byte 0        0x01, the format version
//   bytes 1..12   AES-GCM nonce, 12 random bytes
//   bytes 13..    AES-256-GCM ciphertext, as long as the plaintext (at most 1 MiB)
//   last 16       AES-GCM tag
// Associated data (authenticated, not stored), with u32be = unsigned 32-bit big-endian:
//   "kjc-registry/record/v1" (22 ASCII bytes)
//   || u32be(len(record_id)) || record_id
//   || u32be(version)
//   || u32be(len(field_set)) || field_set
// The length prefixes make the encoding injective: no two places share associated data. The
// format byte is not in the associated data: any value but 0x01 is rejected before decryption,
// and a future format must change the label as well.
//
//   RecordAad aad{record_id, /*version=*/3, "person"};
//   ASSIGN_OR_RETURN(std::string sealed, SealRecordFields(dek, aad, person.SerializeAsString()));
//   ASSIGN_OR_RETURN(std::string bytes, OpenRecordFields(dek, aad, sealed));
#ifndef REGISTRY_CRYPTO_RECORD_CIPHER_H_
#define REGISTRY_CRYPTO_RECORD_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secret_bytes.h"

namespace registry::crypto {

inline constexpr uint8_t kRecordCipherFormat = 0x01;
inline constexpr size_t kRecordMaxPlaintextSize = size_t{1} << 20;  // 1 MiB
// Format byte, nonce and tag.
inline constexpr size_t kRecordCipherOverhead = 1 + 12 + 16;

// Where a sealed field set belongs.
struct RecordAad {
  std::string record_id;
  uint32_t version = 0;
  std::string field_set;
};

// Returns the sealed form of `plaintext` under the 32-byte `dek`, bound to `aad`. Fails with
// InvalidArgument when the DEK is not 32 bytes, the plaintext exceeds 1 MiB, or the record id or
// field set exceeds 1 MiB; Internal when OpenSSL fails.
absl::StatusOr<std::string> SealRecordFields(const SecretBytes& dek, const RecordAad& aad,
                                             absl::string_view plaintext);

// Returns the plaintext of `sealed`. Fails with DataLoss("authentication failed") when any byte
// was changed, the input is truncated or oversized, or it was sealed for another record id,
// version or field set (or under another DEK); InvalidArgument when the DEK is not 32 bytes or
// the record id or field set exceeds 1 MiB.
absl::StatusOr<std::string> OpenRecordFields(const SecretBytes& dek, const RecordAad& aad,
                                             absl::string_view sealed);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_RECORD_CIPHER_H_
