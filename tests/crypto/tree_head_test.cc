#include "crypto/tree_head.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace registry::crypto {
namespace {

std::string Root0To31() {
  std::string root;
  for (int i = 0; i < 32; ++i) root.push_back(static_cast<char>(i));
  return root;
}

constexpr char kLogId[] = "00112233445566778899aabbccddeeff";

TEST(TreeHeadSigningBytesTest, LayoutIsExactlyAsDocumented) {
  // 2024-11-28T13:20:00Z = 1732800000000000 us = 0x000627f8f0778000.
  absl::StatusOr<std::string> bytes = TreeHeadSigningBytes(
      "log", 0x0102030405060708, 1732800000000000, Root0To31(), "0123456789abcdef");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::string expected_hex =
      "4b4a432d52454749535452592d5354482d5632"                            // "KJC-REGISTRY-STH-V2"
      "0a"                                                                // line feed
      "03"                                                                // len(log_id) = 3
      "6c6f67"                                                            // log_id "log"
      "0102030405060708"                                                  // tree_size
      "000627f8f0778000"                                                  // timestamp_micros
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"  // root_hash
      "10"                                                                // len(key_id) = 16
      "30313233343536373839616263646566";                                 // key_id
  EXPECT_EQ(absl::BytesToHexString(*bytes), expected_hex);
  EXPECT_EQ(bytes->size(), 70u + 3u + 16u);
}

TEST(TreeHeadSigningBytesTest, ZeroSizesAndLongestIdsEncode) {
  const std::string key_id(kTreeHeadMaxKeyIdSize, 'k');
  const std::string log_id(kTreeHeadMaxLogIdSize, 'l');
  absl::StatusOr<std::string> bytes =
      TreeHeadSigningBytes(log_id, 0, 0, std::string(32, '\xff'), key_id);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_EQ(bytes->size(), 70u + 255u + 255u);
  EXPECT_EQ(bytes->substr(0, 20), "KJC-REGISTRY-STH-V2\n");
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[20]), 255);
  EXPECT_EQ(bytes->substr(21, 255), log_id);
  EXPECT_EQ(bytes->substr(276, 16), std::string(16, '\0'));
  EXPECT_EQ(bytes->substr(292, 32), std::string(32, '\xff'));
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[324]), 255);
  EXPECT_EQ(bytes->substr(325), key_id);
}

TEST(TreeHeadSigningBytesTest, EveryFieldChangesTheBytes) {
  const std::string root = Root0To31();
  const std::string base = *TreeHeadSigningBytes(kLogId, 5, 6, root, "key");
  std::string other_root = root;
  other_root[31] ^= 1;
  EXPECT_NE(*TreeHeadSigningBytes(kLogId, 4, 6, root, "key"), base);
  EXPECT_NE(*TreeHeadSigningBytes(kLogId, 5, 7, root, "key"), base);
  EXPECT_NE(*TreeHeadSigningBytes(kLogId, 5, 6, other_root, "key"), base);
  EXPECT_NE(*TreeHeadSigningBytes(kLogId, 5, 6, root, "kez"), base);
  EXPECT_NE(*TreeHeadSigningBytes(kLogId, 5, 6, root, "keyy"), base);
  // Another log's head of the same size, root and date is another statement.
  EXPECT_NE(*TreeHeadSigningBytes("00112233445566778899aabbccddeefe", 5, 6, root, "key"), base);
  // The lengths keep the two ids apart: moving a byte from one id to the other changes the bytes.
  EXPECT_NE(*TreeHeadSigningBytes("ab", 5, 6, root, "c"),
            *TreeHeadSigningBytes("a", 5, 6, root, "bc"));
}

TEST(TreeHeadSigningBytesTest, RootHashOfWrongSizeIsInvalidArgument) {
  for (size_t size : {0, 31, 33, 64}) {
    absl::StatusOr<std::string> bytes =
        TreeHeadSigningBytes(kLogId, 1, 1, std::string(size, 'r'), "key");
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument) << size;
  }
}

TEST(TreeHeadSigningBytesTest, EmptyOrOverlongIdsAreInvalidArgument) {
  EXPECT_EQ(TreeHeadSigningBytes(kLogId, 1, 1, Root0To31(), "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TreeHeadSigningBytes(kLogId, 1, 1, Root0To31(), std::string(256, 'k')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TreeHeadSigningBytes("", 1, 1, Root0To31(), "key").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TreeHeadSigningBytes(std::string(256, 'l'), 1, 1, Root0To31(), "key").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace registry::crypto
