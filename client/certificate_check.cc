#include "client/certificate_check.h"

#include "absl/strings/str_cat.h"
#include "client/json_io.h"
#include "client/record_format.h"
#include "client/terminal_text.h"
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
  // Whoever hands over a certificate chose every string in it (a signature only says the
  // registry signed it, and an invalid one says nothing at all), so each is escaped.
  const auto t = [](absl::string_view value) { return ForTerminal(value); };
  if (!verified.ok()) {
    verdict.reason = std::string(verified.message());
    verdict.text = absl::StrCat("invalid: ", t(verdict.reason), "\n");
    return verdict;
  }
  const v1::VettingCertificate& c = signed_certificate.certificate();
  verdict.valid = true;
  verdict.certificate = c;
  verdict.text = absl::StrCat(
      "valid: ", VettingResultName(c.result()), " for ", t(c.organisation()), " until ",
      t(c.valid_until()), "\n", "certificate: ", t(c.certificate_id()), " issued ",
      t(c.issued_at()), " (key ", t(c.key_id()), ")\n", "candidate: ", t(c.given_name()), " ",
      t(c.surname()), ", born ", t(c.birth_date()), ", personal number ", t(c.personal_number()),
      "\n", "position: ", t(c.position_category()), "\n");
  return verdict;
}

absl::StatusOr<std::string> CheckedPublicKeyPem(const v1::PublicKey& key) {
  for (const char c : key.pem()) {
    if (c != '\n' && (c < 0x20 || c > 0x7e)) {
      return absl::DataLossError("the server's public key PEM holds characters that PEM never has");
    }
  }
  absl::StatusOr<std::string> raw = crypto::Ed25519PublicKeyFromPem(key.pem());
  if (!raw.ok()) {
    return absl::DataLossError(absl::StrCat("the server's public key is not an Ed25519 key in PEM: ",
                                            raw.status().message()));
  }
  if (!key.key_id().empty() && key.key_id() != crypto::Ed25519KeyId(*raw)) {
    return absl::DataLossError(absl::StrCat("the server's key id ", key.key_id(),
                                            " does not belong to its key (",
                                            crypto::Ed25519KeyId(*raw), ")"));
  }
  return key.pem();
}


}  // namespace registry::client
