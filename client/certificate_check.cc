#include "client/certificate_check.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/json_io.h"
#include "client/record_format.h"
#include "client/terminal_text.h"
#include "common/json_keys.h"
#include "common/status_macros.h"
#include "crypto/ed25519.h"
#include "crypto/vetting_certificate.h"
#include "google/protobuf/util/json_util.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {

namespace {

constexpr absl::string_view kWhatTheKeyIs =
    "give the registry's vetting public key (vetting.pub.pem, as `registry-cli vet public-key "
    "--out FILE` saves it; not audit.pub.pem)";

// What a public key file that is not an Ed25519 public key in PEM holds instead, in words.
std::string KeyFileProblem(absl::string_view pem) {
  if (absl::StripAsciiWhitespace(pem).empty()) return "is empty";
  if (absl::StrContains(pem, "-----BEGIN CERTIFICATE-----")) {
    return "holds a certificate, not a public key";
  }
  if (absl::StrContains(pem, "PRIVATE KEY-----")) return "holds a private key, not a public key";
  if (absl::StrContains(pem, "-----BEGIN PUBLIC KEY-----")) {
    return "holds a public key that is not Ed25519, as the registry's keys are";
  }
  return "not a public key in PEM";
}

}  // namespace

absl::StatusOr<std::string> PublicKeyOfOption(absl::string_view pem, absl::string_view option,
                                              absl::string_view what_to_give) {
  absl::StatusOr<std::string> public_key = crypto::Ed25519PublicKeyFromPem(pem);
  if (!public_key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, ": ", KeyFileProblem(pem), "; ", what_to_give));
  }
  return public_key;
}

absl::StatusOr<CertificateVerdict> CheckCertificate(absl::string_view certificate_json,
                                                    absl::string_view public_key_pem,
                                                    absl::Time now, const CertificateFiles& files) {
  const std::string certificate_name =
      files.certificate.empty() ? std::string("the certificate file") : files.certificate;
  const std::string key_file =
      files.public_key.empty() ? std::string("the file") : files.public_key;
  const std::string key_name = files.public_key.empty()
                                   ? std::string("--public-key")
                                   : absl::StrCat("--public-key ", files.public_key);
  v1::SignedVettingCertificate signed_certificate;
  const auto parsed = google::protobuf::util::JsonStringToMessage(std::string(certificate_json),
                                                                  &signed_certificate);
  // "{}" and any other object without a certificate in it parse as well. The type's name would
  // tell the person shown the certificate nothing; where the text stops being one may help.
  const std::string not_a_certificate = absl::StrCat(
      certificate_name,
      " is not a vetting certificate file (the JSON that `registry-cli vet check --out` writes)");
  // Protobuf keeps the last of a key given twice, and verifies that value: a "result" of CLEAR
  // put before the signed NOT_CLEAR would show CLEAR to whoever reads the file, under a valid
  // signature. A file that says two things is no certificate.
  if (const std::string repeated =
          RepeatedKeyProblem(certificate_json, *signed_certificate.GetDescriptor());
      !repeated.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(not_a_certificate, ": ", repeated));
  }
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(not_a_certificate, ": ",
                     JsonProblem(certificate_json, std::string(parsed.message()),
                                 *signed_certificate.GetDescriptor())));
  }
  if (!signed_certificate.has_certificate()) {
    CertificateVerdict verdict;
    verdict.checked = false;
    verdict.reason = not_a_certificate;
    return verdict;
  }
  ASSIGN_OR_RETURN(const std::string public_key,
                   PublicKeyOfOption(public_key_pem, key_name, kWhatTheKeyIs));
  // Whoever hands over a certificate chose every string in it (a signature only says the
  // registry signed it, and an invalid one says nothing at all), so each is escaped.
  const auto t = [](absl::string_view value) { return ForTerminal(value); };
  const std::string& key_id = signed_certificate.certificate().key_id();
  if (key_id.empty()) {
    CertificateVerdict verdict;
    verdict.reason = "the certificate names no signing key";
    verdict.text = absl::StrCat("invalid: ", verdict.reason, "\n");
    return verdict;
  }
  // The key id is the holder's text like the rest until the signature is checked, and it is
  // checked under the key given: a key id of any other shape names no key the registry has, so a
  // file holding one was changed, whichever key was given.
  if (key_id.size() != crypto::kEd25519KeyIdSize ||
      !std::all_of(key_id.begin(), key_id.end(),
                   [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); })) {
    CertificateVerdict verdict;
    verdict.reason =
        "the certificate's key id is not 16 lowercase hex characters, as every key's is";
    verdict.text = absl::StrCat("invalid: ", verdict.reason, "\n");
    return verdict;
  }
  if (key_id != crypto::Ed25519KeyId(public_key)) {
    // Both ids, so that the registry can say which of its keys (if any) signed it. The id the
    // certificate names is whatever its holder wrote there (it is signed, so changing it breaks the
    // signature, but under another key that cannot be seen): "names", never "was signed by". No
    // verdict rather than "invalid": a certificate signed before the registry's key was rotated
    // names the earlier key, and is valid under it.
    CertificateVerdict verdict;
    verdict.checked = false;
    verdict.reason = absl::StrCat(
        "the certificate ", files.certificate.empty() ? "" : absl::StrCat(files.certificate, " "),
        "names key ", key_id, " as its signer, but ", key_name, " holds key ",
        crypto::Ed25519KeyId(public_key), ", so it cannot be checked with it: is ", key_file,
        " the registry's vetting public key (vetting.pub.pem, not audit.pub.pem)? If it is, the "
        "certificate is not valid under it: ask the registry whether key ", key_id,
        " is one of its keys (anyone holding the file can write a key id there)");
    return verdict;
  }
  CertificateVerdict verdict;
  const absl::Status verified = crypto::VerifyCertificate(signed_certificate, public_key, now);
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
