#include "client/json_io.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/records.pb.h"

namespace registry::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What ParseJson says of `json` as a CreateRecordRequest.
std::string Problem(const std::string& json) {
  v1::CreateRecordRequest request;
  const absl::Status status = ParseJson(json, "rec.json", &request);
  EXPECT_FALSE(status.ok()) << json;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << json;
  return std::string(status.message());
}

TEST(ParseJsonTest, ParsesARecord) {
  v1::CreateRecordRequest request;
  ASSERT_TRUE(ParseJson(R"({"person": {"surname": "Kërqeli"}})", "rec.json", &request).ok());
  EXPECT_EQ(request.person().surname(), "Kërqeli");
}

// Protobuf's report quotes the value of a field of the wrong type; the problem names the field
// and what it takes.
TEST(ParseJsonTest, AValueOfTheWrongTypeIsNamedByItsFieldNotItsValue) {
  const std::string number = Problem(R"({"person": {"personal_number": 2468013579}})");
  EXPECT_EQ(number,
            "rec.json is not a valid registry.v1.CreateRecordRequest in JSON: "
            "person.personal_number: not a string (text goes in double quotes)");
  EXPECT_THAT(Problem(R"({"person": {"sex": "SEX_KRASNIQI"}})"),
              HasSubstr(": person.sex: not one of SEX_UNSPECIFIED, SEX_FEMALE, SEX_MALE"));
  EXPECT_THAT(Problem(R"({"conviction": {"offences": [{"article": "dyqind"}]}})"),
              HasSubstr(": conviction.offences[0].article: not a whole number in the field's "
                        "range"));
  EXPECT_THAT(Problem(R"({"conviction": {"juvenile": "Hoxha"}})"),
              HasSubstr(": conviction.juvenile: not true or false"));
  EXPECT_THAT(Problem(R"({"person": "Gashi"})"), HasSubstr(": person: not an object"));
  EXPECT_THAT(Problem(R"({"person": {"surname": {"a": "Morina"}}})"),
              HasSubstr(": person.surname: takes no object"));
  EXPECT_THAT(Problem(R"({"person": {"surname": ["Berisha"]}})"),
              HasSubstr(": person.surname: takes no list"));
  EXPECT_THAT(Problem(R"(["Krasniqi"])"), HasSubstr(": not a JSON object"));
  for (const char* json :
       {R"({"person": {"personal_number": 2468013579}})", R"({"person": {"sex": "SEX_KRASNIQI"}})",
        R"({"conviction": {"offences": [{"article": "dyqind"}]}})",
        R"({"conviction": {"juvenile": "Hoxha"}})", R"({"person": "Gashi"})",
        R"({"person": {"surname": {"a": "Morina"}}})", R"({"person": {"surname": ["Berisha"]}})",
        R"(["Krasniqi"])"}) {
    const std::string problem = Problem(json);
    for (const char* value :
         {"2468013579", "KRASNIQI", "Krasniqi", "dyqind", "Hoxha", "Gashi", "Morina", "Berisha"}) {
      EXPECT_THAT(problem, Not(HasSubstr(value))) << json;
    }
  }
}

// A syntax error is named by its line and column (the column alone in a text of one line), where
// protobuf's report shows the text around it.
TEST(ParseJsonTest, ASyntaxErrorIsNamedByLineAndColumnNotByTheTextAroundIt) {
  const std::string file =
      "{\n  \"person\": {\n    \"surname\": \"Kërqeli\",\n    \"personal_number\": 1000000077x\n"
      "  }\n}\n";
  EXPECT_EQ(Problem(file),
            "rec.json is not a valid registry.v1.CreateRecordRequest in JSON: line 4, column 24: "
            "unable to parse number");
  // Columns count characters, not bytes: "ë" is one.
  EXPECT_EQ(Problem(R"({"person": {"surname": "Kërqeli" "given_name": "Arben"}})"),
            "rec.json is not a valid registry.v1.CreateRecordRequest in JSON: column 34: "
            "expected , or } after key:value pair");
  // Where protobuf does not say (the text ended inside a string), the phrase alone.
  EXPECT_EQ(Problem(R"({"person": {"surname": "Kërqeli)"),
            "rec.json is not a valid registry.v1.CreateRecordRequest in JSON: closing quote "
            "expected in string");
  for (const std::string& json :
       {file, std::string(R"({"person": {"surname": "Kërqeli" "given_name": "Arben"}})"),
        std::string(R"({"person": {"surname": "Kërqeli)")}) {
    const std::string problem = Problem(json);
    for (const char* value : {"Kërqeli", "1000000077", "Arben", "given_name"}) {
      EXPECT_THAT(problem, Not(HasSubstr(value))) << json;
    }
  }
}

// A key that names no field is repeated when it is a near miss of a field's name (a misspelling
// to find), with the fields the object has; any other key is not, a surname written in small
// letters where a key belongs included.
TEST(ParseJsonTest, AnUnknownKeyIsNamedOnlyWhenItIsANearMissOfAFieldName) {
  EXPECT_THAT(Problem(R"({"person": {"surnam": "Kërqeli"}})"),
              HasSubstr(": person.surnam: no such field (did you mean \"surname\"?); Person "
                        "has: surname, given_name,"));
  // A top-level key that begins "(" reads like protobuf's path in parentheses: it names no field.
  for (const char* key_like_a_path :
       {R"({"(Krasniqi Arben) x": 1})", R"({"(Krasniqi Arben): invalid value 1 for type X": 1})"}) {
    const std::string problem = Problem(key_like_a_path);
    EXPECT_THAT(problem, HasSubstr("a key that names no field")) << key_like_a_path;
    EXPECT_THAT(problem, Not(HasSubstr("Krasniqi"))) << key_like_a_path;
  }
  const std::string name_as_key = Problem(R"({"person": {"krasniqi": "Arben"}})");
  EXPECT_THAT(name_as_key, HasSubstr(": person: a key that names no field; Person has: "));
  EXPECT_THAT(name_as_key, Not(HasSubstr("krasniqi")));
  EXPECT_THAT(name_as_key, Not(HasSubstr("Arben")));
  const std::string value_as_key = Problem(R"({"person": {"Rr. Fehmi Agani 7": "x"}})");
  EXPECT_THAT(value_as_key, HasSubstr(": person: a key that names no field; Person has: "));
  EXPECT_THAT(value_as_key, Not(HasSubstr("Agani")));
  EXPECT_THAT(Problem(R"({"1000000077": 1})"),
              HasSubstr("in JSON: a key that names no field; CreateRecordRequest has: person, "
                        "conviction"));
}

TEST(JsonProblemTest, AReportItDoesNotKnowIsNotRepeated) {
  const google::protobuf::Descriptor& type = *v1::CreateRecordRequest::descriptor();
  EXPECT_EQ(JsonProblem("{}", "(person.surname): something new about Krasniqi", type),
            "person.surname: not a valid value");
  EXPECT_EQ(JsonProblem("{}", "Krasniqi 1000000077\n", type), "not valid JSON");
  EXPECT_EQ(JsonProblem("{}", "Near 'Krasniqi'.\nKrasniqi\n^", type), "not valid JSON");
}

}  // namespace
}  // namespace registry::client
