#include "crypto/vetting_certificate.h"

#include <cstdint>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_format.h"

namespace registry::crypto {
namespace {

// key_id is attacker-supplied; quote at most this much of it in an error message.
constexpr size_t kMaxQuotedKeyId = 64;

void AppendField(std::string& out, absl::string_view field) {
  // Proto strings are far below 4 GiB (protobuf caps messages at 2 GiB), so the length fits.
  const uint32_t n = static_cast<uint32_t>(field.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(field.data(), field.size());
}

}  // namespace

std::string CanonicalCertificateBytes(const registry::v1::VettingCertificate& c) {
  std::string out(kVettingCertificateDomain);
  AppendField(out, c.certificate_id());
  AppendField(out, c.issued_at());
  AppendField(out, c.valid_until());
  AppendField(out, c.organisation());
  AppendField(out, c.personal_number());
  AppendField(out, c.surname());
  AppendField(out, c.given_name());
  AppendField(out, c.birth_date());
  AppendField(out, c.position_category());
  AppendField(out, absl::StrCat(static_cast<int>(c.result())));
  AppendField(out, c.key_id());
  return out;
}

absl::StatusOr<registry::v1::SignedVettingCertificate> SignCertificate(
    const Ed25519Signer& signer, registry::v1::VettingCertificate certificate) {
  certificate.set_key_id(signer.key_id());
  ASSIGN_OR_RETURN(std::string signature, signer.Sign(CanonicalCertificateBytes(certificate)));
  registry::v1::SignedVettingCertificate out;
  *out.mutable_certificate() = std::move(certificate);
  out.set_signature(std::move(signature));
  return out;
}

absl::Status VerifyCertificate(const registry::v1::SignedVettingCertificate& signed_certificate,
                               absl::string_view public_key_raw32, absl::Time now) {
  if (public_key_raw32.size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError("public key must be 32 bytes");
  }
  const registry::v1::VettingCertificate& c = signed_certificate.certificate();
  if (c.key_id() != Ed25519KeyId(public_key_raw32)) {
    return absl::FailedPreconditionError(
        absl::StrCat("unknown key: ",
                     absl::CHexEscape(absl::string_view(c.key_id()).substr(0, kMaxQuotedKeyId))));
  }
  // Ed25519Verify refuses a signature of the wrong size with InvalidArgument; to the holder of a
  // certificate that is just a bad signature.
  if (!Ed25519Verify(public_key_raw32, CanonicalCertificateBytes(c), signed_certificate.signature())
           .ok()) {
    return absl::DataLossError("bad signature");
  }
  // issued_at is only checked for form: a signed certificate must name real instants.
  if (!ParseInstant(c.issued_at()).ok()) {
    return absl::InvalidArgumentError("issued_at is not an RFC 3339 instant");
  }
  absl::StatusOr<absl::Time> valid_until = ParseInstant(c.valid_until());
  if (!valid_until.ok()) {
    return absl::InvalidArgumentError("valid_until is not an RFC 3339 instant");
  }
  if (now >= *valid_until) {
    return absl::FailedPreconditionError(absl::StrCat("expired at ", c.valid_until()));
  }
  return absl::OkStatus();
}

}  // namespace registry::crypto
