#include "client/json_io.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "client/option_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/json_util.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// What ParseJson says a file that is not a record is, before the problem.
const std::string kNotARecord =
    "rec.json is not a record file (JSON as `registry-cli record template` prints it): ";

// What ParseJson says of `json` as a CreateRecordRequest.
std::string Problem(const std::string& json) {
  v1::CreateRecordRequest request;
  const absl::Status status = ParseJson(json, "rec.json", &request);
  EXPECT_FALSE(status.ok()) << json;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << json;
  // Without the line breaks that fit a list of problems to a terminal.
  return UnwrappedMessage(status);
}

TEST(ParseJsonTest, ParsesARecord) {
  v1::CreateRecordRequest request;
  ASSERT_TRUE(ParseJson(R"({"person": {"surname": "Kërqeli"}})", "rec.json", &request).ok());
  EXPECT_EQ(request.person().surname(), "Kërqeli");
}

// `record create --file` refused "xk" as not a country code and "BASIC-GJAKOVE" as not a court of
// the registry, though the options take both in any case: the file is read as they are.
TEST(ParseJsonTest, ARecordFilesCodesAndCourtAreTakenInAnyCaseAsTheOptionsTakeThem) {
  v1::CreateRecordRequest request;
  ASSERT_TRUE(ParseJson(R"({"person": {"citizenships": ["xk"]},
                            "conviction": {"court_id": "BASIC-GJAKOVE",
                                           "offences": [{"law": "06/l-074", "article": 231}]}})",
                        "rec.json", &request)
                  .ok());
  EXPECT_THAT(request.person().citizenships(), ElementsAre("XK"));
  EXPECT_EQ(request.conviction().court_id(), "basic-gjakove");
  EXPECT_EQ(request.conviction().offences(0).law(), "06/L-074");
}

// Protobuf's report quotes the value of a field of the wrong type; the problem names the field
// and what it takes.
TEST(ParseJsonTest, AValueOfTheWrongTypeIsNamedByItsFieldNotItsValue) {
  const std::string number = Problem(R"({"person": {"personal_number": 2468013579}})");
  EXPECT_EQ(number,
            kNotARecord + "person.personal_number: not a string (text goes in double quotes)");
  EXPECT_THAT(Problem(R"({"person": {"sex": "SEX_KRASNIQI"}})"),
              HasSubstr("\n  person.sex: not female or male\n"));
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

// A record file takes the enums' words as `record create --sex`, `--sentence`, `--ban` and the
// CSV import do, in any case, and the API's names as before: a clerk who wrote "female" wrote
// what the rest of registry-cli asks for.
// A signature that is no base64 (a damaged certificate file) was said to be "not a whole number
// in the field's range": every kind protobuf names that was not listed fell to that.
TEST(ParseJsonTest, ASignatureThatIsNoBase64IsSaidToBeSo) {
  for (const char* signature : {"!!!!", "AAAA==AA", "%%"}) {
    v1::SignedVettingCertificate certificate;
    const absl::Status s = ParseJson(absl::StrCat(R"({"signature": ")", signature, R"("})"),
                                     "certificate file", &certificate);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << signature;
    EXPECT_THAT(std::string(s.message()), HasSubstr("signature: not base64")) << s;
    EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("whole number"))) << s;
  }
}

TEST(ParseJsonTest, EnumsAreTakenAsTheOptionsTakeThemInAnyCase) {
  const struct {
    std::string sex;
    v1::Sex expected_sex;
    std::string sentence;
    v1::SentenceType expected_sentence;
    std::string ban;
    v1::BanType expected_ban;
  } cases[] = {
      {"female", v1::SEX_FEMALE, "imprisonment", v1::SENTENCE_TYPE_IMPRISONMENT,
       "work_with_children", v1::BAN_TYPE_WORK_WITH_CHILDREN},
      {"Male", v1::SEX_MALE, "JUVENILE_MEASURE", v1::SENTENCE_TYPE_JUVENILE_MEASURE, "Profession",
       v1::BAN_TYPE_PROFESSION},
      {"f", v1::SEX_FEMALE, "Suspended", v1::SENTENCE_TYPE_SUSPENDED, "contact_with_victim",
       v1::BAN_TYPE_CONTACT_WITH_VICTIM},
      {"M", v1::SEX_MALE, "fine", v1::SENTENCE_TYPE_FINE, "BAN_TYPE_PROFESSION",
       v1::BAN_TYPE_PROFESSION},
      {"SEX_FEMALE", v1::SEX_FEMALE, "sentence_type_other", v1::SENTENCE_TYPE_OTHER,
       "ban_type_work_with_children", v1::BAN_TYPE_WORK_WITH_CHILDREN},
      // The template's placeholders and "" are the field not given.
      {"SEX_UNSPECIFIED", v1::SEX_UNSPECIFIED, "", v1::SENTENCE_TYPE_UNSPECIFIED, "profession",
       v1::BAN_TYPE_PROFESSION},
  };
  for (const auto& c : cases) {
    v1::CreateRecordRequest request;
    const std::string json = absl::StrCat(
        R"({"person": {"sex": ")", c.sex, R"("}, "conviction": {"sentence": {"type": ")",
        c.sentence, R"("}, "bans": [{"type": ")", c.ban, R"("}]}})");
    ASSERT_TRUE(ParseJson(json, "rec.json", &request).ok()) << json;
    EXPECT_EQ(request.person().sex(), c.expected_sex) << json;
    EXPECT_EQ(request.conviction().sentence().type(), c.expected_sentence) << json;
    EXPECT_EQ(request.conviction().bans(0).type(), c.expected_ban) << json;
  }
}

// A value that names none is said with the words that are taken, never offering the *_UNSPECIFIED
// placeholder (no choice), and never repeating the value.
TEST(ParseJsonTest, AnEnumValueThatNamesNoneIsSaidWithTheWordsTakenNeverTheUnspecifiedOne) {
  EXPECT_THAT(Problem(R"({"person": {"sex": "Krasniqi"}})"),
              HasSubstr("\n  person.sex: not female or male\n"));
  EXPECT_THAT(Problem(R"({"conviction": {"sentence": {"type": "prison"}}})"),
              HasSubstr("\n  conviction.sentence.type: not imprisonment, suspended, fine, "
                        "juvenile_measure, other or life_imprisonment\n"));
  EXPECT_THAT(Problem(R"({"conviction": {"bans": [{"type": "profession"}, {"type": 9}]}})"),
              HasSubstr("\n  conviction.bans[1].type: not work_with_children, "
                        "contact_with_victim or profession\n"));
  for (const char* json : {R"({"person": {"sex": "Krasniqi"}})", R"({"person": {"sex": 7}})"}) {
    EXPECT_THAT(Problem(json), Not(HasSubstr("UNSPECIFIED"))) << json;
    EXPECT_THAT(Problem(json), Not(HasSubstr("Krasniqi"))) << json;
  }
}

// The file's other mistakes come in the same run as a word it does not take: a clerk corrects
// them all at once, not one a run.
TEST(ParseJsonTest, EveryProblemOfARecordFileIsSaidInOneGo) {
  const std::string problem = Problem(
      R"({"person": {"surname": "Gashi", "sex": "x", "birth_date": "6/12/1990"},)"
      R"( "conviction": {"bans": [{"type": "teaching"}]}})");
  EXPECT_THAT(problem, HasSubstr("person.sex: not female or male"));
  EXPECT_THAT(problem, HasSubstr("conviction.bans[0].type: not work_with_children"));
  EXPECT_THAT(problem, HasSubstr("person.birth_date: "));
  EXPECT_THAT(problem, HasSubstr("person.given_name is required"));
  // The refused field is not said to be missing as well.
  EXPECT_THAT(problem, Not(HasSubstr("person.sex is required")));
  EXPECT_THAT(problem, Not(HasSubstr("6/12/1990")));
  // With a value of the wrong type too, the file's kind is said, and the word still named.
  const std::string both =
      Problem(R"({"person": {"sex": "x", "personal_number": 2468013579}})");
  EXPECT_THAT(both, HasSubstr("rec.json is not a record file"));
  EXPECT_THAT(both, HasSubstr("person.personal_number: not a string"));
  EXPECT_THAT(both, HasSubstr("person.sex: not female or male"));
}

// A syntax error is named by its line and column (the column alone in a text of one line), where
// protobuf's report shows the text around it.
TEST(ParseJsonTest, ASyntaxErrorIsNamedByLineAndColumnNotByTheTextAroundIt) {
  const std::string file =
      "{\n  \"person\": {\n    \"surname\": \"Kërqeli\",\n    \"personal_number\": 1000000077x\n"
      "  }\n}\n";
  EXPECT_EQ(Problem(file),
            kNotARecord + "line 4, column 24: "
            "unable to parse number");
  // Columns count characters, not bytes: "ë" is one.
  EXPECT_EQ(Problem(R"({"person": {"surname": "Kërqeli" "given_name": "Arben"}})"),
            kNotARecord + "column 34: "
            "expected , or } after key:value pair");
  // Where protobuf does not say (the text ended inside a string), the phrase alone.
  EXPECT_EQ(Problem(R"({"person": {"surname": "Kërqeli)"),
            kNotARecord + "closing quote "
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
              HasSubstr(": person.surnam: no such field (did you mean \"surname\"?); known "
                        "fields: surname, given_name,"));
  // A top-level key that begins "(" reads like protobuf's path in parentheses: it names no field.
  for (const char* key_like_a_path :
       {R"({"(Krasniqi Arben) x": 1})", R"({"(Krasniqi Arben): invalid value 1 for type X": 1})"}) {
    const std::string problem = Problem(key_like_a_path);
    EXPECT_THAT(problem, HasSubstr("holds a name that is no field")) << key_like_a_path;
    EXPECT_THAT(problem, Not(HasSubstr("Krasniqi"))) << key_like_a_path;
  }
  const std::string name_as_key = Problem(R"({"person": {"krasniqi": "Arben"}})");
  EXPECT_THAT(name_as_key,
              HasSubstr(": person: holds a name that is no field; known fields: surname, "));
  EXPECT_THAT(name_as_key, Not(HasSubstr("krasniqi")));
  EXPECT_THAT(name_as_key, Not(HasSubstr("Arben")));
  const std::string value_as_key = Problem(R"({"person": {"Rr. Fehmi Agani 7": "x"}})");
  EXPECT_THAT(value_as_key,
              HasSubstr(": person: holds a name that is no field; known fields: surname, "));
  EXPECT_THAT(value_as_key, Not(HasSubstr("Agani")));
  EXPECT_THAT(Problem(R"({"1000000077": 1})"),
              HasSubstr("prints it): holds a name that is no field; known fields: person, "
                        "conviction"));
}

// Protobuf keeps the last value of a key given twice, where a person reading the file may take
// the first: a file that gives a field twice is refused, naming the field, never a value.
TEST(ParseJsonTest, AFieldGivenTwiceIsRefusedByItsPath) {
  v1::CreateRecordRequest request;
  const absl::Status status = ParseJson(
      R"({"person": {"surname": "Krasniqi", "surname": "Hoxha"}})", "rec.json", &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), kNotARecord + "person.surname: given twice");
  EXPECT_EQ(request.person().surname(), "");
  // Two spellings protobuf takes for one field, and an escaped spelling, are the same field.
  EXPECT_EQ(Problem(R"({"person": {"given_name": "Arben", "givenName": "Driton"}})"),
            kNotARecord + "person.given_name: given twice (as given_name and givenName)");
  EXPECT_EQ(Problem(R"({"person": {"surname": "Krasniqi", "surn\u0061me": "Hoxha"}})"),
            kNotARecord + "person.surname: given twice");
  EXPECT_EQ(Problem(R"({"person": {}, 'person': {}})"), kNotARecord + "person: given twice");
  EXPECT_EQ(Problem(R"({"person": {surname: "Krasniqi", "surname": "Hoxha"}})"),
            kNotARecord + "person.surname: given twice");
  // Inside an element of a list of messages, named by its place in the list.
  EXPECT_EQ(Problem(R"({"conviction": {"offences": [{"article": 230},)"
                    R"( {"law": "06/L-074", "article": 230, "paragraph": 1, "article": 235}]}})"),
            kNotARecord + "conviction.offences[1].article: given twice");
  // On several lines, a field is still named by its path.
  EXPECT_EQ(Problem("{\n  \"person\": {\n    \"sex\": \"SEX_MALE\",\n    \"sex\": \"SEX_FEMALE\"\n"
                    "  }\n}\n"),
            kNotARecord + "person.sex: given twice");
  for (const char* value : {"Krasniqi", "Hoxha", "Arben", "Driton", "235"}) {
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(value)));
  }
}

// A file that is no JSON at all (a PEM key given as the file) is said to be none, by its line,
// not by protobuf's words for the first character it could not read.
TEST(ParseJsonTest, TextThatIsNotJsonIsSaidToBeNone) {
  EXPECT_EQ(Problem("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"),
            kNotARecord + "line 1: not JSON (is this a PEM file?)");
  EXPECT_EQ(Problem("\n\nKrasniqi Arben\n"), kNotARecord + "line 3: not JSON");
  EXPECT_EQ(Problem(std::string("PK\x03\x04\x14\0\0\0", 8)),
            kNotARecord + "line 1: not JSON (a zip file, as a spreadsheet's own format is?)");
}

TEST(JsonProblemTest, AReportItDoesNotKnowIsNotRepeated) {
  const google::protobuf::Descriptor& type = *v1::CreateRecordRequest::descriptor();
  EXPECT_EQ(JsonProblem("{}", "(person.surname): something new about Krasniqi", type),
            "person.surname: not a valid value");
  EXPECT_EQ(JsonProblem("{}", "Krasniqi 1000000077\n", type), "not valid JSON");
  EXPECT_EQ(JsonProblem("{}", "Near 'Krasniqi'.\nKrasniqi\n^", type), "not valid JSON");
}

// Protobuf's printer dropped the bytes of a string that is not UTF-8: the answers of `record
// create --interactive` typed on a Latin-1 terminal ("K\xebrqeli") were kept as "Kqeli", a
// different name that `record create --file` then entered. Such a message is refused, naming the
// field, never its value.
TEST(ToJsonTest, AStringThatIsNotUtf8IsRefusedRatherThanWrittenChanged) {
  v1::CreateRecordRequest request;
  request.mutable_person()->set_given_name("Arben");
  request.mutable_person()->set_surname("K\xebrqeli");
  for (const absl::StatusOr<std::string>& json : {ToJsonText(request), ToJsonLine(request)}) {
    ASSERT_FALSE(json.ok()) << *json;
    EXPECT_EQ(json.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(json.status().message(), HasSubstr("person.surname is not valid UTF-8"));
    EXPECT_THAT(json.status().message(), Not(HasSubstr("qeli")));
  }
  // In a list, by its place.
  request.mutable_person()->set_surname("Kërqeli");
  request.mutable_person()->add_aliases("Beni");
  request.mutable_person()->add_aliases("\xc3");
  EXPECT_THAT(ToJsonText(request).status().message(), HasSubstr("person.aliases[1] is not valid"));
  request.mutable_person()->mutable_aliases()->RemoveLast();
  const absl::StatusOr<std::string> valid = ToJsonText(request);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_THAT(*valid, HasSubstr("Kërqeli"));
}

// A line of a JSON-lines import is named by its number in the file: "line 3: ...: line 1: not
// JSON" named two lines that disagreed; a line cut short was "unexpected end of string" with no
// place.
TEST(JsonLineProblemTest, ALineIsNamedByItsCallerAndAPlaceInItByItsColumn) {
  const google::protobuf::Descriptor& type = *v1::CreateRecordRequest::descriptor();
  v1::CreateRecordRequest request;
  const auto problem_of = [&](const std::string& line) {
    const auto status = google::protobuf::util::JsonStringToMessage(line, &request);
    EXPECT_FALSE(status.ok()) << line;
    return JsonLineProblem(line, std::string(status.message()), type);
  };
  EXPECT_EQ(problem_of("Krasniqi Arben 1980-04-12"), "not JSON");
  EXPECT_EQ(problem_of(R"({"person": {"surname": "Kërqeli")"),
            "column 33: the text ends before the record is closed (a } or a , is missing)");
  // A file of several lines keeps its line.
  EXPECT_EQ(JsonLineProblem("\nKrasniqi\n", "x", type), "line 2: not JSON");
}

// Protobuf's parser takes a comma before a } or a ]; the scan that reads the enums as words did
// not, and gave the text up unread: "female" beside the comma was refused in proto names
// ("not one of SEX_FEMALE, SEX_MALE"), the comma never mentioned. The comma is the problem, said
// where it is, and the words are read as without it.
TEST(ParseJsonTest, ATrailingCommaIsRefusedWhereItIsAndTheWordsBesideItAreStillRead) {
  const std::string file = "{\n  \"person\": {\n    \"surname\": \"Gashi\", \"sex\": \"female\",\n"
                           "  },\n  \"conviction\": {\"bans\": [{\"type\": \"profession\"},]}\n}\n";
  const std::string problem = Problem(file);
  EXPECT_THAT(problem, HasSubstr("a comma before } at line 3, column 40: remove it"));
  EXPECT_THAT(problem, HasSubstr("a comma before ] at line 5, column 49: remove it"));
  EXPECT_THAT(problem, Not(HasSubstr("SEX_")));
  EXPECT_THAT(problem, Not(HasSubstr("person.sex")));
  EXPECT_THAT(problem, Not(HasSubstr("Gashi")));
  // The template's "" placeholder beside a comma is still the field not given, not a problem.
  const std::string placeholder =
      Problem(R"({"conviction": {"sentence": {"type": "",}}})");
  EXPECT_THAT(placeholder, HasSubstr("a comma before } at column 40: remove it"));
  EXPECT_THAT(placeholder, Not(HasSubstr("sentence.type: not")));
  EXPECT_THAT(placeholder, Not(HasSubstr("SENTENCE_TYPE_")));
}

// A surname of 9,000,000 letters went to the server and was refused by gRPC ("RESOURCE_EXHAUSTED:
// Received message larger than max (9000206 vs. 8388608)"), the file's other problems unnamed.
// Each text longer than the registry takes is named with its length and limit, with the rest.
TEST(ParseJsonTest, ATextLongerThanTheRegistryTakesIsNamedWithItsLengthAndTheOtherProblems) {
  const std::string problem = Problem(absl::StrCat(
      R"({"person": {"surname": ")", std::string(9000000, 'A'),
      R"(", "aliases": ["Hoxha", ")", std::string(500, 'B'),
      R"("], "birth_date": "1990-02-30"}, "conviction": {"case_number": ")",
      std::string(65, '7'), R"(", "offences": [{"law": ")", std::string(2000, 'L'),
      R"("}], "court_id": ")", std::string(1001, 'c'), R"("}})"));
  EXPECT_THAT(problem, HasSubstr("\n  person.surname: 9000000 characters, at most 100\n"));
  EXPECT_THAT(problem, HasSubstr("\n  person.aliases[1]: 500 characters, at most 100\n"));
  EXPECT_THAT(problem, HasSubstr("\n  conviction.case_number: 65 characters, at most 64\n"));
  EXPECT_THAT(problem,
              HasSubstr("\n  conviction.offences[0].law: 2000 characters, at most 16\n"));
  EXPECT_THAT(problem, HasSubstr("\n  conviction.court_id: 1001 characters, more than any text "
                                 "of a record (at most 200)"));
  // The file's other problems in the same run.
  EXPECT_THAT(problem, HasSubstr("person.birth_date: "));
  EXPECT_THAT(problem, HasSubstr("person.given_name is required"));
  EXPECT_THAT(problem, Not(HasSubstr("AAAA")));
  EXPECT_LT(problem.size(), 2000u);
  // A name is counted in letters, each of up to four code points: its nearer lengths are left to
  // the registry, which counts its letters.
  v1::CreateRecordRequest request;
  EXPECT_TRUE(ParseJson(absl::StrCat(R"({"person": {"surname": ")", std::string(400, 'A'),
                                     R"("}})"),
                        "rec.json", &request)
                  .ok());
}

// A broken record file is said where and in plain words, as a line of an import is: just after
// its last character, where what is missing goes.
TEST(ParseJsonTest, AFileCutShortIsSaidToEndBeforeTheRecordIsClosed) {
  EXPECT_EQ(Problem("{\"person\": {\n  \"surname\": \"Kërqeli\"\n"),
            kNotARecord + "line 2, column 23: the text ends before the record is closed (a } "
                          "or a , is missing)");
}

}  // namespace
}  // namespace registry::client
