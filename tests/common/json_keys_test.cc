// The scan for a key given twice (RepeatedKeyProblem), which every JSON file registry-cli and
// registryd read goes through: a field given twice is named by its path, a key that names no field
// by its place, and any text is scanned to an end.
#include "common/json_keys.h"

#include <string>

#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "registry/v1/policy.pb.h"
#include "registry/v1/records.pb.h"

namespace registry {
namespace {

// A list given twice is refused, not merged: protobuf's parser adds the second list's elements
// to the first's, so a policy could hold a principal that jq or Python, which take one of the
// two, never show.
TEST(RepeatedKeyProblemTest, AListGivenTwiceIsNamedByItsPathAsAnyFieldIs) {
  const google::protobuf::Descriptor& policy = *v1::AccessPolicy::descriptor();
  EXPECT_EQ(RepeatedKeyProblem(R"({"principals": [{"id": "a"}], "principals": [{"id": "b"}]})",
                               policy),
            "principals: given twice");
  EXPECT_EQ(RepeatedKeyProblem(R"({"principals": [{"id": "a"}, {"role": 1, "role": 2}]})", policy),
            "principals[1].role: given twice");
  EXPECT_EQ(RepeatedKeyProblem(R"({"principals": [{"id": "a"}, {"id": "b"}]})", policy), "");
}

// A key that names no field of the message (a map's key, a key of free-form JSON) may be a
// person's data: it is named by its line and column.
TEST(RepeatedKeyProblemTest, AKeyThatIsNoFieldIsNamedByItsPlace) {
  const google::protobuf::Descriptor& free_form = *google::protobuf::Struct::descriptor();
  EXPECT_EQ(RepeatedKeyProblem(R"({"Krasniqi": 1, "Krasniqi": 2})", free_form),
            "column 17: a key given twice");
  EXPECT_EQ(RepeatedKeyProblem("{\"a\": {\n \"Krasniqi\": 1,\n \"Krasniqi\": 2}}", free_form),
            "line 3, column 2: a key given twice");
  EXPECT_EQ(RepeatedKeyProblem(R"({"a": 1, "b": [{"a": 1}, {"a": 2}], "c": {"a": 3}})",
                               free_form),
            "");
  // Two keys that name no field of a record are a key given twice, whatever protobuf says of
  // them; a field and a key that differ by case are not the same.
  const google::protobuf::Descriptor& record = *v1::CreateRecordRequest::descriptor();
  EXPECT_EQ(RepeatedKeyProblem(R"({"krasniqi": 1, "krasniqi": 1})", record),
            "column 17: a key given twice");
  EXPECT_EQ(RepeatedKeyProblem(R"({"person": {"surname": "a", "Surname": "b"}})", record), "");
}

// The scan reads any text without looping or overflowing its stack, and reports a repeat only
// in what it could read (protobuf's parser says what is wrong with the rest).
TEST(RepeatedKeyProblemTest, AnyTextIsScannedToAnEnd) {
  const google::protobuf::Descriptor& record = *v1::CreateRecordRequest::descriptor();
  for (const std::string& text :
       {std::string(), std::string("{"), std::string("}"), std::string("{\"person\""),
        std::string("{\"person\":"), std::string("{\"a\\"), std::string("{\"a\\u12"),
        std::string("{\"a\\ud800\\u"), std::string("[1,,]"), std::string("{,}"),
        std::string("{\"a\" 1}"), std::string("-----BEGIN PUBLIC KEY-----\n"),
        std::string("\0\xff{\"\0", 5), std::string(100000, '['), std::string(100000, '{'),
        std::string("{\"a\":") + std::string(100000, '['), std::string(5000, '"')}) {
    EXPECT_EQ(RepeatedKeyProblem(text, record), "") << text.substr(0, 20);
  }
  EXPECT_EQ(RepeatedKeyProblem(R"({"person": {"surname": 1, "surname": 2}, "person": )", record),
            "person.surname: given twice");
}

}  // namespace
}  // namespace registry
