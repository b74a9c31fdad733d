#include "crypto/blind_index.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "gtest/gtest.h"

namespace registry::crypto {
namespace {

SecretBytes TestRoot() {
  std::string root;
  for (int i = 0; i < 32; ++i) root.push_back(static_cast<char>(i));
  return SecretBytes(root);
}

std::unique_ptr<BlindIndexer> MakeIndexer(const SecretBytes& root, absl::string_view name) {
  auto indexer = BlindIndexer::Create(root, name);
  EXPECT_TRUE(indexer.ok()) << indexer.status();
  return indexer.ok() ? *std::move(indexer) : nullptr;
}

TEST(BlindIndexerTest, TokenMatchesKnownAnswer) {
  // HMAC-SHA256(HKDF-SHA256(root = 00..1f, "kjc-registry-v1", "blind-index/personal_number", 32),
  // "1234567890"), computed independently with Python's hmac and hashlib.
  auto indexer = MakeIndexer(TestRoot(), "personal_number");
  ASSERT_NE(indexer, nullptr);
  auto token = indexer->Token("1234567890");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->size(), kBlindIndexTokenSize);
  EXPECT_EQ(absl::BytesToHexString(*token),
            "827bdff2d1d919381ef6aff4041ce8fded3fcc4526c581c5a583022307493743");
}

TEST(BlindIndexerTest, TokenIsHmacUnderDerivedIndexKey) {
  const SecretBytes root = TestRoot();
  auto key = HkdfSha256(root, "kjc-registry-v1", "blind-index/name_birth", 32);
  ASSERT_TRUE(key.ok());
  auto expected = HmacSha256(*key, "berisha|arta|1990-05-01");
  ASSERT_TRUE(expected.ok());
  auto indexer = MakeIndexer(root, "name_birth");
  ASSERT_NE(indexer, nullptr);
  auto token = indexer->Token("berisha|arta|1990-05-01");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, *expected);
}

TEST(BlindIndexerTest, EqualValuesGiveEqualTokensAndDifferentValuesDifferent) {
  auto indexer = MakeIndexer(TestRoot(), "personal_number");
  ASSERT_NE(indexer, nullptr);
  auto a1 = indexer->Token("1234567890");
  auto a2 = indexer->Token("1234567890");
  auto b = indexer->Token("1234567891");
  ASSERT_TRUE(a1.ok() && a2.ok() && b.ok());
  EXPECT_EQ(*a1, *a2);
  EXPECT_NE(*a1, *b);
}

TEST(BlindIndexerTest, DifferentIndexNamesGiveUnrelatedTokens) {
  const SecretBytes root = TestRoot();
  auto pn = MakeIndexer(root, "personal_number");
  auto name = MakeIndexer(root, "name_birth");
  ASSERT_NE(pn, nullptr);
  ASSERT_NE(name, nullptr);
  auto a = pn->Token("same value");
  auto b = name->Token("same value");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  // Nor is either the plain HMAC of the value under the root itself.
  auto under_root = HmacSha256(root, "same value");
  ASSERT_TRUE(under_root.ok());
  EXPECT_NE(*a, *under_root);
  EXPECT_NE(*b, *under_root);
}

TEST(BlindIndexerTest, DifferentRootsGiveDifferentTokens) {
  auto a = MakeIndexer(TestRoot(), "personal_number");
  auto b = MakeIndexer(SecretBytes(std::string(32, 'x')), "personal_number");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto ta = a->Token("1234567890");
  auto tb = b->Token("1234567890");
  ASSERT_TRUE(ta.ok() && tb.ok());
  EXPECT_NE(*ta, *tb);
}

TEST(BlindIndexerTest, CreateRejectsEmptyNameOrRoot) {
  EXPECT_EQ(BlindIndexer::Create(TestRoot(), "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BlindIndexer::Create(SecretBytes(), "personal_number").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BlindIndexerTest, TokensAreConsistentAcrossThreads) {
  auto indexer = MakeIndexer(TestRoot(), "personal_number");
  ASSERT_NE(indexer, nullptr);
  auto expected = indexer->Token("1234567890");
  ASSERT_TRUE(expected.ok());
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto token = indexer->Token("1234567890");
        if (!token.ok() || *token != *expected) ++mismatches[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << t;
}

TEST(DeriveKeyTest, IsHkdfWithRegistrySaltAndPurpose) {
  const SecretBytes root = TestRoot();
  auto key = DeriveKey(root, "vetting-signing");
  auto expected = HkdfSha256(root, "kjc-registry-v1", "vetting-signing", 32);
  ASSERT_TRUE(key.ok() && expected.ok());
  EXPECT_EQ(key->size(), 32u);
  EXPECT_TRUE(key->Equals(*expected));
  auto other = DeriveKey(root, "audit-signing");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(key->Equals(*other));
}

TEST(DeriveKeyTest, RejectsEmptyPurposeOrRoot) {
  EXPECT_EQ(DeriveKey(TestRoot(), "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveKey(SecretBytes(), "vetting-signing").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace registry::crypto
