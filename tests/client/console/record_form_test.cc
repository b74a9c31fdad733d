// The clerk's record form: typed values to a request and back, the server's problems put beside
// the inputs they name, and the fields an amendment changes.
#include "client/console/record_form.h"

#include <algorithm>
#include <regex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/console/catalog.h"
#include "client/record_fields.h"
#include "common/country_codes.h"
#include "common/record_limits.h"
#include "gtest/gtest.h"

namespace registry::console {
namespace {

FormValues Example() {
  return {
      {"surname", {"Kërqeli"}},        {"given-name", {"Arben"}},
      {"father-name", {"Besim"}},      {"alias", {"Beni\n\n Arbi "}},
      {"sex", {"male"}},               {"birth-date", {"1980-04-12"}},
      {"birth-place", {"Prishtinë"}},  {"citizenship", {"xk, AL"}},
      {"personal-number", {"1234567890"}}, {"address", {"Rr. Agim Ramadani 14"}},
      {"court", {"basic-prishtine"}},  {"case-number", {"P 123/2024"}},
      {"judgment-date", {"2024-03-01"}}, {"final-date", {"2024-05-15"}},
      {"offence", {"06/L-074:230:1", "06/L-074:229:0"}},
      {"sentence", {"imprisonment"}},  {"months", {"36"}},
      {"ban-work_with_children", {"on"}}, {"ban-work_with_children-end", {"2034-05-15"}},
      {"release-date", {"2027-03-01"}},
  };
}

TEST(RecordFormTest, TypedValuesMakeTheRequestAndComeBack) {
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(Example(), &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(request.person().surname(), "Kërqeli");
  EXPECT_EQ(request.person().aliases_size(), 2);
  EXPECT_EQ(request.person().citizenships(0), "XK");
  EXPECT_EQ(request.person().sex(), v1::SEX_MALE);
  EXPECT_EQ(request.conviction().offences_size(), 2);
  EXPECT_EQ(request.conviction().offences(1).article(), 229u);
  EXPECT_EQ(request.conviction().sentence().type(), v1::SENTENCE_TYPE_IMPRISONMENT);
  EXPECT_EQ(request.conviction().sentence().months(), 36u);
  ASSERT_EQ(request.conviction().bans_size(), 1);
  EXPECT_EQ(request.conviction().bans(0).type(), v1::BAN_TYPE_WORK_WITH_CHILDREN);
  EXPECT_EQ(request.conviction().bans(0).end_date(), "2034-05-15");

  std::vector<FieldError> again;
  const v1::CreateRecordRequest round = RecordFromForm(FormFromRecord(request), &again);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(round.SerializeAsString(), request.SerializeAsString());
}

TEST(RecordFormTest, DatesGoToTheServerAsTypedOnlyUnreadableValuesStopHere) {
  FormValues values = Example();
  values["birth-date"] = {"1980-02-30"};  // the server's to judge
  values["months"] = {"twelve"};
  values["sentence"] = {"flogging"};
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  EXPECT_EQ(request.person().birth_date(), "1980-02-30");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].input, "sentence");
  EXPECT_EQ(errors[1].input, "months");
  EXPECT_EQ(errors[1].key, "form.whole_number");
}

// -5 months is a whole number: it was told to "enter a whole number". A number out of range is
// told the registry's rule for the sentence chosen; only text that is no number is asked for one.
TEST(RecordFormTest, MonthsOutOfRangeAreToldTheRuleOfTheSentenceNotToBeAWholeNumber) {
  for (const auto& [sentence, key] : std::vector<std::pair<std::string, std::string>>{
           {"imprisonment", "rule.months"},
           {"suspended", "rule.months_suspended"},
           {"", "rule.months"},
           {"fine", "rule.months_zero"}}) {
    for (const char* typed : {"-5", "-0", "1000000", "99999999999999999999"}) {
      FormValues values = Example();
      values["sentence"] = {sentence};
      values["months"] = {typed};
      std::vector<FieldError> errors;
      const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
      ASSERT_EQ(errors.size(), 1u) << sentence << " " << typed;
      EXPECT_EQ(errors[0].input, "months") << sentence << " " << typed;
      EXPECT_EQ(errors[0].key, key) << sentence << " " << typed;
      EXPECT_TRUE(errors[0].values.empty()) << "the value typed is not repeated";
      EXPECT_EQ(request.conviction().sentence().months(), 0u) << sentence << " " << typed;
    }
  }
  for (const char* typed : {"twelve", "-", "1.5", "-5a", "+3", "5 6"}) {
    FormValues values = Example();
    values["months"] = {typed};
    std::vector<FieldError> errors;
    RecordFromForm(values, &errors);
    ASSERT_EQ(errors.size(), 1u) << typed;
    EXPECT_EQ(errors[0].key, "form.whole_number") << typed;
  }
}

TEST(RecordFormTest, TheServersProblemsGoBesideTheirInputs) {
  std::vector<FieldError> ignored;
  const v1::CreateRecordRequest request = RecordFromForm(Example(), &ignored);
  std::vector<FieldError> errors = ErrorsFromServer(
      "something else entirely; person.birth_date: must be a real date YYYY-MM-DD from 1900-01-01; "
      "conviction.bans[0].end_date: empty (for life) or a date YYYY-MM-DD on or after the date the "
      "judgment became final, within 100 years of it; "
      "conviction.offences[1]: not in the offence table; "
      "person.birth_place: 0..100 characters of valid UTF-8, no control characters; "
      "conviction.suspension_end_date: a date YYYY-MM-DD one to five years after the date the "
      "judgment became final; person.surname: a rule nobody translated; "
      "person.given_name: holds a look-alike of an apostrophe (a grave or acute accent, a "
      "prime): type a plain apostrophe ('); person.father_name: holds a look-alike of the "
      "Serbian D with stroke (the Icelandic eth, the African D): type D with stroke or Dj, or a "
      "plain D where the person's papers have one",
      request);
  ASSERT_EQ(errors.size(), 9u);
  EXPECT_EQ(errors[0].input, "");
  EXPECT_EQ(errors[0].server_text, "something else entirely");
  errors.erase(errors.begin());
  EXPECT_EQ(errors[0].input, "birth-date");
  EXPECT_EQ(errors[0].key, "rule.real_date");
  EXPECT_EQ(errors[1].input, "ban-work_with_children-end");
  EXPECT_EQ(errors[1].key, "rule.ban_end");
  EXPECT_EQ(errors[2].input, "offence");
  EXPECT_EQ(errors[3].key, "rule.text");
  EXPECT_EQ(errors[3].values[1].second, "100");
  EXPECT_EQ(errors[4].input, "suspension-end-date");
  EXPECT_EQ(errors[4].key, "rule.suspension_end");
  EXPECT_EQ(errors[5].input, "surname");
  EXPECT_EQ(errors[5].key, "") << "an unknown rule keeps the server's words";
  EXPECT_EQ(errors[5].server_text, "a rule nobody translated");
  // A name's look-alikes, in the official's language.
  EXPECT_EQ(errors[6].input, "given-name");
  EXPECT_EQ(errors[6].key, "rule.name_apostrophe");
  EXPECT_EQ(errors[7].input, "father-name");
  EXPECT_EQ(errors[7].key, "rule.name_eth");

  // One problem alone, each a look-alike of its own kind: the input it names and its key.
  const struct {
    const char* message;
    const char* input;
    const char* key;
  } kAlone[] = {
      {"person.surname: holds a stroke or slash typed over a letter (a combining overlay mark): "
       "type the letter that has it, such as D with stroke, or the plain letter",
       "surname", "rule.name_overlay"},
      {"person.given_name: holds a phonetic or historic letter (a small capital, a letter with a "
       "middle tilde, an insular letter): type the letter as the person's papers write it",
       "given-name", "rule.name_phonetic"},
      // Each rule the record breaks for its sentence or court, said apart.
      {"conviction.release_date: must be empty unless the sentence is imprisonment or life "
       "imprisonment",
       "release-date", "rule.release_only_imprisonment"},
      {"conviction.release_date: a date YYYY-MM-DD on or after the judgment date, within 100 "
       "years of it",
       "release-date", "rule.release_date"},
      {"conviction.suspension_end_date: must be empty unless the sentence is suspended",
       "suspension-end-date", "rule.suspension_only_suspended"},
      {"conviction.foreign_court: required for a foreign court: its name", "foreign-court",
       "rule.foreign_court"},
      {"conviction.sentence.months: must be empty for this sentence: only imprisonment or a "
       "suspended sentence has a length in months",
       "months", "rule.months_zero"},
      {"conviction.sentence.months: 1..24 for a suspended sentence (the term of imprisonment, at "
       "most two years); the end of its verification period is a date of its own",
       "months", "rule.months_suspended"},
  };
  for (const auto& alone : kAlone) {
    const std::vector<FieldError> found = ErrorsFromServer(alone.message, request);
    ASSERT_EQ(found.size(), 1u) << alone.message;
    EXPECT_EQ(found[0].input, alone.input);
    EXPECT_EQ(found[0].key, alone.key);
  }
}

TEST(RecordFormTest, AnAmendmentChangesWhatDiffersOnly) {
  std::vector<FieldError> ignored;
  v1::CreateRecordRequest current = RecordFromForm(Example(), &ignored);
  current.mutable_conviction()->mutable_offences(0)->set_title("Rape");  // output only
  current.mutable_conviction()->set_court_name("Basic Court");           // output only
  FormValues values = Example();
  EXPECT_TRUE(ChangedFields(current, RecordFromForm(values, &ignored)).paths().empty());
  values["address"] = {"Rr. Fehmi Agani 7, Pejë"};
  values["months"] = {"30"};
  values["offence"] = {"06/L-074:230:1"};
  const google::protobuf::FieldMask mask = ChangedFields(current, RecordFromForm(values, &ignored));
  EXPECT_EQ(std::vector<std::string>(mask.paths().begin(), mask.paths().end()),
            (std::vector<std::string>{"person.last_known_address", "conviction.offences",
                                      "conviction.sentence"}));
}

// What the form cannot show as stored (text with spaces around it, bans in another order, two
// bans of one kind) is not sent back changed when the official changes something else: before,
// correcting a father's name turned a profession ban for life into one that ends.
TEST(RecordFormTest, WhatTheFormCannotShowIsLeftAsStored) {
  std::vector<FieldError> ignored;
  v1::CreateRecordRequest current = RecordFromForm(Example(), &ignored);
  current.mutable_person()->set_last_known_address(" Rr. Agim Ramadani 14 ");
  current.mutable_person()->set_birth_place("  Prishtinë  ");
  v1::Conviction& c = *current.mutable_conviction();
  c.clear_bans();
  for (const auto& [type, end] : std::vector<std::pair<v1::BanType, std::string>>{
           {v1::BAN_TYPE_WORK_WITH_CHILDREN, ""},
           {v1::BAN_TYPE_PROFESSION, ""},
           {v1::BAN_TYPE_PROFESSION, "2030-01-01"}}) {
    v1::AccessoryBan* ban = c.add_bans();
    ban->set_type(type);
    ban->set_end_date(end);
  }
  EXPECT_EQ(RepeatedBanKinds(current), std::vector<std::string>{"profession"});

  FormValues values = FormFromRecord(current);
  values["father-name"] = {"Bekim"};
  const google::protobuf::FieldMask mask = ChangedFields(current, RecordFromForm(values, &ignored));
  EXPECT_EQ(std::vector<std::string>(mask.paths().begin(), mask.paths().end()),
            std::vector<std::string>{"person.father_name"});

  // A ban the official does change is sent: the page refuses it for such a record.
  values["ban-work_with_children-end"] = {"2040-01-01"};
  values["ban-work_with_children-life"] = {""};
  const google::protobuf::FieldMask bans = ChangedFields(current, RecordFromForm(values, &ignored));
  EXPECT_NE(std::find(bans.paths().begin(), bans.paths().end(), "conviction.bans"),
            bans.paths().end());
  c.mutable_bans()->DeleteSubrange(2, 1);
  EXPECT_TRUE(RepeatedBanKinds(current).empty());
}

// The offence table as GetReferenceData lists it: two whole articles and one paragraph the table
// lists itself.
OffenceTable Table() {
  OffenceTable table;
  for (const auto& [article, paragraph] :
       std::vector<std::pair<uint32_t, uint32_t>>{{230, 0}, {229, 0}, {231, 2}}) {
    v1::OffenceEntry* entry = table.Add();
    entry->set_law("06/L-074");
    entry->set_article(article);
    entry->set_paragraph(paragraph);
  }
  return table;
}

std::vector<std::string> Codes(const v1::CreateRecordRequest& request) {
  std::vector<std::string> codes;
  for (const v1::Offence& o : request.conviction().offences()) {
    codes.push_back(absl::StrCat(o.law(), ":", o.article(), ":", o.paragraph()));
  }
  return codes;
}

// The table lists whole articles (paragraph 0), and the form offered only them: "art. 230
// para. 1" could not be recorded, though the registry takes it. The paragraph is typed beside the
// article's box, and a record that names one comes back into the form the same way.
TEST(RecordFormTest, AParagraphOfAWholeArticleIsTypedBesideItsBoxAndComesBack) {
  const std::string art230 = ParagraphInputName("06/L-074:230:0");
  EXPECT_EQ(art230, "offence-paragraph:06/L-074:230:0");
  FormValues values = Example();
  values["offence"] = {"06/L-074:230:0", "06/L-074:229:0"};
  values[art230] = {" 1 "};
  values[ParagraphInputName("06/L-074:229:0")] = {""};     // the whole article
  values[ParagraphInputName("06/L-074:227:0")] = {" "};    // its box is not checked: empty
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(Codes(request), (std::vector<std::string>{"06/L-074:230:1", "06/L-074:229:0"}));

  FormValues shown = FormFromRecord(request, Table());
  EXPECT_EQ(shown["offence"], (std::vector<std::string>{"06/L-074:230:0", "06/L-074:229:0"}));
  EXPECT_EQ(shown[art230], std::vector<std::string>{"1"});
  EXPECT_EQ(shown.count(ParagraphInputName("06/L-074:229:0")), 0u);
  std::vector<FieldError> again;
  EXPECT_EQ(RecordFromForm(shown, &again).SerializeAsString(), request.SerializeAsString());
  EXPECT_TRUE(again.empty());

  // A paragraph the table lists itself is its own box, and an offence the table does not cover at
  // all keeps its code (a box each, checked); a second paragraph of one article goes beside the
  // article's box with the first, as it is typed ("1, 3").
  v1::CreateRecordRequest more = request;
  for (const auto& [law, article, paragraph] :
       std::vector<std::tuple<std::string, uint32_t, uint32_t>>{
           {"06/L-074", 231, 2}, {"06/L-074", 230, 3}, {"04/L-082", 235, 1}}) {
    v1::Offence* offence = more.mutable_conviction()->add_offences();
    offence->set_law(law);
    offence->set_article(article);
    offence->set_paragraph(paragraph);
  }
  shown = FormFromRecord(more, Table());
  EXPECT_EQ(shown["offence"], (std::vector<std::string>{"06/L-074:230:0", "06/L-074:229:0",
                                                        "06/L-074:231:2", "04/L-082:235:1"}));
  EXPECT_EQ(shown[art230], std::vector<std::string>{"1, 3"});
  EXPECT_EQ(Codes(RecordFromForm(shown, &again)),
            (std::vector<std::string>{"06/L-074:230:1", "06/L-074:230:3", "06/L-074:229:0",
                                      "06/L-074:231:2", "04/L-082:235:1"}));
  EXPECT_TRUE(again.empty());
  // A record that names an article whole and a paragraph of it (which the registry refuses now):
  // both beside the article's box, the whole article as 0, so that a correction shows them.
  v1::CreateRecordRequest both = request;
  both.mutable_conviction()->mutable_offences(1)->set_article(230);
  shown = FormFromRecord(both, Table());
  EXPECT_EQ(shown["offence"], std::vector<std::string>{"06/L-074:230:0"});
  EXPECT_EQ(shown[art230], std::vector<std::string>{"1, 0"});
  EXPECT_EQ(RecordFromForm(shown, &again).SerializeAsString(), both.SerializeAsString());
  // Without the table (as an amendment's comparison reads the record), each offence is its code.
  EXPECT_EQ(FormFromRecord(request)["offence"][0], "06/L-074:230:1");

  // A name made of what the registry sent holds no markup or control character.
  EXPECT_EQ(ParagraphInputName("a\"<b>\x1b:1:0"), "offence-paragraph:a%22%3cb%3e%1b:1:0");
}

// A ban's end date typed beside its box left unticked was dropped, and the record saved without
// the ban: it is an error beside that date, for the clerk to tick the ban or clear the date.
TEST(RecordFormTest, ABanEndDateBesideAnUntickedBoxIsAnErrorBesideItNotDropped) {
  FormValues values = Example();
  values["ban-profession-end"] = {"2030-01-01"};
  values["ban-contact_with_victim-end"] = {"  "};  // nothing typed: no ban, no error
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].input, "ban-profession-end");
  EXPECT_EQ(errors[0].key, "form.ban_unticked");
  EXPECT_TRUE(errors[0].values.empty()) << "the date typed is not repeated";
  ASSERT_EQ(request.conviction().bans_size(), 1);
  EXPECT_EQ(request.conviction().bans(0).type(), v1::BAN_TYPE_WORK_WITH_CHILDREN);

  // Ticked, the same date is the ban's end.
  values["ban-profession"] = {"on"};
  errors.clear();
  const v1::CreateRecordRequest ticked = RecordFromForm(values, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(ticked.conviction().bans_size(), 2);
  EXPECT_EQ(ticked.conviction().bans(1).end_date(), "2030-01-01");
}

// A ban ticked with its end date left empty was taken for a ban for life: a forgotten date is
// not one. The clerk types the end or ticks "for life", and is told so beside the end date.
TEST(RecordFormTest, ABanTickedWithNeitherAnEndNorForLifeIsRefusedBesideItsEndDate) {
  FormValues values = Example();
  values["ban-profession"] = {"on"};
  std::vector<FieldError> errors;
  v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].input, "ban-profession-end");
  EXPECT_EQ(errors[0].key, "form.ban_end_or_life");
  ASSERT_EQ(request.conviction().bans_size(), 1) << "not sent as a ban for life";

  // "For life" ticked: a ban for life.
  values["ban-profession-life"] = {"true"};
  errors.clear();
  request = RecordFromForm(values, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(request.conviction().bans_size(), 2);
  EXPECT_EQ(request.conviction().bans(1).type(), v1::BAN_TYPE_PROFESSION);
  EXPECT_EQ(request.conviction().bans(1).end_date(), "");
  // And shown so again: the box ticked, the date empty.
  const FormValues shown = FormFromRecord(request);
  EXPECT_EQ(shown.at("ban-profession-life"), std::vector<std::string>{"true"});
  EXPECT_EQ(shown.at("ban-work_with_children-life"), std::vector<std::string>{""});

  // Both a date and "for life": which was meant is the clerk's to say.
  values["ban-profession-end"] = {"2030-01-01"};
  errors.clear();
  request = RecordFromForm(values, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].input, "ban-profession-end");
  EXPECT_EQ(errors[0].key, "form.ban_end_and_life");

  // "For life" beside a ban left unticked, as a date beside one.
  values.erase("ban-profession");
  values.erase("ban-profession-end");
  errors.clear();
  request = RecordFromForm(values, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].input, "ban-profession-life");
  EXPECT_EQ(errors[0].key, "form.ban_life_unticked");
}

// Life imprisonment is a choice of the sentence, without months: months typed with it are told
// the registry's rule for it.
TEST(RecordFormTest, LifeImprisonmentIsASentenceOfTheFormWithoutMonths) {
  EXPECT_EQ(SentenceWords()[1], "life_imprisonment") << "offered after imprisonment";
  FormValues values = Example();
  values["sentence"] = {"life_imprisonment"};
  values["months"] = {""};
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(request.conviction().sentence().type(), v1::SENTENCE_TYPE_LIFE_IMPRISONMENT);
  EXPECT_EQ(request.conviction().release_date(), "2027-03-01");
  EXPECT_EQ(FormFromRecord(request).at("sentence"), std::vector<std::string>{"life_imprisonment"});
  // Every other word is still its own type.
  for (const std::string& word : SentenceWords()) {
    values["sentence"] = {word};
    errors.clear();
    EXPECT_EQ(client::SentenceTypeWord(RecordFromForm(values, &errors).conviction().sentence()
                                           .type()),
              word);
  }
  values["sentence"] = {"life_imprisonment"};
  values["months"] = {"-5"};
  errors.clear();
  RecordFromForm(values, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "rule.months_life");
  EXPECT_EQ(RuleKey("must be empty for life imprisonment: it has no length in months").first,
            "rule.months_life");
}

// A paragraph typed beside an offence's box left unticked was dropped, and the record saved
// without the offence: it is an error of the offences, naming the article, not dropped.
TEST(RecordFormTest, AParagraphBesideAnUntickedOffenceIsAnErrorOfTheOffencesNotDropped) {
  FormValues values = Example();
  values["offence"] = {"06/L-074:229:0"};
  values[ParagraphInputName("06/L-074:229:0")] = {"2"};
  values[ParagraphInputName("06/L-074:227:0")] = {"4"};      // its box is not ticked
  values[ParagraphInputName("04/L 082:235:0")] = {"x"};      // a law code with a space in it
  values[ParagraphInputName("06/L-074:228:0")] = {""};       // nothing typed: no error
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  ASSERT_EQ(errors.size(), 2u);
  for (const FieldError& error : errors) {
    EXPECT_EQ(error.input, "offence");
    EXPECT_EQ(error.key, "form.paragraph_unticked");
  }
  // In the order of the inputs' names.
  EXPECT_EQ(errors[0].values, (std::vector<std::pair<std::string, std::string>>{
                                  {"law", "04/L 082"}, {"article", "235"}}));
  EXPECT_EQ(errors[1].values, (std::vector<std::pair<std::string, std::string>>{
                                  {"law", "06/L-074"}, {"article", "227"}}));
  EXPECT_EQ(Codes(request), std::vector<std::string>{"06/L-074:229:2"});
}

TEST(RecordFormTest, AParagraphThatIsNotAWholeNumberUpTo99IsAnErrorOfTheOffences) {
  for (const char* bad : {"100", "x", "-1", "1.5", "2a", "1, x", "+3", "1;2"}) {
    FormValues values = Example();
    values["offence"] = {"06/L-074:230:0"};
    values[ParagraphInputName("06/L-074:230:0")] = {bad};
    std::vector<FieldError> errors;
    const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_EQ(errors[0].input, "offence") << bad;
    EXPECT_EQ(errors[0].key, "form.paragraph") << bad;
    EXPECT_EQ(errors[0].values,
              (std::vector<std::pair<std::string, std::string>>{
                  {"law", "06/L-074"}, {"article", "230"}, {"value", bad}}));
    EXPECT_EQ(request.conviction().offences_size(), 0) << bad;
  }
  for (const auto& [typed, paragraph] :
       std::vector<std::pair<std::string, uint32_t>>{{"0", 0}, {"99", 99}, {"07", 7}, {"", 0}}) {
    FormValues values = Example();
    values["offence"] = {"06/L-074:230:0"};
    values[ParagraphInputName("06/L-074:230:0")] = {typed};
    std::vector<FieldError> errors;
    const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
    EXPECT_TRUE(errors.empty()) << typed;
    ASSERT_EQ(request.conviction().offences_size(), 1) << typed;
    EXPECT_EQ(request.conviction().offences(0).paragraph(), paragraph) << typed;
  }
}

// An amendment that changes only a paragraph changes the offences: they are sent.
TEST(RecordFormTest, AnAmendmentOfAParagraphOnlySendsTheOffences) {
  std::vector<FieldError> ignored;
  const v1::CreateRecordRequest current = RecordFromForm(Example(), &ignored);  // art. 230 para. 1
  FormValues values = FormFromRecord(current, Table());
  EXPECT_TRUE(ChangedFields(current, RecordFromForm(values, &ignored)).paths().empty());
  for (const char* paragraph : {"2", ""}) {
    values[ParagraphInputName("06/L-074:230:0")] = {paragraph};
    const google::protobuf::FieldMask mask =
        ChangedFields(current, RecordFromForm(values, &ignored));
    EXPECT_EQ(std::vector<std::string>(mask.paths().begin(), mask.paths().end()),
              std::vector<std::string>{"conviction.offences"})
        << paragraph;
  }
}

// A record whose offences are not in the table's order (as registry-cli enters them): the form
// lists their boxes in the table's order, and the browser sends the ticked ones in that order.
// Before, a correction of the place of birth alone sent the offences too, reordered, and the
// history blamed the clerk for "2 fields changed".
TEST(RecordFormTest, AnAmendmentOfAnotherFieldLeavesOffencesOutOfTheTablesOrderAlone) {
  std::vector<FieldError> ignored;
  FormValues typed = Example();
  typed["offence"] = {"06/L-074:231:2", "06/L-074:230:1", "06/L-074:229:0"};
  const v1::CreateRecordRequest current = RecordFromForm(typed, &ignored);
  FormValues values = FormFromRecord(current, Table());
  // The boxes ticked, as the page lists them: the table's order.
  values["offence"] = {"06/L-074:230:0", "06/L-074:229:0", "06/L-074:231:2"};
  EXPECT_TRUE(ChangedFields(current, RecordFromForm(values, &ignored), Table()).paths().empty());
  values["birth-place"] = {"Pejë"};
  const google::protobuf::FieldMask mask =
      ChangedFields(current, RecordFromForm(values, &ignored), Table());
  EXPECT_EQ(std::vector<std::string>(mask.paths().begin(), mask.paths().end()),
            std::vector<std::string>{"person.birth_place"});
  // An offence the clerk does untick is a change, sent.
  values["offence"] = {"06/L-074:230:0", "06/L-074:231:2"};
  const google::protobuf::FieldMask fewer =
      ChangedFields(current, RecordFromForm(values, &ignored), Table());
  EXPECT_EQ(std::vector<std::string>(fewer.paths().begin(), fewer.paths().end()),
            (std::vector<std::string>{"person.birth_place", "conviction.offences"}));
}

// Expects RuleKey to give `rule` the message `key` with the one value `name`, `value`.
void ExpectRuleWithOneValue(const std::string& rule, const std::string& key,
                            const std::string& name, const std::string& value) {
  const auto [found_key, values] = RuleKey(rule);
  EXPECT_EQ(found_key, key);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].first, name);
  EXPECT_EQ(values[0].second, value);
}

// The registry says how far over the name token bound a record's names are; the console said
// only that there were too many name words (the rule with counts was not matched at all).
TEST(RecordFormTest, TooManyNameWordsKeepsTheRegistrysCounts) {
  const auto [key, values] = RuleKey(
      "too many name words across the aliases: drop an alias, or words of the aliases or of the "
      "name (these names file 1,454 index entries; at most 1,024)");
  EXPECT_EQ(key, "rule.alias_words");
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0], (std::pair<std::string, std::string>("filed", "1454")));
  EXPECT_EQ(values[1], (std::pair<std::string, std::string>("most", "1024")));
  const std::string en = Format("en", Catalogs::Embedded().Text("en", key), values);
  EXPECT_TRUE(absl::StrContains(en, "(these names file 1,454 index entries; at most 1,024)"))
      << en;
  for (const char* language : {"sq", "sr"}) {
    const std::string text = Format(language, Catalogs::Embedded().Text(language, key), values);
    EXPECT_TRUE(absl::StrContains(text, "454") && absl::StrContains(text, "024")) << text;
  }
}

// The registry says how many digits a personal number has; the console says it in the page's
// language with that number. A pattern of another shape is left in the registry's words.
TEST(RecordFormTest, APersonalNumberRuleKeepsTheRegistrysNumberOfDigits) {
  ExpectRuleWithOneValue("does not match the personal number format (13 digits)",
                         "rule.personal_number", "digits", "13");
  EXPECT_EQ(RuleKey("does not match the personal number format (the pattern [A-Z][0-9]{9})").first,
            "");
  // A record's number is also told that a person without one cannot be recorded yet.
  ExpectRuleWithOneValue(
      "does not match the personal number format (10 digits), and a person without a Kosovo "
      "personal number cannot be recorded yet (docs/domain.md)",
      "rule.personal_number_record", "digits", "10");
}

// A name holding an invisible character was refused in the registry's English on every page:
// the console says it in the page's language, with the character's code point the registry
// names (never the name).
TEST(RecordFormTest, AnInvisibleCharacterRuleIsSaidWithTheCodePointTheRegistryNames) {
  ExpectRuleWithOneValue(
      "holds an invisible character (U+200B), as text copied from a web page or a document "
      "may: type the name again without it",
      "rule.invisible", "code", "U+200B");
  EXPECT_EQ(RuleKey("holds an invisible character (U+12G4), as text").first, "");
}

// A code not yet in force on the judgment date names the judgment date and the offence, each
// with the code and the day it took effect: said in the page's language with both, and a text
// that only starts the same is not taken for it.
TEST(RecordFormTest, ACodeNotYetInForceIsSaidWithTheCodeAndItsDayBesideBothFields) {
  const auto [offence_key, offence_values] = RuleKey(
      "code 06/L-074 took effect on 2019-04-14, after the judgment date: check the judgment "
      "date, or record the article of the code the court applied");
  EXPECT_EQ(offence_key, "rule.law_in_force");
  const auto [date_key, date_values] = RuleKey(
      "is before 2019-04-14, the day code 06/L-074 of an offence took effect: check the "
      "judgment date, and the offence's code");
  EXPECT_EQ(date_key, "rule.judgment_before_law");
  for (const auto& values : {offence_values, date_values}) {
    for (const char* language : {"en", "sq", "sr"}) {
      for (const char* key : {"rule.law_in_force", "rule.judgment_before_law"}) {
        const std::string said =
            Format(language, Catalogs::Embedded().Text(language, key), values);
        EXPECT_NE(said.find("06/L-074"), std::string::npos) << language << ": " << said;
        EXPECT_NE(said.find("2019-04-14"), std::string::npos) << language << ": " << said;
      }
    }
  }
  EXPECT_EQ(RuleKey("code 06/L-074 took effect on 2019-04-14").first, "");
}

// An invisible character in a free text (the address, the place of birth, the foreign court's
// name) was answered "0 to 200 characters, no control characters", which the clerk's text, with
// none to see, seemed to meet. The registry now names it by its code point as in a name; the
// console puts that beside the field's input, in the page's language, without the text.
TEST(RecordFormTest, AnInvisibleCharacterInAFreeTextIsSaidBesideItsInputInEveryLanguage) {
  std::vector<FieldError> ignored;
  FormValues values = Example();
  values["address"] = {"Rr. Terez\xC3\xAB\xE2\x80\xAE 5"};
  const v1::CreateRecordRequest request = RecordFromForm(values, &ignored);
  constexpr absl::string_view kHow =
      "), as text copied from a web page or a document may: type the text again without it";
  const std::vector<FieldError> errors = ErrorsFromServer(
      absl::StrCat("person.birth_place: holds an invisible character (U+200B", kHow,
                   "; person.last_known_address: holds an invisible character (U+202E", kHow,
                   "; conviction.foreign_court: holds an invisible character (U+00AD", kHow),
      request);
  ASSERT_EQ(errors.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> kExpected = {
      {"birth-place", "U+200B"}, {"address", "U+202E"}, {"foreign-court", "U+00AD"}};
  for (size_t i = 0; i < errors.size(); ++i) {
    SCOPED_TRACE(kExpected[i].first);
    EXPECT_EQ(errors[i].input, kExpected[i].first);
    EXPECT_EQ(errors[i].key, "rule.invisible");
    ASSERT_EQ(errors[i].values.size(), 1u);
    EXPECT_EQ(errors[i].values[0].second, kExpected[i].second);
  }
  for (const char* language : {"en", "sq", "sr"}) {
    const std::string said = Format(
        language, Catalogs::Embedded().Text(language, "rule.invisible"), errors[1].values);
    EXPECT_NE(said.find("(U+202E)"), std::string::npos) << language << ": " << said;
    EXPECT_EQ(said.find("control"), std::string::npos) << language << ": " << said;
    EXPECT_EQ(said.find("Terez"), std::string::npos) << language << ": " << said;
  }
}

// The paragraph input takes what the registry takes, as its hint says: 0 to kMaxParagraph (0,
// like an empty input, is the whole article).
TEST(RecordFormTest, AParagraphFrom0To99IsTakenAsTheRegistryTakesIt) {
  std::vector<uint32_t> paragraphs = {7};
  EXPECT_TRUE(ParseParagraphs("0", &paragraphs));
  EXPECT_EQ(paragraphs, std::vector<uint32_t>{0});
  EXPECT_TRUE(ParseParagraphs(absl::StrCat(kMaxParagraph), &paragraphs));
  EXPECT_EQ(paragraphs, std::vector<uint32_t>{kMaxParagraph});
  EXPECT_FALSE(ParseParagraphs(absl::StrCat(kMaxParagraph + 1), &paragraphs));
  EXPECT_TRUE(paragraphs.empty());
  std::vector<FieldError> errors;
  FormValues values = {{"offence", {"06/L-074:230:0"}},
                       {ParagraphInputName("06/L-074:230:0"), {"0"}}};
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(request.conviction().offences_size(), 1);
  EXPECT_EQ(request.conviction().offences(0).paragraph(), 0u) << "the whole article";
}

// A country code refused with the code meant ("not a country code in ISO 3166-1 (for the United
// Kingdom, GB)", of UK) or as a place that is no country ("no country's code (...)", of AQ) was
// not known as a rule, and was shown in English on Albanian and Serbian pages. Every such refusal
// the shared rule makes, of any two letters, is known, and said in each language with the codes
// it names.
TEST(RecordFormTest, EveryCountryCodeRefusedWithAHintIsSaidInEachLanguageWithTheCodesMeant) {
  const Catalogs& catalogs = Catalogs::Embedded();
  int hinted = 0;
  for (char first = 'A'; first <= 'Z'; ++first) {
    for (char second = 'A'; second <= 'Z'; ++second) {
      const std::string code = {first, second};
      if (IsCountryCode(code)) continue;
      const std::string rule = UnknownCountryCodeRule(code);
      const std::string key = RuleKey(rule).first;
      if (rule == "not a country code in ISO 3166-1") {
        EXPECT_EQ(key, "rule.country_unknown") << code;
        continue;
      }
      ++hinted;
      ASSERT_FALSE(key.empty()) << code << ": " << rule;
      // The codes the hint names ("GB"; "RS, ME or XK"), each in every language's words.
      std::vector<std::string> meant;
      const std::regex two_capitals("\\b[A-Z]{2}\\b");
      const std::string hint = rule.substr(rule.find('('));
      for (auto it = std::sregex_iterator(hint.begin(), hint.end(), two_capitals);
           it != std::sregex_iterator(); ++it) {
        meant.push_back(it->str());
      }
      for (const char* language : {"sq", "sr", "en"}) {
        const std::string said = catalogs.Text(language, key);
        EXPECT_NE(said, absl::StrCat("[", key, "]")) << language << " " << code;
        for (const std::string& other : meant) {
          EXPECT_TRUE(absl::StrContains(said, other)) << language << " " << code << ": " << said;
        }
      }
      EXPECT_NE(catalogs.Text("sq", key), catalogs.Text("en", key)) << code;
      EXPECT_NE(catalogs.Text("sr", key), catalogs.Text("en", key)) << code;
    }
  }
  // UK, EL, KS, KV, YU, CS, SU, DD, ZR, TP, AN and EU; AQ, BV, HM, DG, EA and IC.
  EXPECT_EQ(hinted, 18);
  EXPECT_EQ(RuleKey(UnknownCountryCodeRule("KV")).first,
            RuleKey(UnknownCountryCodeRule("KS")).first);
}

// Two counts under one article (06/L-074 art. 227 para. 1 and para. 4) could be recorded by
// registry-cli (`--offence 06/L-074:227:1 --offence 06/L-074:227:4`) but not by the form: the
// article's one paragraph box refused "1, 4" as no whole number. Paragraphs separated by commas or
// spaces are each an offence of their own, each checked as one is; the form comes back as typed.
TEST(RecordFormTest, SeveralParagraphsBesideOneArticleAreAnOffenceEach) {
  const std::string art230 = ParagraphInputName("06/L-074:230:0");
  for (const char* typed : {"1, 4", "1,4", " 1  4 ", "1 ,4,"}) {
    FormValues values = Example();
    values["offence"] = {"06/L-074:230:0", "06/L-074:229:0"};
    values[art230] = {typed};
    std::vector<FieldError> errors;
    const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
    EXPECT_TRUE(errors.empty()) << typed;
    EXPECT_EQ(Codes(request),
              (std::vector<std::string>{"06/L-074:230:1", "06/L-074:230:4", "06/L-074:229:0"}))
        << typed;
    // A correction of the record shows them beside the article's box again, and changes nothing.
    const FormValues shown = FormFromRecord(request, Table());
    EXPECT_EQ(shown.at("offence"),
              (std::vector<std::string>{"06/L-074:230:0", "06/L-074:229:0"}));
    EXPECT_EQ(shown.at(art230), std::vector<std::string>{"1, 4"});
    std::vector<FieldError> again;
    EXPECT_EQ(RecordFromForm(shown, &again).SerializeAsString(), request.SerializeAsString());
    EXPECT_TRUE(ChangedFields(request, RecordFromForm(values, &again), Table()).paths().empty())
        << typed;
  }
  // One that is no paragraph refuses them all, said with what was typed.
  FormValues values = Example();
  values["offence"] = {"06/L-074:230:0"};
  values[art230] = {"1, 4, 100"};
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "form.paragraph");
  EXPECT_EQ(errors[0].values.back(),
            (std::pair<std::string, std::string>{"value", "1, 4, 100"}));
  EXPECT_EQ(request.conviction().offences_size(), 0);
  // The form's words say that several may be given, in every language.
  for (const char* language : {"en", "sq", "sr"}) {
    for (const char* key : {"form.paragraph", "field.offence-paragraph.hint"}) {
      EXPECT_TRUE(absl::StrContains(Catalogs::Embedded().Text(language, key), ","))
          << language << " " << key;
    }
  }
}

// The registry's refusal of an article the table lists by its paragraphs alone, and of an article
// named whole and by a paragraph, are said beside the offences in the page's language, the
// article and its paragraphs (the registry's reference data) kept.
TEST(RecordFormTest, TheRefusalsOfAnArticlesParagraphsAreSaidInEachLanguage) {
  std::vector<FieldError> ignored;
  const v1::CreateRecordRequest request = RecordFromForm(Example(), &ignored);
  const std::vector<FieldError> errors = ErrorsFromServer(
      "conviction.offences[0]: 06/L-074 article 234 is recorded by its paragraph: give one of "
      "06/L-074:234:1, 06/L-074:234:2; "
      "conviction.offences[1]: is the same article as another offence, one whole (paragraph 0) "
      "and one by its paragraph: give the paragraphs the judgment names, or the whole article "
      "alone",
      request);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].input, "offence");
  EXPECT_EQ(errors[0].key, "rule.offence_paragraphs");
  EXPECT_EQ(errors[0].values, (std::vector<std::pair<std::string, std::string>>{
                                  {"law", "06/L-074"},
                                  {"article", "234"},
                                  {"codes", "06/L-074:234:1, 06/L-074:234:2"}}));
  EXPECT_EQ(errors[1].input, "offence");
  EXPECT_EQ(errors[1].key, "rule.offence_whole_and_paragraph");
  for (const char* language : {"en", "sq", "sr"}) {
    const std::string said = Format(
        language, Catalogs::Embedded().Text(language, errors[0].key), errors[0].values);
    EXPECT_TRUE(absl::StrContains(said, "06/L-074:234:1, 06/L-074:234:2")) << said;
    EXPECT_TRUE(absl::StrContains(said, "234 ")) << said;
  }
}

// An empty given name was told "1 to 100 letters, spaces, hyphens or apostrophes", the rule the
// registry states of a required name left empty, as if what was typed were wrong: it is told
// that the field is required, as every other required field left empty is. A name that holds
// something the rule refuses is still told the rule.
TEST(RecordFormTest, AnEmptyRequiredNameIsToldItIsRequiredNotTheRuleOfAName) {
  FormValues values = Example();
  values["given-name"] = {""};
  std::vector<FieldError> ignored;
  const v1::CreateRecordRequest empty = RecordFromForm(values, &ignored);
  const std::string rule = "1..100 letters, spaces, hyphens or apostrophes";
  std::vector<FieldError> errors =
      ErrorsFromServer(absl::StrCat("person.given_name: ", rule), empty);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].input, "given-name");
  EXPECT_EQ(errors[0].key, "rule.required");
  values["given-name"] = {"Arben2"};
  const v1::CreateRecordRequest typed = RecordFromForm(values, &ignored);
  errors = ErrorsFromServer(absl::StrCat("person.given_name: ", rule), typed);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "rule.name");
  // The surname likewise.
  values = Example();
  values["surname"] = {""};
  errors = ErrorsFromServer(absl::StrCat("person.surname: ", rule),
                            RecordFromForm(values, &ignored));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].input, "surname");
  EXPECT_EQ(errors[0].key, "rule.required");
}

// The registry's refusals of a conviction as a whole (a duplicate, an expunged or spent
// conviction, another record's or another import row's) named no input, or "conviction", which
// the form has none of: each goes beside the case number (an amendment's clash beside the first
// field it names), by its catalog key, with the record it names.
TEST(RecordFormTest, ARefusalOfTheConvictionAsAWholeGoesBesideTheCaseNumber) {
  const std::string id = "87c3d67c33376237068b615cff15e473";
  const v1::CreateRecordRequest request;
  const struct {
    std::string message;
    std::string input;
    std::string key;
    std::vector<std::pair<std::string, std::string>> values;
    std::string record_id;
  } kCases[] = {
      {absl::StrCat("a record with this court, case number and personal number exists: ", id),
       "case-number", "rule.conviction_exists", {}, id},
      {"conviction: a record of this court, case number and personal number was expunged, and "
       "an expunged conviction is not entered again",
       "case-number", "rule.conviction_expunged", {}, ""},
      {"conviction: its retention period has ended (it was due for deletion on 2021-03-04), so it "
       "is not entered: only a later conviction of the person that became final by 2016-03-04 "
       "would have kept it",
       "case-number", "rule.retention_ended",
       {{"deleted", "2021-03-04"}, {"final_by", "2016-03-04"}}, ""},
      {"conviction: with these dates its retention period has ended, so the change is not made "
       "(a conviction leaves the registry only by an expunge)",
       "case-number", "rule.retention_ended_change", {}, ""},
      {absl::StrCat("conviction.case_number: another record has this court, case number and "
                    "personal number: ", id),
       "case-number", "rule.conviction_clash", {}, id},
      {absl::StrCat("conviction.court_id, person.personal_number: another record has this court, "
                    "case number and personal number: ", id),
       "court", "rule.conviction_clash", {}, id},
      {"conviction: conflicts with the stored record of this court, case number and personal "
       "number, which differs in father's name, place of birth; not changed: correct the row, or "
       "the record with an amendment",
       "case-number", "rule.conviction_conflict",
       {{"fields", "father's name, place of birth"}}, ""},
      {"conviction: the same conviction (court, case number, personal number) as another row of "
       "this import (line 5 or line 9); one row per conviction",
       "case-number", "rule.same_conviction_rows", {{"lines", "5, 9"}}, ""},
  };
  for (const auto& c : kCases) {
    const std::vector<FieldError> errors = ErrorsFromServer(c.message, request);
    ASSERT_EQ(errors.size(), 1u) << c.message;
    EXPECT_EQ(errors[0].input, c.input) << c.message;
    EXPECT_EQ(errors[0].key, c.key) << c.message;
    EXPECT_EQ(errors[0].values, c.values) << c.message;
    EXPECT_EQ(errors[0].record_id, c.record_id) << c.message;
    EXPECT_TRUE(IsConvictionRule(errors[0].key));
  }
  // What is not a record id is not taken for one.
  const std::vector<FieldError> odd = ErrorsFromServer(
      "a record with this court, case number and personal number exists: ../admin", request);
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].input, "");
  EXPECT_EQ(odd[0].record_id, "");
  EXPECT_EQ(FieldLabelKey("place of birth"), "field.birth-place");
}

// A court abroad's country typed YU or CS was told "such as RS, ME or XK" (the citizenship's
// hint), and XK is refused there: the registry says those codes without XK for a court abroad,
// and the console in each language with its own key, which names the codes meant and not XK.
TEST(RecordFormTest, ACourtAbroadsFormerCountryCodeIsSaidWithoutXk) {
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const char* code : {"YU", "CS", "KS", "KV"}) {
    const std::string rule = UnknownForeignCountryCodeRule(code);
    const std::string key = RuleKey(rule).first;
    EXPECT_TRUE(absl::StartsWith(key, "rule.country_unknown_abroad.")) << code << ": " << rule;
    for (const char* language : {"sq", "sr", "en"}) {
      const std::string said = catalogs.Text(language, key);
      EXPECT_NE(said, absl::StrCat("[", key, "]")) << language << " " << code;
      if (std::string(code) == "YU" || std::string(code) == "CS") {
        EXPECT_FALSE(absl::StrContains(said, "XK")) << language << " " << code << ": " << said;
        EXPECT_TRUE(absl::StrContains(said, "RS")) << said;
      }
    }
  }
}

// A ban's end that is no date ("2030-13-01") was told the registry's rule of the ban's range ("on
// or after the date the judgment became final, within 100 years of it"), while every other date
// field said "not a real date". It says that too, beside the ban's end, and the ban is not sent.
TEST(RecordFormTest, ABanEndThatIsNoRealDateIsToldSo) {
  for (const char* typed : {"2030-13-01", "2030-02-30", "1899-12-31", "15.05.2034"}) {
    FormValues values = Example();
    values["ban-work_with_children-end"] = {typed};
    std::vector<FieldError> errors;
    const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
    ASSERT_EQ(errors.size(), 1u) << typed;
    EXPECT_EQ(errors[0].input, "ban-work_with_children-end") << typed;
    EXPECT_EQ(errors[0].key, "rule.real_date") << typed;
    EXPECT_EQ(request.conviction().bans_size(), 0) << typed;
  }
}

// A personal number typed "12345678 90" was told "This is not a personal number (10 digits)", the
// registry's pattern's words, where registry-cli says it holds a space. The form says so beside
// the number, in each language, and a character no personal number has as that; the registry's
// words on the number are then left out beside it (AddRegistryWords).
TEST(RecordFormTest, APersonalNumberWithASpaceIsToldItHoldsASpace) {
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const auto& [typed, key] : std::vector<std::pair<std::string, std::string>>{
           {"12345678 90", "rule.personal_number_space"},
           {"12345678\t90", "rule.personal_number_chars"},
           {"12345678\xc3\xab" "90", "rule.personal_number_chars"}}) {
    FormValues values = Example();
    values["personal-number"] = {typed};
    std::vector<FieldError> errors;
    RecordFromForm(values, &errors);
    ASSERT_EQ(errors.size(), 1u) << key;
    EXPECT_EQ(errors[0].input, "personal-number");
    EXPECT_EQ(errors[0].key, key);
    for (const char* language : {"sq", "sr", "en"}) {
      const std::string said = catalogs.Text(language, key);
      EXPECT_NE(said, absl::StrCat("[", key, "]")) << language;
      EXPECT_NE(said, catalogs.Text(language, "rule.personal_number")) << language;
    }
  }
  EXPECT_EQ(catalogs.Text("en", "rule.personal_number_space"),
            "Holds a space: a personal number is written without spaces.");
  // Written without a space, it is the registry's to judge.
  std::vector<FieldError> errors;
  RecordFromForm(Example(), &errors);
  EXPECT_TRUE(errors.empty());
}

}  // namespace
}  // namespace registry::console
