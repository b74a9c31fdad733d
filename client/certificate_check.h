// Offline verification of a vetting certificate, as an employer or anyone shown one does it:
// the certificate's JSON (SignedVettingCertificate, as `vet check --out` writes it) and the
// registry's vetting public key (PEM, as `vet public-key --out` writes it). No server is asked.
//
//   ASSIGN_OR_RETURN(CertificateVerdict verdict, CheckCertificate(json, pem, absl::Now()));
//   std::cout << verdict.text;  // "valid: CLEAR for Shkolla Fillore ... until 2026-..."
#ifndef REGISTRY_CLIENT_CERTIFICATE_CHECK_H_
#define REGISTRY_CLIENT_CERTIFICATE_CHECK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {

struct CertificateVerdict {
  // True when signed by the key and not expired at the time given.
  bool valid = false;
  // Lines to print, ending with a newline. Valid: "valid: <result> for <organisation> until
  // <valid_until>" and the certificate id, candidate and position. Invalid: "invalid: <reason>"
  // (bad signature, expired at ..., names no signing key).
  std::string text;
  // False when the certificate could not be checked with the key: it names another signing key
  // than the file's (or it is no certificate at all: "{}" reads as an empty one). No verdict is
  // made on it then, and `text` is empty: `reason` says so, naming both files and what to give
  // instead. Told "invalid", an employer given the wrong key file takes the certificate for a
  // forgery; `certificate verify` reports it as an error (exit code 2).
  bool checked = true;
  // When not valid, why, as the text says it after "invalid: " (not escaped); when not checked,
  // why not.
  std::string reason;
  // When valid, the certificate as signed.
  registry::v1::VettingCertificate certificate;
};

// The two files as errors name them: the paths as given; empty, "the certificate file" and
// "--public-key".
struct CertificateFiles {
  std::string certificate;
  std::string public_key;
};

// Verifies the certificate at `now`. A verdict is returned for every certificate that could be
// read (see CertificateVerdict::checked for one of another key); errors (InvalidArgument, naming
// the file and what it must be) are only for inputs that could not be:
//   "notes.txt is not a vetting certificate file (the JSON that `registry-cli vet check --out`
//    writes): line 1: not JSON"
//   "... writes): certificate.result: given twice" (a key given twice is refused: which of the
//    two a reader takes is not for the file to leave open; RepeatedKeyProblem)
//   "--public-key cert.pem: holds a certificate, not a public key; give the registry's vetting
//    public key (vetting.pub.pem, ...)"
absl::StatusOr<CertificateVerdict> CheckCertificate(absl::string_view certificate_json,
                                                    absl::string_view public_key_pem,
                                                    absl::Time now,
                                                    const CertificateFiles& files = {});

// The Ed25519 public key (32 bytes) of `pem`, the file given with an option (`option`:
// "--public-key k.pem"); else InvalidArgument naming the option, what the file holds instead
// (nothing, a certificate, a private key, another kind of key) and `what_to_give`:
//   "--public-key cert.pem: holds a certificate, not a public key; give the registry's ..."
// certificate verify and audit verify read their --public-key so.
absl::StatusOr<std::string> PublicKeyOfOption(absl::string_view pem, absl::string_view option,
                                              absl::string_view what_to_give);

// The PEM of a public key the server sent (VettingService.GetVettingPublicKey), once it is what
// it claims to be: only printable ASCII lines (PEM is base64 between two ASCII armour lines, so
// nothing else has a place in it, and OpenSSL's reader would skip text around the block, escape
// sequences included), an Ed25519 public key, and the key id that belongs to it. DataLoss
// otherwise. Printed, saved or served as it is after that.
absl::StatusOr<std::string> CheckedPublicKeyPem(const registry::v1::PublicKey& key);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_CERTIFICATE_CHECK_H_
