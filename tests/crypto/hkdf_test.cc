#include "crypto/hkdf.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace registry::crypto {
namespace {

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

std::string Range(int from, int to) {
  std::string out;
  for (int b = from; b < to; ++b) out.push_back(static_cast<char>(b));
  return out;
}

// RFC 5869 appendix A.1.
TEST(HkdfSha256Test, MatchesRfc5869TestCase1) {
  auto okm = HkdfSha256(SecretBytes(std::string(22, '\x0b')), Unhex("000102030405060708090a0b0c"),
                        Unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(absl::BytesToHexString(okm->view()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 appendix A.2: 80-byte inputs.
TEST(HkdfSha256Test, MatchesRfc5869TestCase2) {
  auto okm = HkdfSha256(SecretBytes(Range(0x00, 0x50)), Range(0x60, 0xb0), Range(0xb0, 0x100), 82);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(absl::BytesToHexString(okm->view()),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

// RFC 5869 appendix A.3: empty salt and info.
TEST(HkdfSha256Test, MatchesRfc5869TestCase3) {
  auto okm = HkdfSha256(SecretBytes(std::string(22, '\x0b')), "", "", 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(absl::BytesToHexString(okm->view()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256Test, DifferentInfoGivesUnrelatedKeys) {
  const SecretBytes ikm(std::string(32, 'r'));
  auto a = HkdfSha256(ikm, "salt", "purpose-a", 32);
  auto b = HkdfSha256(ikm, "salt", "purpose-b", 32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->Equals(*b));
}

TEST(HkdfSha256Test, ShorterOutputIsPrefixOfLonger) {
  const SecretBytes ikm(std::string(32, 'r'));
  auto short_okm = HkdfSha256(ikm, "salt", "info", 16);
  auto long_okm = HkdfSha256(ikm, "salt", "info", 100);
  ASSERT_TRUE(short_okm.ok() && long_okm.ok());
  EXPECT_EQ(short_okm->size(), 16u);
  EXPECT_EQ(long_okm->size(), 100u);
  EXPECT_EQ(short_okm->view(), long_okm->view().substr(0, 16));
}

TEST(HkdfSha256Test, AcceptsLengthsOneTo8160) {
  const SecretBytes ikm(std::string(32, 'r'));
  auto one = HkdfSha256(ikm, "", "", 1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->size(), 1u);
  auto max = HkdfSha256(ikm, "", "", kHkdfSha256MaxLength);
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(max->size(), 8160u);
}

TEST(HkdfSha256Test, RejectsLengthZeroOrAbove8160) {
  const SecretBytes ikm(std::string(32, 'r'));
  EXPECT_EQ(HkdfSha256(ikm, "", "", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HkdfSha256(ikm, "", "", 8161).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HkdfSha256Test, RejectsEmptyIkmAndOversizedInfo) {
  EXPECT_EQ(HkdfSha256(SecretBytes(), "salt", "info", 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  const SecretBytes ikm(std::string(32, 'r'));
  EXPECT_TRUE(HkdfSha256(ikm, "", std::string(kHkdfMaxInfoSize, 'i'), 32).ok());
  EXPECT_EQ(HkdfSha256(ikm, "", std::string(kHkdfMaxInfoSize + 1, 'i'), 32).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace registry::crypto
