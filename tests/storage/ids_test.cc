// The registry's ids: 32 lowercase hex characters, one spelling per id, and new ones that do not
// repeat.
#include "storage/ids.h"

#include <set>
#include <string>
#include <vector>

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

// Ids drawn together are as good as ids drawn one by one: the shape, and none repeated, within
// a draw or across draws.
TEST(RegistryIdTest, IdsDrawnTogetherHaveTheShapeAndDoNotRepeat) {
  std::set<std::string> seen;
  for (size_t n : {size_t{0}, size_t{1}, size_t{4}, size_t{100}}) {
    absl::StatusOr<std::vector<std::string>> ids = NewRegistryIds(n);
    ASSERT_TRUE(ids.ok()) << ids.status();
    ASSERT_EQ(ids->size(), n);
    for (const std::string& id : *ids) {
      EXPECT_TRUE(IsRegistryId(id)) << id;
      EXPECT_TRUE(seen.insert(id).second) << "repeated: " << id;
    }
  }
}

}  // namespace
}  // namespace registry::storage
