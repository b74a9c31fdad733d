#include "crypto/record_cipher.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "crypto/aes_gcm.h"
#include "gtest/gtest.h"

namespace registry::crypto {
namespace {

SecretBytes Dek() { return SecretBytes("0123456789abcdef0123456789abcdef"); }

RecordAad Place() { return RecordAad{"3f1c0a5e9b2d4e6f8a7b1c2d3e4f5a6b", 4, "person"}; }

constexpr absl::string_view kPlain = "surname=Berisha;given=Arta;born=1990-05-01";

void ExpectAuthFailed(const absl::StatusOr<std::string>& result) {
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(result.status().message(), "authentication failed");
}

TEST(RecordCipherTest, SealThenOpenRoundTrips) {
  for (const std::string& plain : {std::string(), std::string(kPlain)}) {
    auto sealed = SealRecordFields(Dek(), Place(), plain);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    EXPECT_EQ(sealed->size(), plain.size() + kRecordCipherOverhead);
    auto opened = OpenRecordFields(Dek(), Place(), *sealed);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(*opened, plain);
  }
}

TEST(RecordCipherTest, SealedFollowsDocumentedFormat) {
  auto sealed = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ((*sealed)[0], '\x01');
  const RecordAad place = Place();
  const std::string aad =
      absl::StrCat("kjc-registry/record/v1", std::string("\0\0\0\x20", 4), place.record_id,
                   std::string("\0\0\0\x04", 4), std::string("\0\0\0\x06", 4), "person");
  auto opened = AesGcmOpen(Dek(), sealed->substr(1, 12), sealed->substr(13), aad);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, kPlain);
}

TEST(RecordCipherTest, SealUsesFreshNonces) {
  auto a = SealRecordFields(Dek(), Place(), kPlain);
  auto b = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(RecordCipherTest, OpenFailsWhenAnyByteIsFlipped) {
  auto sealed = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = *sealed;
      changed[i] ^= static_cast<char>(1 << bit);
      SCOPED_TRACE(absl::StrCat("byte ", i, " bit ", bit));
      ExpectAuthFailed(OpenRecordFields(Dek(), Place(), changed));
    }
  }
}

TEST(RecordCipherTest, OpenFailsWhenTruncatedOrExtended) {
  auto sealed = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(sealed.ok());
  for (size_t n = 0; n < sealed->size(); ++n) {
    SCOPED_TRACE(n);
    ExpectAuthFailed(OpenRecordFields(Dek(), Place(), sealed->substr(0, n)));
  }
  ExpectAuthFailed(OpenRecordFields(Dek(), Place(), *sealed + '\0'));
}

TEST(RecordCipherTest, OpenFailsWhenRecordIdDiffers) {
  auto sealed = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(sealed.ok());
  RecordAad other = Place();
  other.record_id.back() = other.record_id.back() == 'b' ? 'c' : 'b';
  ExpectAuthFailed(OpenRecordFields(Dek(), other, *sealed));
}

TEST(RecordCipherTest, OpenFailsWhenVersionDiffers) {
  auto sealed = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(sealed.ok());
  for (uint32_t version : {0u, 3u, 5u, 0x01000004u}) {
    RecordAad other = Place();
    other.version = version;
    SCOPED_TRACE(version);
    ExpectAuthFailed(OpenRecordFields(Dek(), other, *sealed));
  }
}

TEST(RecordCipherTest, OpenFailsWhenFieldSetDiffers) {
  auto sealed = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(sealed.ok());
  RecordAad other = Place();
  other.field_set = "conviction";
  ExpectAuthFailed(OpenRecordFields(Dek(), other, *sealed));
}

TEST(RecordCipherTest, OpenFailsWhenNameBoundaryShifts) {
  // Without length prefixes ("ab", "c") and ("a", "bc") would concatenate alike.
  const RecordAad first{"ab", 1, "c"};
  const RecordAad second{"a", 1, "bc"};
  auto sealed = SealRecordFields(Dek(), first, kPlain);
  ASSERT_TRUE(sealed.ok());
  ExpectAuthFailed(OpenRecordFields(Dek(), second, *sealed));
}

TEST(RecordCipherTest, OpenFailsUnderAnotherDek) {
  auto sealed = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(sealed.ok());
  ExpectAuthFailed(OpenRecordFields(SecretBytes(std::string(32, 'x')), Place(), *sealed));
}

TEST(RecordCipherTest, AcceptsOneMebibyteAndRejectsMore) {
  const std::string max(kRecordMaxPlaintextSize, 'p');
  auto sealed = SealRecordFields(Dek(), Place(), max);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  auto opened = OpenRecordFields(Dek(), Place(), *sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->size(), max.size());
  EXPECT_EQ(SealRecordFields(Dek(), Place(), max + "p").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RecordCipherTest, RejectsDekOfWrongSize) {
  const SecretBytes short_dek(std::string(16, 'k'));
  EXPECT_EQ(SealRecordFields(short_dek, Place(), kPlain).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto sealed = SealRecordFields(Dek(), Place(), kPlain);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(OpenRecordFields(short_dek, Place(), *sealed).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace registry::crypto
