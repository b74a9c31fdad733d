// Vetting certificates: the registry's signed answer to an employer's check.
//
// A certificate is signed with Ed25519 over its canonical bytes, a fixed encoding that does not
// depend on protobuf serialisation (which is not canonical). Any party can re-encode the fields it
// received and verify the signature with the registry's public key.
//
// Canonical bytes:
//   "KJC-REGISTRY-VETTING-CERT-V1" (28 ASCII bytes) || 0x0A
//   then for each field, in this order:
//     certificate_id, issued_at, valid_until, organisation, personal_number, surname,
//     given_name, birth_date, position_category, result, key_id
//   u32be(byte length of the field) || the field's UTF-8 bytes
// where u32be is an unsigned 32-bit big-endian integer and `result` is the decimal text of the
// VettingResult enum number (e.g. "1" for VETTING_RESULT_CLEAR). Every field is always present,
// the empty string encoded as 00 00 00 00.
//
//   ASSIGN_OR_RETURN(registry::v1::SignedVettingCertificate signed_cert,
//                    SignCertificate(*signer, std::move(cert)));
//   RETURN_IF_ERROR(VerifyCertificate(signed_cert, signer->public_key(), absl::Now()));
#ifndef REGISTRY_CRYPTO_VETTING_CERTIFICATE_H_
#define REGISTRY_CRYPTO_VETTING_CERTIFICATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/ed25519.h"
#include "registry/v1/vetting.pb.h"

namespace registry::crypto {

inline constexpr absl::string_view kVettingCertificateDomain = "KJC-REGISTRY-VETTING-CERT-V1\n";

// Returns the canonical bytes of `c` described above. Never fails.
std::string CanonicalCertificateBytes(const registry::v1::VettingCertificate& c);

// Returns `certificate` with key_id set to the signer's key id, and its signature over the
// canonical bytes. Fails with Internal only when signing fails.
absl::StatusOr<registry::v1::SignedVettingCertificate> SignCertificate(
    const Ed25519Signer& signer, registry::v1::VettingCertificate certificate);

// Returns OK when `signed_certificate` was signed by `public_key_raw32` and is still valid at
// `now`. Checks, in this order:
//   InvalidArgument               the public key is not 32 bytes;
//   FailedPrecondition("unknown key: <id>")
//                                 the certificate's key_id is not that key's id;
//   DataLoss("bad signature")     the signature does not verify (any field changed);
//   InvalidArgument               issued_at or valid_until is not an RFC 3339 instant;
//   FailedPrecondition("expired at <valid_until>")
//                                 now >= valid_until.
absl::Status VerifyCertificate(const registry::v1::SignedVettingCertificate& signed_certificate,
                               absl::string_view public_key_raw32, absl::Time now);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_VETTING_CERTIFICATE_H_
