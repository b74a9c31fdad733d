#include "crypto/vetting_certificate.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "gtest/gtest.h"

namespace registry::crypto {
namespace {

using registry::v1::SignedVettingCertificate;
using registry::v1::VettingCertificate;

std::string Len(uint32_t n) {
  return std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
}

VettingCertificate SampleCertificate() {
  VettingCertificate c;
  c.set_certificate_id("0123456789abcdef0123456789abcdef");
  c.set_issued_at("2026-01-10T09:00:00Z");
  c.set_valid_until("2026-04-10T09:00:00Z");
  c.set_organisation("Shkolla Fillore \"Naim Frashëri\"");
  c.set_personal_number("1234567890");
  c.set_surname("Krasniqi");
  c.set_given_name("Arbër");
  c.set_birth_date("1990-05-01");
  c.set_position_category("teacher");
  c.set_result(registry::v1::VETTING_RESULT_CLEAR);
  return c;
}

absl::Time At(absl::string_view instant) {
  auto t = ParseInstant(instant);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : absl::InfinitePast();
}

class VettingCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signer_ = MakeSigner('\x11');
    other_signer_ = MakeSigner('\x22');
    ASSERT_NE(signer_, nullptr);
    ASSERT_NE(other_signer_, nullptr);
    auto signed_cert = SignCertificate(*signer_, SampleCertificate());
    ASSERT_TRUE(signed_cert.ok()) << signed_cert.status();
    signed_ = *std::move(signed_cert);
  }

  static std::unique_ptr<Ed25519Signer> MakeSigner(char fill) {
    auto signer = Ed25519Signer::FromSeed(SecretBytes(std::string(32, fill)));
    EXPECT_TRUE(signer.ok()) << signer.status();
    return signer.ok() ? *std::move(signer) : nullptr;
  }

  absl::Status Verify(const SignedVettingCertificate& c,
                      absl::Time now = At("2026-02-01T00:00:00Z")) const {
    return VerifyCertificate(c, signer_->public_key(), now);
  }

  std::unique_ptr<Ed25519Signer> signer_;
  std::unique_ptr<Ed25519Signer> other_signer_;
  SignedVettingCertificate signed_;
};

TEST(CanonicalCertificateBytesTest, FollowsDocumentedLayout) {
  VettingCertificate c;
  c.set_certificate_id("id");
  c.set_issued_at("2026-01-10T09:00:00Z");
  c.set_valid_until("");
  c.set_organisation("Org");
  c.set_personal_number("123");
  c.set_surname("Gashi");
  c.set_given_name("Ëndrit");  // Non-ASCII: lengths count UTF-8 bytes.
  c.set_birth_date("1990-05-01");
  c.set_position_category("teacher");
  c.set_result(registry::v1::VETTING_RESULT_REFER);
  c.set_key_id("0011223344556677");
  const std::string expected = std::string("KJC-REGISTRY-VETTING-CERT-V1\n") +  //
                               Len(2) + "id" +                                  //
                               Len(20) + "2026-01-10T09:00:00Z" +               //
                               Len(0) +                                         //
                               Len(3) + "Org" +                                 //
                               Len(3) + "123" +                                 //
                               Len(5) + "Gashi" +                               //
                               Len(7) + "\xc3\x8bndrit" +                       //
                               Len(10) + "1990-05-01" +                         //
                               Len(7) + "teacher" +                             //
                               Len(1) + "3" +                                   //
                               Len(16) + "0011223344556677";
  EXPECT_EQ(absl::CHexEscape(CanonicalCertificateBytes(c)), absl::CHexEscape(expected));
}

TEST(CanonicalCertificateBytesTest, FieldBoundariesAreUnambiguous) {
  VettingCertificate a = SampleCertificate();
  VettingCertificate b = SampleCertificate();
  a.set_surname("ab");
  a.set_given_name("c");
  b.set_surname("a");
  b.set_given_name("bc");
  EXPECT_NE(CanonicalCertificateBytes(a), CanonicalCertificateBytes(b));
}

TEST_F(VettingCertificateTest, SignedCertificateVerifies) {
  EXPECT_EQ(signed_.certificate().key_id(), signer_->key_id());
  EXPECT_EQ(signed_.signature().size(), kEd25519SignatureSize);
  EXPECT_TRUE(Ed25519Verify(signer_->public_key(), CanonicalCertificateBytes(signed_.certificate()),
                            signed_.signature())
                  .ok());
  absl::Status s = Verify(signed_);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(VettingCertificateTest, SignOverwritesAnyKeyIdGiven) {
  VettingCertificate c = SampleCertificate();
  c.set_key_id("ffffffffffffffff");
  auto signed_cert = SignCertificate(*signer_, c);
  ASSERT_TRUE(signed_cert.ok());
  EXPECT_EQ(signed_cert->certificate().key_id(), signer_->key_id());
  EXPECT_TRUE(Verify(*signed_cert).ok());
}

TEST_F(VettingCertificateTest, ChangingAnyFieldBreaksTheSignature) {
  // Each edit changes one byte of one field (the result changes its enum value).
  const std::vector<std::pair<const char*, std::function<void(VettingCertificate&)>>> edits = {
      {"certificate_id", [](VettingCertificate& c) { c.mutable_certificate_id()->at(0) = '1'; }},
      {"issued_at", [](VettingCertificate& c) { c.mutable_issued_at()->at(9) = '1'; }},
      {"valid_until", [](VettingCertificate& c) { c.mutable_valid_until()->at(9) = '1'; }},
      {"organisation", [](VettingCertificate& c) { c.mutable_organisation()->at(0) = 's'; }},
      {"personal_number", [](VettingCertificate& c) { c.mutable_personal_number()->at(9) = '1'; }},
      {"surname", [](VettingCertificate& c) { c.mutable_surname()->at(0) = 'G'; }},
      {"given_name", [](VettingCertificate& c) { c.mutable_given_name()->at(0) = 'E'; }},
      {"birth_date", [](VettingCertificate& c) { c.mutable_birth_date()->at(3) = '1'; }},
      {"position_category",
       [](VettingCertificate& c) { c.mutable_position_category()->at(0) = 'T'; }},
      {"result",
       [](VettingCertificate& c) { c.set_result(registry::v1::VETTING_RESULT_NOT_CLEAR); }},
  };
  for (const auto& [field, edit] : edits) {
    SCOPED_TRACE(field);
    SignedVettingCertificate changed = signed_;
    edit(*changed.mutable_certificate());
    ASSERT_NE(CanonicalCertificateBytes(changed.certificate()),
              CanonicalCertificateBytes(signed_.certificate()));
    absl::Status s = Verify(changed);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(s.message(), "bad signature");
  }
}

TEST_F(VettingCertificateTest, ChangedSignatureIsBadSignature) {
  for (size_t i = 0; i < signed_.signature().size(); ++i) {
    SignedVettingCertificate changed = signed_;
    changed.mutable_signature()->at(i) ^= 0x01;
    EXPECT_EQ(Verify(changed).code(), absl::StatusCode::kDataLoss) << i;
  }
  SignedVettingCertificate truncated = signed_;
  truncated.mutable_signature()->pop_back();
  EXPECT_EQ(Verify(truncated).code(), absl::StatusCode::kDataLoss);
  SignedVettingCertificate missing = signed_;
  missing.clear_signature();
  EXPECT_EQ(Verify(missing).code(), absl::StatusCode::kDataLoss);
}

TEST_F(VettingCertificateTest, ExpiresAtValidUntil) {
  EXPECT_TRUE(Verify(signed_, At("2026-04-10T08:59:59Z")).ok());
  absl::Status at_expiry = Verify(signed_, At("2026-04-10T09:00:00Z"));
  EXPECT_EQ(at_expiry.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(at_expiry.message(), "expired at 2026-04-10T09:00:00Z");
  EXPECT_EQ(Verify(signed_, At("2027-01-01T00:00:00Z")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(VettingCertificateTest, SignedByAnotherKeyIsUnknownKey) {
  auto other = SignCertificate(*other_signer_, SampleCertificate());
  ASSERT_TRUE(other.ok());
  absl::Status s = Verify(*other);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "unknown key: " + other_signer_->key_id());
}

TEST_F(VettingCertificateTest, AnotherKeyClaimingOurKeyIdIsBadSignature) {
  VettingCertificate c = SampleCertificate();
  c.set_key_id(signer_->key_id());
  SignedVettingCertificate forged;
  *forged.mutable_certificate() = c;
  auto sig = other_signer_->Sign(CanonicalCertificateBytes(c));
  ASSERT_TRUE(sig.ok());
  forged.set_signature(*sig);
  absl::Status s = Verify(forged);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "bad signature");
}

TEST_F(VettingCertificateTest, KeyIdIsCheckedBeforeSignatureAndSignatureBeforeExpiry) {
  // Expired and signed by another key: the key is reported.
  auto other = SignCertificate(*other_signer_, SampleCertificate());
  ASSERT_TRUE(other.ok());
  other->mutable_signature()->at(0) ^= 0x01;
  EXPECT_EQ(Verify(*other, At("2030-01-01T00:00:00Z")).code(),
            absl::StatusCode::kFailedPrecondition);
  // Expired and tampered: the signature is reported.
  SignedVettingCertificate changed = signed_;
  changed.mutable_certificate()->set_surname("Other");
  EXPECT_EQ(Verify(changed, At("2030-01-01T00:00:00Z")).code(), absl::StatusCode::kDataLoss);
}

TEST_F(VettingCertificateTest, UnparsableDatesAreInvalidArgument) {
  VettingCertificate bad_until = SampleCertificate();
  bad_until.set_valid_until("next spring");
  auto signed_bad_until = SignCertificate(*signer_, bad_until);
  ASSERT_TRUE(signed_bad_until.ok());
  EXPECT_EQ(Verify(*signed_bad_until).code(), absl::StatusCode::kInvalidArgument);

  VettingCertificate bad_issued = SampleCertificate();
  bad_issued.set_issued_at("2026-13-40T00:00:00Z");
  auto signed_bad_issued = SignCertificate(*signer_, bad_issued);
  ASSERT_TRUE(signed_bad_issued.ok());
  EXPECT_EQ(Verify(*signed_bad_issued).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(VettingCertificateTest, RejectsPublicKeyOfWrongSize) {
  EXPECT_EQ(VerifyCertificate(signed_, signer_->public_key().substr(1), At("2026-02-01T00:00:00Z"))
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace registry::crypto
