#include "crypto/secret_bytes.h"

#include <climits>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace registry::crypto {
namespace {

// Detects `os << value` for a const T&.
template <typename T, typename = void>
struct IsStreamable : std::false_type {};
template <typename T>
struct IsStreamable<
    T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};

TEST(SecretBytesTest, CannotBePrintedOrConvertedImplicitly) {
  EXPECT_FALSE(IsStreamable<SecretBytes>::value);
  EXPECT_FALSE((std::is_convertible_v<SecretBytes, std::string>));
  EXPECT_FALSE((std::is_convertible_v<SecretBytes, absl::string_view>));
  EXPECT_FALSE((std::is_convertible_v<SecretBytes, const char*>));
  EXPECT_FALSE((std::is_convertible_v<absl::string_view, SecretBytes>));
  EXPECT_FALSE((std::is_convertible_v<std::string, SecretBytes>));
  // The detector itself works: it sees operator<< where one exists.
  EXPECT_TRUE(IsStreamable<std::string>::value);
}

TEST(SecretBytesTest, DefaultIsEmptyWithNonNullData) {
  SecretBytes s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_NE(s.data(), nullptr);
  EXPECT_TRUE(s.view().empty());
}

TEST(SecretBytesTest, HoldsTheGivenBytesIncludingZeros) {
  const std::string bytes("k\0e\xffy", 5);
  SecretBytes s(bytes);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.view(), bytes);
  EXPECT_EQ(s.data()[3], 0xff);
}

TEST(SecretBytesTest, CopyIsEqualAndIndependent) {
  SecretBytes a("0123456789abcdef");
  SecretBytes b(a);
  EXPECT_TRUE(a.Equals(b));
  EXPECT_NE(a.data(), b.data());
  b = SecretBytes("other");
  EXPECT_EQ(a.view(), "0123456789abcdef");
  EXPECT_EQ(b.view(), "other");
}

TEST(SecretBytesTest, CopyAssignmentReplacesLongerContents) {
  SecretBytes a("a much longer secret value");
  const SecretBytes b("short");
  a = b;
  EXPECT_EQ(a.view(), "short");
  EXPECT_EQ(a.size(), 5u);
}

TEST(SecretBytesTest, SelfAssignmentKeepsContents) {
  SecretBytes a("secret");
  SecretBytes& alias = a;
  a = alias;
  EXPECT_EQ(a.view(), "secret");
  a = std::move(alias);
  EXPECT_EQ(a.view(), "secret");
}

TEST(SecretBytesTest, MoveConstructionLeavesSourceEmpty) {
  SecretBytes a("secret");
  const uint8_t* buffer = a.data();
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.view(), "secret");
  EXPECT_EQ(b.data(), buffer);  // The buffer moved; no second copy was made.
  EXPECT_TRUE(a.empty());       // NOLINT(bugprone-use-after-move): checking the moved-from state.
}

TEST(SecretBytesTest, MoveAssignmentLeavesSourceEmpty) {
  SecretBytes a("secret");
  SecretBytes b("previous contents");
  b = std::move(a);
  EXPECT_EQ(b.view(), "secret");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(SecretBytesTest, EqualsComparesLengthAndEveryByte) {
  const std::string base = "0123456789abcdef0123456789abcdef";
  const SecretBytes a(base);
  EXPECT_TRUE(a.Equals(SecretBytes(base)));
  EXPECT_FALSE(a.Equals(SecretBytes(base.substr(0, 31))));
  EXPECT_FALSE(a.Equals(SecretBytes()));
  EXPECT_TRUE(SecretBytes().Equals(SecretBytes()));
  for (size_t i = 0; i < base.size(); ++i) {
    std::string changed = base;
    changed[i] ^= 0x01;
    EXPECT_FALSE(a.Equals(SecretBytes(changed))) << i;
  }
}

TEST(ConstantTimeEqualsTest, FalseOnLengthMismatchOrAnyDifferentByte) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("xbc", "abc"));
}

TEST(SecretBytesTest, RandomHasRequestedSizeAndVaries) {
  auto a = SecretBytes::Random(32);
  auto b = SecretBytes::Random(32);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->size(), 32u);
  EXPECT_FALSE(a->Equals(*b));
  EXPECT_FALSE(a->Equals(SecretBytes(std::string(32, '\0'))));
  auto empty = SecretBytes::Random(0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(SecretBytesTest, RandomRejectsLengthsAboveIntMax) {
  const size_t too_big = static_cast<size_t>(INT_MAX) + 1;
  EXPECT_EQ(SecretBytes::Random(too_big).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RandomBytes(too_big).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RandomBytesTest, HasRequestedSizeAndVaries) {
  auto a = RandomBytes(16);
  auto b = RandomBytes(16);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->size(), 16u);
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, std::string(16, '\0'));
}

}  // namespace
}  // namespace registry::crypto
