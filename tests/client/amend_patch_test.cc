#include "client/amend_patch.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/option_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

void ExpectUsageError(const absl::Status& status, const std::string& text) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsUsageError(status));
  EXPECT_THAT(std::string(status.message()), HasSubstr(text));
}

TEST(UpdateMaskFromPatchTest, ScalarLeavesGiveTheirPaths) {
  auto mask = UpdateMaskFromPatch(
      R"({"person": {"last_known_address": "Rr. Nëna Terezë 5", "surname": "Kërqeli"}})");
  ASSERT_TRUE(mask.ok()) << mask.status();
  // Field-number order, not file order.
  EXPECT_THAT(mask->paths(), ElementsAre("person.surname", "person.last_known_address"));
}

TEST(UpdateMaskFromPatchTest, MessagesAndListsGiveTheWholeField) {
  auto mask = UpdateMaskFromPatch(R"({
    "conviction": {
      "sentence": {"type": "SENTENCE_TYPE_SUSPENDED"},
      "offences": [{"law": "06/L-074", "article": 230, "paragraph": 1}],
      "release_date": "2027-03-01"
    },
    "person": {"citizenships": ["XK", "AL"]}
  })");
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_THAT(mask->paths(), ElementsAre("person.citizenships", "conviction.offences",
                                         "conviction.sentence", "conviction.release_date"));
}

TEST(UpdateMaskFromPatchTest, AcceptsJsonNamesAndNulls) {
  auto mask = UpdateMaskFromPatch(
      R"({"person": {"lastKnownAddress": "x", "fatherName": null}})");
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_THAT(mask->paths(), ElementsAre("person.father_name", "person.last_known_address"));
}

TEST(UpdateMaskFromPatchTest, NamesEveryUnknownKey) {
  auto mask = UpdateMaskFromPatch(
      R"({"person": {"surnme": "x", "surname": "y"}, "metadata": {}, "conviction": {"cout": 1}})");
  ASSERT_FALSE(mask.ok());
  ExpectUsageError(mask.status(), "unknown fields in the patch:");
  // A typo of a field is repeated with the field; a key that is none is named by its place.
  EXPECT_THAT(std::string(mask.status().message()),
              HasSubstr("person.surnme (did you mean \"surname\"?)"));
  EXPECT_THAT(std::string(mask.status().message()),
              HasSubstr("in the patch: a name that is no field, "));
  EXPECT_THAT(std::string(mask.status().message()),
              HasSubstr("conviction: a name that is no field; known fields: person, conviction; "
                        "known fields of person: surname, "));
  EXPECT_THAT(std::string(mask.status().message()),
              HasSubstr("; known fields of conviction: court_id, "));
  EXPECT_THAT(std::string(mask.status().message()), Not(HasSubstr("metadata")));
}

// A field of the person or the conviction written at the top of the patch was "a name that is
// no field", naming nothing: the key is our name, so it is named, with the place it belongs.
TEST(UpdateMaskFromPatchTest, AFieldWrittenAtTheTopIsNamedWithThePlaceItBelongs) {
  auto mask = UpdateMaskFromPatch(R"({"last_known_address": "Rr. 1"})", "p.json");
  ASSERT_FALSE(mask.ok());
  ExpectUsageError(mask.status(), "p.json: unknown field in the patch: last_known_address "
                                  "(did you mean person.last_known_address?)");
  EXPECT_THAT(std::string(mask.status().message()), Not(HasSubstr("a name that is no field")));
  // In its JSON name, and a typo of it, alike; a conviction's field under the conviction.
  auto json_name = UpdateMaskFromPatch(R"({"lastKnownAddress": "Rr. 1"})");
  ASSERT_FALSE(json_name.ok());
  ExpectUsageError(json_name.status(),
                   "lastKnownAddress (did you mean person.last_known_address?)");
  auto typo = UpdateMaskFromPatch(R"({"last_known_adress": "Rr. 1", "case_number": "P 1/26"})");
  ASSERT_FALSE(typo.ok());
  ExpectUsageError(typo.status(), "last_known_adress (did you mean person.last_known_address?)");
  ExpectUsageError(typo.status(), "case_number (did you mean conviction.case_number?)");
}

// A value or a name written where a key belongs (a personal number, a surname in small letters,
// a place) is not repeated.
TEST(UpdateMaskFromPatchTest, AKeyThatIsNoFieldNameIsNotRepeated) {
  for (const char* patch : {R"({"person": {"Arben Krasniqi 1234567890": "x"}})",
                            R"({"person": {"krasniqi": "Arben"}})", R"({"prishtina": {}})",
                            R"({"person": {"pearson": "x"}})"}) {
    auto mask = UpdateMaskFromPatch(patch);
    ASSERT_FALSE(mask.ok()) << patch;
    const std::string message(mask.status().message());
    EXPECT_THAT(message, HasSubstr("a name that is no field")) << patch;
    for (const char* value : {"Arben", "1234567890", "krasniqi", "prishtina", "pearson"}) {
      EXPECT_THAT(message, Not(HasSubstr(value))) << patch;
    }
  }
}

// A name that is no field got neither the fields there are (record create --file lists them)
// nor, at the top, a "did you mean"; and "a key" read as a key of cryptography.
TEST(UpdateMaskFromPatchTest, ANameThatIsNoFieldIsAnsweredWithTheFieldsAtEveryLevel) {
  const auto nested = UpdateMaskFromPatch(R"({"person": {"adress": "x"}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(std::string(nested.status().message()),
            "unknown field in the patch: person: a name that is no field; known fields of "
            "person: surname, given_name, father_name, aliases, sex, birth_date, birth_place, "
            "citizenships, personal_number, last_known_address");
  const auto top = UpdateMaskFromPatch(R"({"persn": {}})");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(std::string(top.status().message()),
            "unknown field in the patch: a name that is no field (did you mean \"person\"?); "
            "known fields: person, conviction");
  EXPECT_THAT(std::string(top.status().message()), Not(HasSubstr("persn")));
  EXPECT_THAT(std::string(top.status().message()), Not(HasSubstr("key")));
}

// A broken patch was "the patch is not a JSON object: unexpected end of string. Expected , or }
// after key:value pair": no file, no place.
TEST(UpdateMaskFromPatchTest, ABrokenPatchIsNamedByItsFileAndPlace) {
  const auto broken =
      UpdateMaskFromPatch("{\"person\": {\n  \"surname\": \"Kërqeli\"\n", "fix.json");
  ASSERT_FALSE(broken.ok());
  const std::string message(broken.status().message());
  EXPECT_THAT(message, HasSubstr("fix.json: the patch is not a JSON object: line "));
  EXPECT_THAT(message, Not(HasSubstr("Kërqeli")));
  EXPECT_THAT(message, Not(HasSubstr("Expected")));
  ExpectUsageError(UpdateMaskFromPatch("{}", "fix.json").status(),
                   "fix.json: the patch changes nothing");
}

TEST(UpdateMaskFromPatchTest, RefusesNonObjectsAndEmptyPatches) {
  ExpectUsageError(UpdateMaskFromPatch(R"(["person"])").status(), "not a JSON object");
  ExpectUsageError(UpdateMaskFromPatch("not json").status(), "not a JSON object");
  ExpectUsageError(UpdateMaskFromPatch(R"({"person": "Arben"})").status(),
                   "\"person\" in the patch must be an object");
  ExpectUsageError(UpdateMaskFromPatch("{}").status(), "the patch changes nothing");
  ExpectUsageError(UpdateMaskFromPatch(R"({"person": {}})").status(),
                   "the patch changes nothing");
}

// A field no record is without, set to null (or "", or []) in a patch, was sent: a personal
// number cleared came back "does not match the personal number format", a surname cleared was
// asked about as a name removed. It is refused before anything is sent, as required; an
// optional field is still cleared by null.
TEST(FillAmendRequestFromPatchTest, ARequiredFieldClearedIsSaidToBeRequired) {
  for (const auto& [patch, path] : std::vector<std::pair<std::string, std::string>>{
           {R"({"person": {"personal_number": null}})", "person.personal_number"},
           {R"({"person": {"surname": null}})", "person.surname"},
           {R"({"person": {"surname": ""}})", "person.surname"},
           {R"({"conviction": {"offences": []}})", "conviction.offences"},
           {R"({"conviction": {"sentence": null}})", "conviction.sentence"},
           {R"({"conviction": {"judgment_date": null}})", "conviction.judgment_date"}}) {
    v1::AmendRecordRequest request;
    const absl::Status status = FillAmendRequestFromPatch(patch, &request, "fix.json");
    ExpectUsageError(status, absl::StrCat("fix.json: the patch does not fit the record: ", path,
                                          " is required: a record is never without it, and "
                                          "null or an empty value would clear it"));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("format"))) << patch;
    EXPECT_FALSE(request.has_update_mask()) << patch;
  }
  v1::AmendRecordRequest cleared;
  ASSERT_TRUE(FillAmendRequestFromPatch(R"({"person": {"father_name": null}})", &cleared).ok());
  EXPECT_THAT(cleared.update_mask().paths(), ElementsAre("person.father_name"));
}

// The court's name is the registry's, from its court table: a misspelt key was answered with it
// among the known fields, and a patch giving it was refused by the registry in the words of its
// API ("update_mask.paths[0]: conviction.court_name is output only"). It is not offered, and a
// patch giving it is refused in the patch's terms, with the field that changes the court.
TEST(UpdateMaskFromPatchTest, TheCourtsNameIsNeitherOfferedNorTakenAsAField) {
  const auto misspelt = UpdateMaskFromPatch(R"({"conviction": {"cout_id": "basic-peje"}})");
  ASSERT_FALSE(misspelt.ok());
  EXPECT_THAT(std::string(misspelt.status().message()),
              HasSubstr("known fields of conviction: court_id, case_number, "));
  EXPECT_THAT(std::string(misspelt.status().message()), Not(HasSubstr("court_name")));
  const auto named =
      UpdateMaskFromPatch(R"({"conviction": {"court_name": "Basic Court of Pejë"}})", "fix.json");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(std::string(named.status().message()),
            "fix.json: conviction.court_name is set by the registry (the court's name, from its "
            "court table): a patch does not give it; to change the court, give court_id");
  EXPECT_TRUE(IsUsageError(named.status()));
}

TEST(FillAmendRequestFromPatchTest, CopiesValuesAndMask) {
  v1::AmendRecordRequest request;
  request.set_record_id("r1");
  ASSERT_TRUE(FillAmendRequestFromPatch(
                  R"({"person": {"last_known_address": "Rr. UÇK 12, Prishtinë"},
                      "conviction": {"sentence": {"type": "SENTENCE_TYPE_IMPRISONMENT",
                                                  "months": 30}}})",
                  &request)
                  .ok());
  EXPECT_EQ(request.record_id(), "r1");
  EXPECT_EQ(request.person().last_known_address(), "Rr. UÇK 12, Prishtinë");
  EXPECT_EQ(request.conviction().sentence().months(), 30u);
  EXPECT_THAT(request.update_mask().paths(),
              ElementsAre("person.last_known_address", "conviction.sentence"));
}

TEST(FillAmendRequestFromPatchTest, RefusesValuesOfTheWrongType) {
  v1::AmendRecordRequest request;
  ExpectUsageError(
      FillAmendRequestFromPatch(R"({"conviction": {"sentence": {"months": "many"}}})", &request),
      "the patch does not fit the record");
  ExpectUsageError(FillAmendRequestFromPatch(R"({"person": {"sex": "SEX_OTHER"}})", &request),
                   "the patch does not fit the record");
}

// The patch holds a person's data: a value that does not fit is named by its field, and a patch
// that is not JSON by the place, never by the text protobuf's report quotes.
TEST(FillAmendRequestFromPatchTest, NamesTheFieldOrPlaceNeverTheValue) {
  v1::AmendRecordRequest request;
  const absl::Status number = FillAmendRequestFromPatch(
      R"({"person": {"surname": "Kërqeli", "personal_number": 2468013579}})", &request);
  ExpectUsageError(number, "the patch does not fit the record: person.personal_number: not a "
                           "string (text goes in double quotes)");
  EXPECT_THAT(std::string(number.message()), ::testing::Not(HasSubstr("2468013579")));
  const absl::Status broken =
      FillAmendRequestFromPatch(R"({"person": {"surname": "Kërqeli" "given_name": "Arben"}})",
                                &request);
  ExpectUsageError(broken, "the patch is not a JSON object: column 34: expected , or } after "
                           "key:value pair");
  EXPECT_THAT(std::string(broken.message()), ::testing::Not(HasSubstr("Kërqeli")));
}

// A comma before } was taken by protobuf but stopped the reading of the words: "female" was
// refused in proto names. The comma is the problem, by its place.
TEST(FillAmendRequestFromPatchTest, ATrailingCommaIsRefusedByItsPlaceNotAsTheWordBesideIt) {
  v1::AmendRecordRequest request;
  const absl::Status comma =
      FillAmendRequestFromPatch(R"({"person": {"sex": "female",}})", &request);
  ExpectUsageError(comma, "the patch does not fit the record: a comma before } at column 28: "
                          "remove it");
  EXPECT_THAT(std::string(comma.message()), Not(HasSubstr("SEX_")));
  EXPECT_THAT(std::string(comma.message()), Not(HasSubstr("person.sex")));
}

// Protobuf keeps the last value of a key given twice: a patch that gives a field twice would
// amend the record with a value its reader may not see as the one it holds. It is refused,
// naming the field, never a value.
TEST(FillAmendRequestFromPatchTest, RefusesAFieldGivenTwice) {
  v1::AmendRecordRequest request;
  const absl::Status twice = FillAmendRequestFromPatch(
      R"({"person": {"surname": "Krasniqi", "surname": "Hoxha"}})", &request);
  ExpectUsageError(twice, "the patch gives a field twice: person.surname: given twice");
  const absl::Status spellings = FillAmendRequestFromPatch(
      R"({"person": {"given_name": "Arben", "givenName": "Ilir"}})", &request);
  ExpectUsageError(spellings, "person.given_name: given twice (as given_name and givenName)");
  const absl::Status escaped = FillAmendRequestFromPatch(
      R"({"person": {"surname": "Krasniqi", "surn\u0061me": "Hoxha"}})", &request);
  ExpectUsageError(escaped, "person.surname: given twice");
  const absl::Status in_list = FillAmendRequestFromPatch(
      R"({"conviction": {"offences": [{"article": 230, "article": 235}]}})", &request);
  ExpectUsageError(in_list, "conviction.offences[0].article: given twice");
  for (const absl::Status* status : {&twice, &spellings, &escaped, &in_list}) {
    for (const char* value : {"Krasniqi", "Hoxha", "Arben", "Ilir", "235"}) {
      EXPECT_THAT(std::string(status->message()), Not(HasSubstr(value))) << value;
    }
  }
}

}  // namespace
}  // namespace registry::client
