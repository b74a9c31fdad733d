#include "crypto/keyring.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "crypto/aes_gcm.h"
#include "gtest/gtest.h"

namespace registry::crypto {
namespace {

SecretBytes Kek(char fill) { return SecretBytes(std::string(kKekSize, fill)); }

std::unique_ptr<Keyring> MakeRing(std::vector<std::pair<uint32_t, char>> keks, uint32_t current) {
  std::vector<std::pair<uint32_t, SecretBytes>> list;
  for (const auto& [version, fill] : keks) list.emplace_back(version, Kek(fill));
  auto ring = Keyring::Create(std::move(list), current);
  EXPECT_TRUE(ring.ok()) << ring.status();
  return ring.ok() ? *std::move(ring) : nullptr;
}

SecretBytes TestDek() { return SecretBytes("0123456789abcdef0123456789abcdef"); }

TEST(KeyringTest, WrapThenUnwrapReturnsTheDek) {
  auto ring = MakeRing({{1, 'a'}, {2, 'b'}}, 2);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->current_version(), 2u);
  auto wrapped = ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(wrapped->size(), kWrappedDekSize);
  auto dek = ring->UnwrapDek(*wrapped, "rec-1");
  ASSERT_TRUE(dek.ok()) << dek.status();
  EXPECT_TRUE(dek->Equals(TestDek()));
}

TEST(KeyringTest, WrappedDekFollowsDocumentedFormat) {
  auto ring = MakeRing({{0x01020304, 'a'}}, 0x01020304);
  ASSERT_NE(ring, nullptr);
  auto wrapped = ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  ASSERT_EQ(wrapped->size(), 65u);
  const std::string prefix("\x01\x01\x02\x03\x04", 5);
  EXPECT_EQ(wrapped->substr(0, 5), prefix);
  // Open by hand with the documented nonce position and associated data.
  const std::string aad =
      absl::StrCat("kjc-registry/dek/v1", std::string(1, '\0'), "rec-1", prefix);
  auto dek = AesGcmOpen(Kek('a'), wrapped->substr(5, 12), wrapped->substr(17), aad);
  ASSERT_TRUE(dek.ok()) << dek.status();
  EXPECT_EQ(*dek, TestDek().view());
  auto version = Keyring::WrappedVersion(*wrapped);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 0x01020304u);
}

TEST(KeyringTest, WrapUsesFreshNonces) {
  auto ring = MakeRing({{1, 'a'}}, 1);
  ASSERT_NE(ring, nullptr);
  auto a = ring->WrapDek(TestDek(), "rec-1");
  auto b = ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(KeyringTest, UnwrapFailsWhenRecordIdDiffers) {
  auto ring = MakeRing({{1, 'a'}}, 1);
  ASSERT_NE(ring, nullptr);
  auto wrapped = ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped.ok());
  for (absl::string_view other : {"rec-2", "rec-1 ", "", "rec-"}) {
    auto dek = ring->UnwrapDek(*wrapped, other);
    EXPECT_EQ(dek.status().code(), absl::StatusCode::kDataLoss) << other;
    EXPECT_EQ(dek.status().message(), "authentication failed");
  }
}

TEST(KeyringTest, UnwrapFailsWhenAnyByteIsFlipped) {
  auto ring = MakeRing({{1, 'a'}, {3, 'c'}}, 1);
  ASSERT_NE(ring, nullptr);
  auto wrapped = ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped.ok());
  for (size_t i = 0; i < wrapped->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = *wrapped;
      changed[i] ^= static_cast<char>(1 << bit);
      EXPECT_EQ(ring->UnwrapDek(changed, "rec-1").status().code(), absl::StatusCode::kDataLoss)
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(KeyringTest, UnwrapFailsOnWrongLength) {
  auto ring = MakeRing({{1, 'a'}}, 1);
  ASSERT_NE(ring, nullptr);
  auto wrapped = ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped.ok());
  for (size_t n = 0; n < wrapped->size(); ++n) {
    auto dek = ring->UnwrapDek(wrapped->substr(0, n), "rec-1");
    EXPECT_EQ(dek.status().code(), absl::StatusCode::kDataLoss) << n;
    EXPECT_EQ(dek.status().message(), "authentication failed");
  }
  EXPECT_EQ(ring->UnwrapDek(*wrapped + "x", "rec-1").status().code(), absl::StatusCode::kDataLoss);
}

TEST(KeyringTest, UnwrapFailsWithUnknownKeyVersion) {
  auto old_ring = MakeRing({{7, 'a'}}, 7);
  auto new_ring = MakeRing({{8, 'b'}}, 8);
  ASSERT_NE(old_ring, nullptr);
  ASSERT_NE(new_ring, nullptr);
  auto wrapped = old_ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped.ok());
  auto dek = new_ring->UnwrapDek(*wrapped, "rec-1");
  EXPECT_EQ(dek.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(dek.status().message(), "unknown key version 7");
}

TEST(KeyringTest, UnwrapFailsWhenSameVersionHasAnotherKey) {
  auto ring = MakeRing({{1, 'a'}}, 1);
  auto impostor = MakeRing({{1, 'z'}}, 1);
  ASSERT_NE(ring, nullptr);
  ASSERT_NE(impostor, nullptr);
  auto wrapped = ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped.ok());
  auto dek = impostor->UnwrapDek(*wrapped, "rec-1");
  EXPECT_EQ(dek.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(dek.status().message(), "authentication failed");
}

TEST(KeyringTest, RewrapMovesToCurrentVersionAndSurvivesRemovalOfOldKek) {
  auto v1_ring = MakeRing({{1, 'a'}}, 1);
  auto rotating_ring = MakeRing({{1, 'a'}, {2, 'b'}}, 2);
  auto v2_ring = MakeRing({{2, 'b'}}, 2);
  ASSERT_NE(v1_ring, nullptr);
  ASSERT_NE(rotating_ring, nullptr);
  ASSERT_NE(v2_ring, nullptr);

  auto wrapped_v1 = v1_ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped_v1.ok());
  auto rewrapped = rotating_ring->Rewrap(*wrapped_v1, "rec-1");
  ASSERT_TRUE(rewrapped.ok()) << rewrapped.status();
  auto version = Keyring::WrappedVersion(*rewrapped);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 2u);

  // The old KEK is gone: the rewrapped DEK still opens, the old wrapping does not.
  auto dek = v2_ring->UnwrapDek(*rewrapped, "rec-1");
  ASSERT_TRUE(dek.ok()) << dek.status();
  EXPECT_TRUE(dek->Equals(TestDek()));
  auto old = v2_ring->UnwrapDek(*wrapped_v1, "rec-1");
  EXPECT_EQ(old.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(old.status().message(), "unknown key version 1");
}

TEST(KeyringTest, RewrapFailsWhenRecordIdDiffers) {
  auto ring = MakeRing({{1, 'a'}, {2, 'b'}}, 2);
  ASSERT_NE(ring, nullptr);
  auto wrapped = ring->WrapDek(TestDek(), "rec-1");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(ring->Rewrap(*wrapped, "rec-2").status().code(), absl::StatusCode::kDataLoss);
}

TEST(KeyringTest, WrappedVersionRejectsMalformedInput) {
  EXPECT_EQ(Keyring::WrappedVersion("").status().code(), absl::StatusCode::kDataLoss);
  std::string wrong_format(kWrappedDekSize, '\0');
  wrong_format[0] = 0x02;
  EXPECT_EQ(Keyring::WrappedVersion(wrong_format).status().code(), absl::StatusCode::kDataLoss);
  std::string ok_format(kWrappedDekSize, '\0');
  ok_format[0] = 0x01;
  ok_format[4] = 0x09;
  auto version = Keyring::WrappedVersion(ok_format);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 9u);
  EXPECT_EQ(Keyring::WrappedVersion(ok_format.substr(1)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(KeyringTest, CreateRejectsInvalidKeyLists) {
  auto create = [](std::vector<std::pair<uint32_t, SecretBytes>> keks, uint32_t current) {
    return Keyring::Create(std::move(keks), current).status().code();
  };
  EXPECT_EQ(create({}, 1), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create({{0, Kek('a')}}, 0), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create({{1, Kek('a')}, {1, Kek('b')}}, 1), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create({{1, SecretBytes(std::string(16, 'a'))}}, 1),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create({{1, Kek('a')}, {2, Kek('b')}}, 3), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create({{1, Kek('a')}, {2, Kek('b')}}, 1), absl::StatusCode::kOk);
}

TEST(KeyringTest, WrapRejectsDekOfWrongSize) {
  auto ring = MakeRing({{1, 'a'}}, 1);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->WrapDek(SecretBytes(std::string(16, 'd')), "rec-1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ring->WrapDek(SecretBytes(), "rec-1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyringTest, NewDekIsRandom32Bytes) {
  auto a = Keyring::NewDek();
  auto b = Keyring::NewDek();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), kDekSize);
  EXPECT_FALSE(a->Equals(*b));
}

}  // namespace
}  // namespace registry::crypto
