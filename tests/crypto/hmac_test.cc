#include "crypto/hmac.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/testing/threads.h"

namespace registry::crypto {
namespace {

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

struct HmacVector {
  const char* name;
  std::string key;
  std::string data;
  const char* mac;
};

// RFC 4231 section 4, HMAC-SHA-256 results. Test case 5 (truncated output) does not apply.
std::vector<HmacVector> Rfc4231Vectors() {
  const std::string key_131(131, '\xaa');
  return {
      {"1", std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"3", std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4", Unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"6", key_131, "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"7", key_131,
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(HmacSha256Test, MatchesRfc4231) {
  for (const HmacVector& v : Rfc4231Vectors()) {
    SCOPED_TRACE(std::string("RFC 4231 test case ") + v.name);
    auto mac = HmacSha256(SecretBytes(v.key), v.data);
    ASSERT_TRUE(mac.ok()) << mac.status();
    EXPECT_EQ(mac->size(), kHmacSha256Size);
    EXPECT_EQ(absl::BytesToHexString(*mac), v.mac);
  }
}

TEST(HmacSha256Test, EmptyKeyIsAKeyNotAnError) {
  // HMAC-SHA256 with empty key and empty message (computed with Python's hmac module).
  auto mac = HmacSha256(SecretBytes(), "");
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(absl::BytesToHexString(*mac),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256Test, DependsOnEveryKeyByte) {
  const std::string key(32, 'k');
  auto base = HmacSha256(SecretBytes(key), "value");
  ASSERT_TRUE(base.ok());
  for (size_t i = 0; i < key.size(); ++i) {
    std::string changed = key;
    changed[i] ^= 0x01;
    auto mac = HmacSha256(SecretBytes(changed), "value");
    ASSERT_TRUE(mac.ok());
    EXPECT_NE(*mac, *base) << i;
  }
}

// A key set up once gives the RFC's tags, message after message: each Mac starts from the key,
// not from the state the previous message left.
TEST(HmacSha256KeyTest, MatchesRfc4231MessageAfterMessage) {
  for (const HmacVector& v : Rfc4231Vectors()) {
    SCOPED_TRACE(std::string("RFC 4231 test case ") + v.name);
    auto key = HmacSha256Key::Create(SecretBytes(v.key));
    ASSERT_TRUE(key.ok()) << key.status();
    for (int round = 0; round < 3; ++round) {
      auto other = (*key)->Mac("another message between the two");
      ASSERT_TRUE(other.ok()) << other.status();
      auto mac = (*key)->Mac(v.data);
      ASSERT_TRUE(mac.ok()) << mac.status();
      EXPECT_EQ(absl::BytesToHexString(*mac), v.mac) << "round " << round;
    }
  }
  auto empty = HmacSha256Key::Create(SecretBytes());
  ASSERT_TRUE(empty.ok()) << empty.status();
  auto mac = (*empty)->Mac("");
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(absl::BytesToHexString(*mac),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

// Threads that share one key each get their own context: every tag is the one-shot HMAC of its
// own message.
TEST(HmacSha256KeyTest, ThreadsSharingAKeyGetTheirOwnMessagesTags) {
  const SecretBytes secret(std::string(32, 'k'));
  auto key = HmacSha256Key::Create(secret);
  ASSERT_TRUE(key.ok()) << key.status();
  constexpr int kThreads = 8;
  const std::vector<int> wrong = testing::CountOnThreads(kThreads, [&](int t) {
    int mistakes = 0;
    for (int i = 0; i < 300; ++i) {
      const std::string message = std::to_string(t) + "/" + std::to_string(i);
      auto mac = (*key)->Mac(message);
      auto expected = HmacSha256(secret, message);
      if (!mac.ok() || !expected.ok() || *mac != *expected) ++mistakes;
    }
    return mistakes;
  });
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace registry::crypto
