// The registry's ids: 32 lowercase hex characters, one spelling per id, and new ones that do not
// repeat.
#include "storage/ids.h"

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace registry::storage {
namespace {

TEST(RegistryIdTest, AcceptsThirtyTwoLowercaseHexCharacters) {
  EXPECT_TRUE(IsRegistryId("0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(IsRegistryId(std::string(kIdSize, 'f')));
}

TEST(RegistryIdTest, RefusesEveryOtherShape) {
  for (const std::string& bad : {
           std::string(),
           std::string(kIdSize - 1, 'a'),
           std::string(kIdSize + 1, 'a'),
           std::string("0123456789ABCDEF0123456789abcdef"),  // another spelling of a valid id
           std::string("0123456789abcdeg0123456789abcdef"),
           std::string("0123456789abcdef 123456789abcdef"),
           std::string("0123456789abcdef0123456789abcde\n"),
           std::string("0123456789abcdef\0" "123456789abcdef", kIdSize),
           std::string("../../../../../../../etc/passwd.."),
       }) {
    EXPECT_FALSE(IsRegistryId(bad)) << bad;
  }
}

TEST(RegistryIdTest, NewIdsHaveTheShapeAndDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::string> id = NewRegistryId();
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(IsRegistryId(*id)) << *id;
    EXPECT_TRUE(seen.insert(*id).second) << "repeated: " << *id;
  }
}

}  // namespace
}  // namespace registry::storage
