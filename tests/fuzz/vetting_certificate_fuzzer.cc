// Fuzzes the offline check of a vetting certificate (client/certificate_check.h, which parses the
// JSON and calls crypto::VerifyCertificate), as an employer or anyone shown a certificate runs it.
// A certificate is built from the input, signed with a test key, written as JSON, and then either
// left alone or changed as the input says (a byte flipped, inserted or deleted anywhere in the
// text), or the input's own text is checked instead.
//
// The oracle is exact and independent of the code under test: the verdict is "valid" exactly when
// the parsed certificate's canonical bytes carry a good Ed25519 signature by the key
// (crypto::Ed25519Verify over crypto::CanonicalCertificateBytes) and `now` is before its
// valid_until. So an edit of any signed field must make it invalid, an edit that changes nothing
// signed (JSON whitespace, field order) must leave it valid, and no text at all may crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "client/certificate_check.h"
#include "client/json_io.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "crypto/secret_bytes.h"
#include "crypto/vetting_certificate.h"
#include "registry/v1/vetting.pb.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace v1 = registry::v1;
using registry::fuzz::FuzzInput;

const absl::Time kNow = absl::FromUnixSeconds(1796000000);

const registry::crypto::Ed25519Signer& Signer() {
  static const registry::crypto::Ed25519Signer* signer = [] {
    auto s = registry::crypto::Ed25519Signer::FromSeed(
        registry::crypto::SecretBytes(std::string(32, '\x6b')));
    if (!s.ok()) std::abort();
    return s->release();
  }();
  return *signer;
}

[[noreturn]] void Fail(const char* what, const std::string& json) {
  std::fprintf(stderr, "vetting_certificate_fuzzer: %s\n%s\n", what, json.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  std::string json;
  const int mode = in.Byte() % 3;
  if (mode == 0) {
    json = in.Rest();
  } else {
    v1::VettingCertificate c;
    c.set_certificate_id(in.Bytes(40));
    c.set_issued_at(registry::FormatInstant(kNow - absl::Hours(in.Byte())));
    c.set_valid_until(in.Bool() ? in.Bytes(30)
                                : registry::FormatInstant(kNow + absl::Hours(in.Byte()) -
                                                          absl::Hours(8)));
    c.set_organisation(in.Bytes(20));
    c.set_personal_number(in.Bytes(12));
    c.set_surname(in.Bytes(20));
    c.set_given_name(in.Bytes(20));
    c.set_birth_date(in.Bytes(10));
    c.set_position_category(in.Bytes(12));
    c.set_result(static_cast<v1::VettingResult>(in.Byte() % 5));
    auto signed_certificate = registry::crypto::SignCertificate(Signer(), c);
    if (!signed_certificate.ok()) std::abort();
    auto line = registry::client::ToJsonLine(*signed_certificate);
    if (!line.ok()) return 0;  // a string that JSON cannot carry (invalid UTF-8)
    json = *line;
    if (mode == 2 && !json.empty()) {
      const size_t at = in.Uint(json.size() - 1);
      switch (in.Byte() % 3) {
        case 0: json[at] = static_cast<char>(json[at] ^ (1 + in.Byte() % 255)); break;
        case 1: json.insert(at, 1, static_cast<char>(in.Byte())); break;
        default: json.erase(at, 1); break;
      }
    }
  }

  auto verdict = registry::client::CheckCertificate(json, Signer().PublicKeyPem(), kNow);
  v1::SignedVettingCertificate parsed;
  const bool parses =
      registry::client::ParseJson(json, "the certificate", &parsed).ok();
  if (!verdict.ok()) {
    if (parses) Fail("a certificate that parses could not be checked", json);
    return 0;
  }
  if (!parses) Fail("a verdict on text that does not parse", json);
  const bool signed_by_key =
      parsed.certificate().key_id() == Signer().key_id() &&
      registry::crypto::Ed25519Verify(Signer().public_key(),
                                      registry::crypto::CanonicalCertificateBytes(
                                          parsed.certificate()),
                                      parsed.signature())
          .ok();
  const auto until = registry::ParseInstant(parsed.certificate().valid_until());
  const auto issued = registry::ParseInstant(parsed.certificate().issued_at());
  const bool current = until.ok() && issued.ok() && kNow < *until;
  if (verdict->valid != (signed_by_key && current)) {
    Fail(verdict->valid ? "valid verdict on a certificate that is not signed or not current"
                        : "invalid verdict on a signed, current certificate",
         json);
  }
  return 0;
}
