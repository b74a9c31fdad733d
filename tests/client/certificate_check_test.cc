#include "client/certificate_check.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/json_io.h"
#include "crypto/ed25519.h"
#include "crypto/secret_bytes.h"
#include "crypto/vetting_certificate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::unique_ptr<crypto::Ed25519Signer> Signer(char seed_byte) {
  auto signer = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, seed_byte)));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

v1::VettingCertificate Certificate() {
  v1::VettingCertificate c;
  c.set_certificate_id("0123456789abcdef0123456789abcdef");
  c.set_issued_at("2026-01-10T09:00:00Z");
  c.set_valid_until("2026-04-10T09:00:00Z");
  c.set_organisation("Shkolla Fillore \"Naim Frashëri\"");
  c.set_personal_number("1234567890");
  c.set_surname("Kërqeli");
  c.set_given_name("Arben");
  c.set_birth_date("1980-04-12");
  c.set_position_category("teacher");
  c.set_result(v1::VETTING_RESULT_CLEAR);
  return c;
}

std::string SignedJson(const crypto::Ed25519Signer& signer, v1::VettingCertificate c) {
  auto signed_certificate = crypto::SignCertificate(signer, std::move(c));
  EXPECT_TRUE(signed_certificate.ok()) << signed_certificate.status();
  auto json = ToJsonLine(*signed_certificate);
  EXPECT_TRUE(json.ok()) << json.status();
  return *json;
}

const absl::Time kDuringValidity = absl::FromUnixSeconds(1768640400);  // 2026-01-17

TEST(CheckCertificateTest, ValidCertificateSaysResultOrganisationAndExpiry) {
  auto signer = Signer('a');
  auto verdict =
      CheckCertificate(SignedJson(*signer, Certificate()), signer->PublicKeyPem(), kDuringValidity);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_TRUE(verdict->valid);
  EXPECT_THAT(verdict->text,
              StartsWith("valid: CLEAR for Shkolla Fillore \"Naim Frashëri\" until "
                         "2026-04-10T09:00:00Z\n"));
  EXPECT_THAT(verdict->text, HasSubstr("candidate: Arben Kërqeli, born 1980-04-12"));
}

TEST(CheckCertificateTest, ChangedFieldIsABadSignature) {
  auto signer = Signer('a');
  auto signed_certificate = crypto::SignCertificate(*signer, Certificate());
  ASSERT_TRUE(signed_certificate.ok());
  signed_certificate->mutable_certificate()->set_result(v1::VETTING_RESULT_NOT_CLEAR);
  auto verdict = CheckCertificate(*ToJsonLine(*signed_certificate), signer->PublicKeyPem(),
                                  kDuringValidity);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_FALSE(verdict->valid);
  EXPECT_EQ(verdict->text, "invalid: bad signature\n");
}

// The key id is written by whoever holds the file. One of no key's shape is a changed file,
// whichever key is given; a well-formed one changed by a forger cannot be told from an earlier
// key of the registry's, so it gets no verdict, and is never said to have signed anything.
TEST(CheckCertificateTest, AKeyIdChangedByTheHolderIsNeverSaidToHaveSigned) {
  auto signer = Signer('a');
  auto forged = crypto::SignCertificate(*signer, Certificate());
  ASSERT_TRUE(forged.ok());
  forged->mutable_certificate()->set_result(v1::VETTING_RESULT_CLEAR);
  for (const std::string shapeless : {"zz", "0000000000000000ff", "00000000000000ZZ"}) {
    forged->mutable_certificate()->set_key_id(shapeless);
    auto verdict =
        CheckCertificate(*ToJsonLine(*forged), signer->PublicKeyPem(), kDuringValidity);
    ASSERT_TRUE(verdict.ok()) << verdict.status();
    EXPECT_FALSE(verdict->valid) << shapeless;
    EXPECT_TRUE(verdict->checked) << shapeless;
    EXPECT_EQ(verdict->text,
              "invalid: the certificate's key id is not 16 lowercase hex characters, as every "
              "key's is\n")
        << shapeless;
  }
  forged->mutable_certificate()->set_key_id("0000000000000000");
  auto verdict = CheckCertificate(*ToJsonLine(*forged), signer->PublicKeyPem(), kDuringValidity);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_FALSE(verdict->valid);
  EXPECT_FALSE(verdict->checked);
  EXPECT_THAT(verdict->reason, HasSubstr("names key 0000000000000000 as its signer"));
  EXPECT_THAT(verdict->reason, Not(HasSubstr("signed by")));
}

TEST(CheckCertificateTest, ExpiredCertificateIsInvalid) {
  auto signer = Signer('a');
  auto verdict = CheckCertificate(SignedJson(*signer, Certificate()), signer->PublicKeyPem(),
                                  absl::FromUnixSeconds(1776000000));  // 2026-04-12
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_FALSE(verdict->valid);
  EXPECT_THAT(verdict->text, StartsWith("invalid: expired at 2026-04-10T09:00:00Z"));
}

// Not "invalid: unknown key", which reads as a forgery: the certificate cannot be checked with
// that key, and the reason names both keys and asks whether the file is the right one.
TEST(CheckCertificateTest, AnotherKeyLeavesTheCertificateUncheckedNamingBothKeys) {
  auto signer = Signer('a');
  auto other = Signer('b');
  auto verdict = CheckCertificate(SignedJson(*signer, Certificate()), other->PublicKeyPem(),
                                  kDuringValidity, {"cert.json", "audit.pub.pem"});
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_FALSE(verdict->valid);
  EXPECT_FALSE(verdict->checked);
  EXPECT_EQ(verdict->text, "");
  EXPECT_EQ(verdict->reason,
            absl::StrCat("the certificate cert.json names key ", signer->key_id(),
                         " as its signer, but --public-key audit.pub.pem holds key ",
                         other->key_id(),
                         ", so it cannot be checked with it: is audit.pub.pem the registry's "
                         "vetting public key (vetting.pub.pem, not audit.pub.pem)? If it is, the "
                         "certificate is not valid under it: ask the registry whether key ",
                         signer->key_id(),
                         " is one of its keys (anyone holding the file can write a key id "
                         "there)"));
  // Under its own key the same certificate is checked, and valid.
  EXPECT_TRUE(CheckCertificate(SignedJson(*signer, Certificate()), signer->PublicKeyPem(),
                               kDuringValidity)
                  ->checked);
}

// Protobuf keeps the last value of a key given twice: a NOT CLEAR certificate with a "result" of
// CLEAR put before the signed one verified as valid, while the file read CLEAR to the eye (and
// to a parser that keeps the first). A certificate that gives a field twice is no certificate.
TEST(CheckCertificateTest, ACertificateThatGivesAFieldTwiceIsRefused) {
  auto signer = Signer('a');
  v1::VettingCertificate not_clear = Certificate();
  not_clear.set_result(v1::VETTING_RESULT_NOT_CLEAR);
  std::string forged = SignedJson(*signer, not_clear);
  const std::string opening = "\"certificate\":{";
  const size_t at = forged.find(opening);
  ASSERT_NE(at, std::string::npos) << forged;
  forged.insert(at + opening.size(), "\"result\":\"VETTING_RESULT_CLEAR\",");
  auto verdict = CheckCertificate(forged, signer->PublicKeyPem(), kDuringValidity,
                                  {"nc_forged.json", "vetting.pub.pem"});
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(verdict.status().message(),
            "nc_forged.json is not a vetting certificate file (the JSON that `registry-cli vet "
            "check --out` writes): certificate.result: given twice");
  // Spelled another way protobuf takes, or escaped, it is the same field.
  for (const char* again :
       {"\"certificateId\":\"0123456789abcdef0123456789abcdef\",",
        "\"resul\\u0074\":\"VETTING_RESULT_CLEAR\","}) {
    std::string twice = SignedJson(*signer, not_clear);
    twice.insert(twice.find(opening) + opening.size(), again);
    auto refused = CheckCertificate(twice, signer->PublicKeyPem(), kDuringValidity);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << again;
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("given twice")) << again;
  }
}

// The type's name ("VettingCertificate has: ...") and protobuf's words for a PEM file ("unable
// to parse number") told the person shown a certificate nothing.
TEST(CheckCertificateTest, AFileThatIsNoCertificateIsSaidToBeNoneInPlainWords) {
  auto signer = Signer('a');
  auto pem = CheckCertificate(signer->PublicKeyPem(), signer->PublicKeyPem(), kDuringValidity,
                              {"vetting.pub.pem", "vetting.pub.pem"});
  EXPECT_EQ(pem.status().message(),
            "vetting.pub.pem is not a vetting certificate file (the JSON that `registry-cli vet "
            "check --out` writes): line 1: not JSON (is this a PEM file?)");
  auto unknown = CheckCertificate(R"({"certificate": {"resutl": 1}})", signer->PublicKeyPem(),
                                  kDuringValidity);
  const std::string message(unknown.status().message());
  // "resutl" is not repeated (a key may be anything a file holds), the field it is closest to is.
  EXPECT_THAT(message, HasSubstr("certificate: holds a name that is no field (did you mean "
                                 "\"result\"?); known fields: certificate_id, issued_at,"));
  EXPECT_THAT(message, Not(HasSubstr("VettingCertificate")));
}

TEST(CheckCertificateTest, UnreadableInputsAreErrors) {
  auto signer = Signer('a');
  auto bad_json = CheckCertificate("{\"certificate\": 5}", signer->PublicKeyPem(), kDuringValidity);
  EXPECT_EQ(bad_json.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_pem = CheckCertificate(SignedJson(*signer, Certificate()), "not a pem",
                                  kDuringValidity);
  EXPECT_EQ(bad_pem.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_pem.status().message()), HasSubstr("public key"));
}

}  // namespace
}  // namespace registry::client
