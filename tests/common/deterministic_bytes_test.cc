// DeterministicBytes: equal messages give equal bytes whatever order their map entries were set
// in (what the registry MACs and hashes depends on it), the bytes parse back to the message, and
// AppendDeterministicBytes appends after what the string already holds.
#include "common/deterministic_bytes.h"

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace registry {
namespace {

// A Struct (a map<string, Value>) with the entries set in the given order.
google::protobuf::Struct StructInOrder(const std::vector<std::pair<std::string, double>>& entries) {
  google::protobuf::Struct s;
  for (const auto& [key, value] : entries) (*s.mutable_fields())[key].set_number_value(value);
  return s;
}

const std::vector<std::pair<std::string, double>> kEntries = {
    {"surname", 1}, {"given_name", 2}, {"birth_date", 3}, {"article", 4},
    {"court", 5},   {"sentence", 6},   {"decided", 7},    {"final", 8}};

TEST(DeterministicBytesTest, MapOrderDoesNotChangeTheBytes) {
  std::vector<std::pair<std::string, double>> reversed(kEntries.rbegin(), kEntries.rend());
  const google::protobuf::Struct forward = StructInOrder(kEntries);
  const google::protobuf::Struct backward = StructInOrder(reversed);
  const std::string a = DeterministicBytes(forward);
  const std::string b = DeterministicBytes(backward);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  // The same message serialized again, after a copy (which may rehash), still gives them.
  google::protobuf::Struct copy = backward;
  EXPECT_EQ(DeterministicBytes(copy), a);
}

TEST(DeterministicBytesTest, TheBytesParseBackToTheMessage) {
  const google::protobuf::Struct original = StructInOrder(kEntries);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(parsed.ParseFromString(DeterministicBytes(original)));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, original));
}

TEST(DeterministicBytesTest, DifferentMessagesGiveDifferentBytes) {
  google::protobuf::Struct changed = StructInOrder(kEntries);
  (*changed.mutable_fields())["sentence"].set_number_value(60);
  EXPECT_NE(DeterministicBytes(changed), DeterministicBytes(StructInOrder(kEntries)));
}

TEST(DeterministicBytesTest, AppendKeepsWhatWasThere) {
  const google::protobuf::Struct message = StructInOrder(kEntries);
  std::string out = "prefix|";
  AppendDeterministicBytes(message, &out);
  EXPECT_EQ(out, "prefix|" + DeterministicBytes(message));
  AppendDeterministicBytes(message, &out);
  EXPECT_EQ(out, "prefix|" + DeterministicBytes(message) + DeterministicBytes(message));
}

TEST(DeterministicBytesTest, AnEmptyMessageIsNoBytes) {
  EXPECT_EQ(DeterministicBytes(google::protobuf::Struct()), "");
}

}  // namespace
}  // namespace registry
