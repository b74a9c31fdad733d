#include "client/certificate_check.h"

#include "absl/strings/str_cat.h"
#include "client/json_io.h"
#include "client/record_format.h"
#include "common/status_macros.h"
#include "crypto/ed25519.h"
#include "crypto/vetting_certificate.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {

absl::StatusOr<CertificateVerdict> CheckCertificate(absl::string_view certificate_json,
                                                    absl::string_view public_key_pem,
                                                    absl::Time now) {
  v1::SignedVettingCertificate signed_certificate;
  RETURN_IF_ERROR(ParseJson(certificate_json, "the certificate file", &signed_certificate));
  absl::StatusOr<std::string> public_key = crypto::Ed25519PublicKeyFromPem(public_key_pem);
  if (!public_key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the public key file is not an Ed25519 public key in PEM: ",
                     public_key.status().message()));
  }
  CertificateVerdict verdict;
  const absl::Status verified = crypto::VerifyCertificate(signed_certificate, *public_key, now);
  if (!verified.ok()) {
    verdict.text = absl::StrCat("invalid: ", verified.message(), "\n");
    return verdict;
  }
  const v1::VettingCertificate& c = signed_certificate.certificate();
  verdict.valid = true;
  verdict.text = absl::StrCat(
      "valid: ", VettingResultName(c.result()), " for ", c.organisation(), " until ",
      c.valid_until(), "\n", "certificate: ", c.certificate_id(), " issued ", c.issued_at(),
      " (key ", c.key_id(), ")\n", "candidate: ", c.given_name(), " ", c.surname(), ", born ",
      c.birth_date(), ", personal number ", c.personal_number(), "\n",
      "position: ", c.position_category(), "\n");
  return verdict;
}

}  // namespace registry::client
