#include "client/record_fields.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/repeats.h"

namespace registry::client {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<std::string> Described(const std::vector<FieldProblem>& problems, bool by_path) {
  std::vector<std::string> out;
  for (const FieldProblem& p : problems) out.push_back(DescribeProblem(p, by_path));
  return out;
}

TEST(RecordFieldsTest, EveryFieldHasAFlagAPathAndAQuestion) {
  for (const RecordField& field : RecordFields()) {
    EXPECT_FALSE(field.flag.empty());
    EXPECT_FALSE(field.question.empty()) << field.flag;
    EXPECT_EQ(FindRecordField(field.flag), &field);
    EXPECT_EQ(FindRecordField(field.path), &field) << field.path;
  }
}

TEST(RecordFieldsTest, PathsWithIndicesAndPartsNameTheirField) {
  EXPECT_EQ(FindRecordField("conviction.offences[3]")->flag, "offence");
  EXPECT_EQ(FindRecordField("conviction.bans[0].end_date")->flag, "ban");
  EXPECT_EQ(FindRecordField("person.aliases[1]")->flag, "alias");
  EXPECT_EQ(FindRecordField("conviction.sentence.months")->flag, "months");
  EXPECT_EQ(FindRecordField("address")->path, "person.last_known_address");
  EXPECT_EQ(FindRecordField("person.adress"), nullptr);
  EXPECT_EQ(FindRecordField("update_mask"), nullptr);
}

TEST(RecordFieldsTest, ValuesAreReadAsTypedAndBadOnesNamed) {
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("offence"), {"06/L-074:230:1", "04/L-082:235", "x:1:2:3"}, &request,
             &problems);
  ApplyField(*FindRecordField("ban"), {"work_with_children:none", "profession:2030-02-30"},
             &request, &problems);
  ApplyField(*FindRecordField("sex"), {"Female"}, &request, &problems);
  ApplyField(*FindRecordField("citizenship"), {"xk", "ALB"}, &request, &problems);
  ApplyField(*FindRecordField("months"), {"601"}, &request, &problems);
  ApplyField(*FindRecordField("birth-date"), {"1980-02-30"}, &request, &problems);
  ASSERT_EQ(request.conviction().offences_size(), 2);
  EXPECT_EQ(request.conviction().offences(1).paragraph(), 0u);
  ASSERT_EQ(request.conviction().bans_size(), 1);
  EXPECT_EQ(request.conviction().bans(0).end_date(), "");
  EXPECT_EQ(request.person().sex(), v1::SEX_FEMALE);
  EXPECT_THAT(request.person().citizenships(), ElementsAre("XK"));
  EXPECT_EQ(request.person().birth_date(), "") << "a bad value leaves the field as it was";
  // Named by the option, and the item of a list by its place: never by the value typed.
  EXPECT_THAT(
      Described(problems, false),
      ElementsAre("--offence #3: not LAW:ARTICLE:PARAGRAPH, e.g. 06/L-074:230:1 "
                  "(article 1..999, paragraph 0..99)",
                  "--ban #2: end date: not a real date, or none for life",
                  "--citizenship #2: not a two-letter country code such as XK",
                  "--months: over the 600 months the registry takes (50 years)",
                  "--birth-date: not a real date"));

  // A list is the values given now; an empty value clears a list, or a field.
  ApplyField(*FindRecordField("ban"), {""}, &request, &problems);
  EXPECT_EQ(request.conviction().bans_size(), 0);
  ApplyField(*FindRecordField("sex"), {""}, &request, &problems);
  EXPECT_EQ(request.person().sex(), v1::SEX_UNSPECIFIED);
}

// The interactive Sex question and --sex took only female and male; the court's id and the
// offence's law only as the tables write them, where the other choices are taken in any case.
TEST(RecordFieldsTest, SexCourtAndOffenceAreTakenInAnyCaseAndSexByItsFirstLetter) {
  for (const auto& [typed, sex] : std::vector<std::pair<std::string, v1::Sex>>{
           {"m", v1::SEX_MALE}, {"M", v1::SEX_MALE}, {"Male", v1::SEX_MALE},
           {"f", v1::SEX_FEMALE}, {"F", v1::SEX_FEMALE}, {"FEMALE", v1::SEX_FEMALE}}) {
    v1::CreateRecordRequest request;
    std::vector<FieldProblem> problems;
    ApplyField(*FindRecordField("sex"), {typed}, &request, &problems);
    EXPECT_THAT(problems, IsEmpty()) << typed;
    EXPECT_EQ(request.person().sex(), sex) << typed;
  }
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("sex"), {"x"}, &request, &problems);
  ApplyField(*FindRecordField("court"), {"Basic-Prizren"}, &request, &problems);
  ApplyField(*FindRecordField("offence"), {"06/l-074:230:1"}, &request, &problems);
  EXPECT_THAT(Described(problems, false), ElementsAre("--sex: not female or male"));
  EXPECT_EQ(request.conviction().court_id(), "basic-prizren");
  ASSERT_EQ(request.conviction().offences_size(), 1);
  EXPECT_EQ(request.conviction().offences(0).law(), "06/L-074");
}

// A former code typed for a court abroad's country (YU) was told "such as RS, ME or XK", and XK
// then refused there (a court abroad is not in Kosovo): each hint suggests only codes the
// registry takes for the field, as a citizenship takes XK and a court abroad does not.
TEST(RecordFieldsTest, ACountryCodesHintSuggestsOnlyCodesTheFieldTakes) {
  const RecordField& citizenship = *FindRecordField("citizenship");
  const RecordField& country = *FindRecordField("foreign-country");
  const auto problem_of = [](const RecordField& field, const std::string& typed) {
    v1::CreateRecordRequest request;
    std::vector<FieldProblem> problems;
    ApplyField(field, {typed}, &request, &problems);
    return problems.empty() ? std::string() : problems[0].what;
  };
  struct Case {
    const RecordField* field;
    std::string typed;
    std::string said;
  };
  for (const Case& c : std::vector<Case>{
           {&citizenship, "YU",
            "not a country code in ISO 3166-1 (Yugoslavia's former code: the country today, "
            "such as RS, ME or XK)"},
           {&country, "YU",
            "not a country code in ISO 3166-1 (Yugoslavia's former code: the country today, "
            "such as RS or ME)"},
           {&citizenship, "CS",
            "not a country code in ISO 3166-1 (Serbia and Montenegro's former code: the country "
            "today, RS, ME or XK)"},
           {&country, "CS",
            "not a country code in ISO 3166-1 (Serbia and Montenegro's former code: the country "
            "today, RS or ME)"},
           {&country, "Kosovo", "not a two-letter country code such as AL"},
           {&citizenship, "Kosovo", "not a two-letter country code such as XK"},
           {&citizenship, "XK", ""},
           {&country, "AL", ""},
       }) {
    EXPECT_EQ(problem_of(*c.field, c.typed), c.said) << c.field->flag << " " << c.typed;
  }
  // Every two letters, and what is not two letters: XK is suggested for a court abroad never.
  for (char first = 'A'; first <= 'Z'; ++first) {
    for (char second = 'A'; second <= 'Z'; ++second) {
      const std::string code = {first, second};
      const std::string said = problem_of(country, code);
      if (code == "XK") {
        EXPECT_THAT(said, HasSubstr("XK is Kosovo: a court abroad is given its own country's"));
        continue;
      }
      for (const char* suggests : {"such as XK", ", XK)", "or XK"}) {
        EXPECT_THAT(said, Not(HasSubstr(suggests))) << code << ": " << said;
      }
    }
  }
}

// A code of two capital letters that names no country (UK, YU, ZZ) was taken, and refused by the
// registry after the last question as not "upper case"; `zz` at --interactive's question was
// taken there too. It is refused when typed, saying the code meant where there is one, never
// repeating the value.
TEST(RecordFieldsTest, ACountryCodeThatNamesNoCountryIsRefusedWhenTypedWithTheCodeMeant) {
  const RecordField& citizenship = *FindRecordField("citizenship");
  const RecordField& country = *FindRecordField("foreign-country");
  for (const auto& [typed, said] : std::vector<std::pair<std::string, std::string>>{
           {"UK", "not a country code in ISO 3166-1 (for the United Kingdom, GB)"},
           {"uk", "not a country code in ISO 3166-1 (for the United Kingdom, GB)"},
           {"EU", "not a country code in ISO 3166-1 (the European Union is no country: the "
                  "member state's code, such as DE)"},
           {"ZZ", "not a country code in ISO 3166-1"},
           {"zz", "not a country code in ISO 3166-1"}}) {
    for (const RecordField* field : {&citizenship, &country}) {
      v1::CreateRecordRequest request;
      std::vector<FieldProblem> problems;
      ApplyField(*field, {typed}, &request, &problems);
      ASSERT_EQ(problems.size(), 1u) << typed;
      EXPECT_EQ(problems[0].what, said) << typed;
      EXPECT_EQ(request.person().citizenships_size(), 0) << typed;
      EXPECT_EQ(request.conviction().foreign_country(), "") << typed;
    }
  }
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(citizenship, {"gb", "XK"}, &request, &problems);
  ApplyField(country, {"de"}, &request, &problems);
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_THAT(request.person().citizenships(), ElementsAre("GB", "XK"));
  EXPECT_EQ(request.conviction().foreign_country(), "DE");
}

// A record file's codes were sent as written: "xk" and a court's id in capitals were refused,
// though `record create`'s options take them in any case. One function writes them as the
// registry does, and leaves out a part the file left out.
TEST(RecordFieldsTest, ARecordReadFromAFileHasItsCodesInTheRegistrysCase) {
  v1::CreateRecordRequest request;
  request.mutable_person()->add_citizenships("xk");
  request.mutable_person()->add_citizenships("Al");
  request.mutable_conviction()->set_court_id("BASIC-GJAKOVE");
  request.mutable_conviction()->set_foreign_country("de");
  request.mutable_conviction()->add_offences()->set_law("06/l-074");
  NormaliseRecordCase(&request);
  EXPECT_THAT(request.person().citizenships(), ElementsAre("XK", "AL"));
  EXPECT_EQ(request.conviction().court_id(), "basic-gjakove");
  EXPECT_EQ(request.conviction().foreign_country(), "DE");
  EXPECT_EQ(request.conviction().offences(0).law(), "06/L-074");

  v1::CreateRecordRequest empty;
  NormaliseRecordCase(&empty);
  EXPECT_FALSE(empty.has_person());
  EXPECT_FALSE(empty.has_conviction());
}

// The limit of 100 letters counts letters as the registry does: a name typed decomposed (E +
// U+0308 for Ë, two code points a letter) is as long as composed.
TEST(RecordFieldsTest, ANameOfAHundredDecomposedLettersIsWithinTheLimit) {
  std::string decomposed;
  for (int i = 0; i < 100; ++i) decomposed += "E\xCC\x88";
  EXPECT_EQ(NameProblem(decomposed), "");
  EXPECT_EQ(NameProblem(decomposed + "E\xCC\x88"),
            "1..100 letters, spaces, hyphens or apostrophes");
}

// A hyphen or an apostrophe that joins no two letters was let through before sending, and
// refused by the registry after the last question: said at the question, in its words.
TEST(RecordFieldsTest, AHyphenOrApostropheBesideASpaceOrAnotherIsRefusedAsTheRegistryRefusesIt) {
  for (const char* name : {"Hoxha - Berisha", "Hoxha--Berisha", "D''Amico", "Hoxha -Berisha",
                           "Hoxha-'Berisha", "Hoxha\xe2\x80\x90 Berisha", "D\xe2\x80\x99'Amico"}) {
    EXPECT_EQ(NameProblem(name),
              "holds a hyphen or an apostrophe with a space or another hyphen or apostrophe "
              "beside it: write a double surname as Hoxha-Berisha and a name with an apostrophe "
              "as O'Brien, with a letter on each side and no space")
        << name;
  }
  for (const char* name : {"-Berisha", "Hoxha-", "'Ali", " O' ", "D\xe2\x80\x99"}) {
    EXPECT_EQ(NameProblem(name),
              "begins or ends with a hyphen or an apostrophe: type one only between two letters, "
              "as in Hoxha-Berisha or O'Brien")
        << name;
  }
  for (const char* name : {"-", "' -", " "}) {
    EXPECT_EQ(NameProblem(name), "1..100 letters, spaces, hyphens or apostrophes") << name;
  }
  for (const char* name :
       {"Hoxha-Berisha", "D'Amico", "Hoxha Berisha", " Gashi ", "Ra\xcc\x88-Ka"}) {
    EXPECT_EQ(NameProblem(name), "") << name;
  }
}

// What the registry refuses in a name, said at the question rather than after the last one, in
// the registry's words and without the name.
TEST(RecordFieldsTest, ANamesLookAlikesAndOtherCharactersAreNamedWithoutTheName) {
  EXPECT_EQ(NameProblem("Kërqeli"), "");
  EXPECT_EQ(NameProblem("O'Brien-Đorđević"), "");
  EXPECT_EQ(NameProblem("Петровић"), "");
  EXPECT_EQ(NameProblem(""), "");
  EXPECT_THAT(NameProblem("Krasniqi\xc2\xa0" "Berisha"),
              HasSubstr("holds a look-alike of a space or hyphen"));
  EXPECT_THAT(NameProblem("Krasniqi\xe2\x80\x93" "Berisha"),
              HasSubstr("holds a look-alike of a space or hyphen"));
  EXPECT_THAT(NameProblem("O\xc2\xb4" "Brien"), HasSubstr("look-alike of an apostrophe"));
  EXPECT_THAT(NameProblem("\xc3\x90or\xc4\x91" "e"), HasSubstr("Serbian D with stroke"));
  EXPECT_EQ(NameProblem("Krasniqi2"), "1..100 letters, spaces, hyphens or apostrophes");
  EXPECT_EQ(NameProblem(std::string(101, 'a')), "1..100 letters, spaces, hyphens or apostrophes");
  EXPECT_THAT(NameProblem("K\xebrqeli"), HasSubstr("not valid UTF-8"));
  for (const char* name : {"Krasniqi\xc2\xa0" "Berisha", "Krasniqi2", "K\xebrqeli"}) {
    EXPECT_THAT(NameProblem(name), Not(HasSubstr("Krasniqi"))) << name;
    EXPECT_THAT(NameProblem(name), Not(HasSubstr("qeli"))) << name;
  }
}

// "--set surname=A --set surname=B" kept B: two values of a one-value field are a problem naming
// the field, never the values, and the field stays as it was. A list still takes each value.
// The help says "TYPE:END, with its end date or none for life": "none" was refused as not a date.
TEST(RecordFieldsTest, ABanEndingNoneIsABanForLife) {
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("ban"), {"work_with_children:none", "profession:NONE"}, &request,
             &problems);
  EXPECT_TRUE(problems.empty()) << Described(problems, false).front();
  ASSERT_EQ(request.conviction().bans_size(), 2);
  EXPECT_EQ(request.conviction().bans(0).type(), v1::BAN_TYPE_WORK_WITH_CHILDREN);
  EXPECT_EQ(request.conviction().bans(0).end_date(), "");
  EXPECT_EQ(request.conviction().bans(1).end_date(), "");
}

// A ban typed without its end ("work_with_children", "profession:") was taken for a ban for
// life, silently: a forgotten end is not one. It is refused, saying how to write either.
TEST(RecordFieldsTest, ABanWithoutItsEndIsRefusedSayingHowToWriteAnEndOrForLife) {
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("ban"), {"work_with_children", "Profession:", "profession: "},
             &request, &problems);
  EXPECT_EQ(request.conviction().bans_size(), 0);
  EXPECT_THAT(Described(problems, false),
              ElementsAre("--ban #1: no end date: write work_with_children:YYYY-MM-DD, or "
                          "work_with_children:none for a ban for life",
                          "--ban #2: no end date: write profession:YYYY-MM-DD, or "
                          "profession:none for a ban for life",
                          "--ban #3: no end date: write profession:YYYY-MM-DD, or "
                          "profession:none for a ban for life"));
  // The help says the same: an end date, or none for life.
  EXPECT_EQ(FindRecordField("ban")->value_name, "TYPE:END");
  EXPECT_THAT(FindRecordField("ban")->help, HasSubstr("or none for life"));
}

// Life imprisonment is a sentence of its own, as the registry's word for it, in any case.
TEST(RecordFieldsTest, LifeImprisonmentIsASentenceWord) {
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("sentence"), {"Life_Imprisonment"}, &request, &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(request.conviction().sentence().type(), v1::SENTENCE_TYPE_LIFE_IMPRISONMENT);
  EXPECT_EQ(SentenceTypeWord(v1::SENTENCE_TYPE_LIFE_IMPRISONMENT), "life_imprisonment");
  EXPECT_THAT(FindRecordField("sentence")->help, HasSubstr("life_imprisonment"));
  ApplyField(*FindRecordField("sentence"), {"life"}, &request, &problems);
  EXPECT_THAT(Described(problems, false),
              ElementsAre("--sentence: not imprisonment, life_imprisonment, suspended, fine, "
                          "juvenile_measure or other"));
  // It has no months: none is asked for, as for a fine.
  EXPECT_EQ(RequiredBecause(*FindRecordField("months"), request, nullptr), "");
}

TEST(RecordFieldsTest, AOneValueFieldGivenTwiceIsAProblemNotTheLastValue) {
  v1::CreateRecordRequest request;
  request.mutable_person()->set_surname("Hoxha");
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("surname"), {"Kërqeli", "Krasniqi"}, &request, &problems);
  ApplyField(*FindRecordField("juvenile"), {"true", "false", "true"}, &request, &problems);
  ApplyField(*FindRecordField("alias"), {"Beni", "Arbeni"}, &request, &problems);
  EXPECT_EQ(request.person().surname(), "Hoxha");
  EXPECT_THAT(request.person().aliases(), ElementsAre("Beni", "Arbeni"));
  EXPECT_THAT(Described(problems, false),
              ElementsAre("--surname: given 2 times, but it takes one value",
                          "--juvenile: given 3 times, but it takes one value"));
}

TEST(RecordFieldsTest, MissingFieldsAndChoicesOutsideTheTablesAreAllNamed) {
  RecordChoices choices;
  v1::CourtEntry& court = choices.courts.emplace_back();
  court.set_id("basic-prizren");
  v1::CourtEntry& abroad = choices.courts.emplace_back();
  abroad.set_id("foreign");
  abroad.set_foreign(true);
  v1::OffenceEntry& article = choices.offences.emplace_back();
  article.set_law("06/L-074");
  article.set_article(229);
  v1::CreateRecordRequest request;
  request.mutable_conviction()->set_court_id("foreign");
  request.mutable_conviction()->mutable_sentence()->set_type(v1::SENTENCE_TYPE_SUSPENDED);
  v1::Offence* known = request.mutable_conviction()->add_offences();
  known->set_law("06/L-074");
  known->set_article(229);
  known->set_paragraph(2);  // the whole article's entry covers it
  v1::Offence* unknown = request.mutable_conviction()->add_offences();
  unknown->set_law("06/L-074");
  unknown->set_article(999);
  std::vector<FieldProblem> problems;
  AppendRecordProblems(request, &choices, &problems);
  EXPECT_THAT(
      Described(problems, true),
      ElementsAre("person.surname is required", "person.given_name is required",
                  "person.sex is required", "person.birth_date is required",
                  "person.personal_number is required", "conviction.case_number is required",
                  "conviction.judgment_date is required", "conviction.final_date is required",
                  "conviction.sentence.months: required for imprisonment or a "
                  "suspended sentence",
                  "conviction.foreign_court: required for a court abroad",
                  "conviction.foreign_country: required for a court abroad",
                  "conviction.offences[1]: not in the offence table; choose one of: "
                  "06/L-074:229:0"));
}

// `--offence 06/L-074:234:0` (or 06/L-074:234, whose paragraph left out is the whole article) was
// refused with the whole table of 22 entries, never saying that article 234 is in it by its
// paragraphs alone: the refusal names them, in the registry's words (server/record_validation.cc)
// and by the flag or the file's path. An article the table does not hold keeps the whole list.
TEST(RecordFieldsTest, AnArticleTheTableListsByParagraphsAloneIsRefusedWithItsParagraphs) {
  RecordChoices choices;
  for (const auto& [article, paragraph] :
       std::vector<std::pair<uint32_t, uint32_t>>{{229, 0}, {234, 1}, {234, 3}}) {
    v1::OffenceEntry& entry = choices.offences.emplace_back();
    entry.set_law("06/L-074");
    entry.set_article(article);
    entry.set_paragraph(paragraph);
  }
  for (const bool numbered : {false, true}) {
    v1::CreateRecordRequest request;
    std::vector<FieldProblem> problems;
    std::vector<std::string> typed = {"06/L-074:234:0"};
    if (numbered) typed = {"06/L-074:234:3", "06/L-074:234", "06/L-074:999:1"};
    ApplyField(*FindRecordField("offence"), typed, &request, &problems);
    ASSERT_THAT(problems, IsEmpty());
    AppendTableProblems(request, choices, &problems);
    constexpr absl::string_view kParagraphs =
        "06/L-074 article 234 is recorded by its paragraph: give one of 06/L-074:234:1, "
        "06/L-074:234:3";
    if (!numbered) {
      EXPECT_THAT(Described(problems, false),
                  ElementsAre(absl::StrCat("--offence: ", kParagraphs)));
      EXPECT_THAT(Described(problems, true),
                  ElementsAre(absl::StrCat("conviction.offences: ", kParagraphs)));
      continue;
    }
    EXPECT_THAT(Described(problems, false),
                ElementsAre(absl::StrCat("--offence #2: ", kParagraphs),
                            "--offence #3: not in the offence table; choose one of: "
                            "06/L-074:229:0, 06/L-074:234:1, 06/L-074:234:3"));
  }
  // A CSV import's row, which the registry checks, is told the same words of its cell: before,
  // "offences: item 1: not in the offence table" alone.
  EXPECT_EQ(RecordMessageWithColumns(
                "conviction.offences[0]: 06/L-074 article 234 is recorded by its paragraph: give "
                "one of 06/L-074:234:1, 06/L-074:234:3; conviction.sentence.months: 1..24 for a "
                "suspended sentence"),
            "offences: item 1: 06/L-074 article 234 is recorded by its paragraph: give one of "
            "06/L-074:234:1, 06/L-074:234:3; sentence_months: 1..24 for a suspended sentence");
}

// A record read from a file holds what was written there: its dates were checked only by the
// registry, so a file missing a field was refused for that alone, and its bad dates named only on
// the next try. Each bad value is named with the missing fields, by its path, never repeated.
TEST(RecordFieldsTest, AFilesBadValuesAreNamedByTheirPathWithItsMissingFields) {
  v1::CreateRecordRequest request;
  v1::Person& person = *request.mutable_person();
  person.set_surname("Kërqeli");
  person.set_sex(v1::SEX_MALE);
  person.set_birth_date("31.12.1990");
  person.add_citizenships("XK");
  person.add_citizenships("Kosova");
  person.set_personal_number("12345 67890");
  v1::Conviction& conviction = *request.mutable_conviction();
  conviction.set_court_id("basic-prishtine");
  conviction.set_case_number("P 123/2024");
  conviction.set_judgment_date("2024-03-01");
  conviction.set_final_date("2024-02-30");
  v1::Offence* offence = conviction.add_offences();
  offence->set_law("06/L-074");
  offence->set_article(230);
  offence = conviction.add_offences();
  offence->set_law("06/L-074");
  offence->set_article(1000);
  conviction.mutable_sentence()->set_type(v1::SENTENCE_TYPE_IMPRISONMENT);
  conviction.mutable_sentence()->set_months(601);
  conviction.add_bans()->set_end_date("2034-05-15");
  conviction.add_bans()->set_end_date("15.05.2034");
  conviction.set_release_date("1899-12-31");
  std::vector<FieldProblem> problems;
  AppendRecordProblems(request, nullptr, &problems);
  const std::vector<std::string> described = Described(problems, true);
  EXPECT_THAT(described,
              ElementsAre("person.given_name is required",
                          "person.birth_date: not a date YYYY-MM-DD",
                          "person.citizenships[1]: not a two-letter country code such as XK",
                          "person.personal_number: holds a space: a personal number is written "
                          "without spaces",
                          "conviction.final_date: not a real date",
                          "conviction.offences[1]: article must be 1..999 and paragraph 0..99",
                          "conviction.sentence.months: over the 600 months the registry "
                          "takes (50 years)",
                          "conviction.bans[1]: end date: not a date YYYY-MM-DD",
                          "conviction.release_date: a date before 1900-01-01, the earliest the "
                          "registry takes"));
  for (const std::string& problem : described) {
    testing::ExpectRepeatsNone(problem,
                               {"31.12.1990", "Kosova", "12345", "2024-02-30", "1000", "601",
                                "15.05.2034", "1899-12-31"});
  }
  // An offence whose article is out of range is not named again as outside the tables.
  RecordChoices choices;
  choices.courts.emplace_back().set_id("basic-prishtine");
  v1::OffenceEntry& entry = choices.offences.emplace_back();
  entry.set_law("06/L-074");
  entry.set_article(230);
  std::vector<FieldProblem> with_tables;
  AppendRecordProblems(request, &choices, &with_tables);
  EXPECT_EQ(Described(with_tables, true), described);
}

// The question for the months said "0..600" and the help "1..600": the registry takes a length
// of 1..600 months, and no length at all (not 0) for other sentences.
TEST(RecordFieldsTest, NoMonthsIsNoValueAndZeroIsNotALength) {
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("months"), {"0"}, &request, &problems);
  EXPECT_THAT(Described(problems, false),
              ElementsAre("--months: 0 is no length: 1..600 months for imprisonment or a "
                          "suspended sentence; leave the months empty for life imprisonment and "
                          "the other sentences"));
  problems.clear();
  ApplyField(*FindRecordField("months"), {"600"}, &request, &problems);
  ApplyField(*FindRecordField("months"), {""}, &request, &problems);
  EXPECT_THAT(problems, IsEmpty());
  EXPECT_EQ(request.conviction().sentence().months(), 0u);
}

// Born 2005-01-01 (typed for 1985), judged 2022-01-10: `record create` named `--juvenile` alone,
// and the clerk set it, recording an adult as a juvenile. The dates that make it required are
// named first, in the registry's words, either being possibly the wrong one.
TEST(RecordFieldsTest, ADateMakingThePersonUnder18NamesBothDatesBeforeJuvenile) {
  v1::CreateRecordRequest request;
  v1::Person& p = *request.mutable_person();
  p.set_surname("Krasniqi");
  p.set_given_name("Driton");
  p.set_sex(v1::SEX_MALE);
  p.set_birth_date("2005-01-01");
  p.set_personal_number("1000000123");
  v1::Conviction& c = *request.mutable_conviction();
  c.set_court_id("basic-prizren");
  c.set_case_number("P 88/2022");
  c.set_judgment_date("2022-01-10");
  c.set_final_date("2022-02-10");
  c.add_offences()->set_law("06/L-074");
  c.mutable_offences(0)->set_article(229);
  c.mutable_sentence()->set_type(v1::SENTENCE_TYPE_IMPRISONMENT);
  c.mutable_sentence()->set_months(18);
  std::vector<FieldProblem> problems;
  AppendRecordProblems(request, nullptr, &problems);
  EXPECT_THAT(Described(problems, false),
              ElementsAre("--birth-date: makes the person under 18 on the judgment date: check "
                          "the date of birth before marking the conviction juvenile",
                          "--judgment-date: is before the person's 18th birthday: check the "
                          "judgment date before marking the conviction juvenile",
                          "--juvenile: required when the person was under 18 on the judgment "
                          "date"));
  p.set_birth_date("1985-01-01");
  problems.clear();
  AppendRecordProblems(request, nullptr, &problems);
  EXPECT_THAT(problems, IsEmpty());
}

// `--months 601` was told "not a whole number of months, 1..600", which read as a doubt about
// the digits typed: a whole number over the limit is said to be over the 600 months the registry
// takes, in a record file too; what is no whole number is still asked to be one.
TEST(RecordFieldsTest, MonthsOverTheLimitAreSaidToBeOverTheSixHundredTheRegistryTakes) {
  constexpr absl::string_view kOver = "--months: over the 600 months the registry takes (50 years)";
  constexpr absl::string_view kWhole = "--months: not a whole number of months, 1..600";
  constexpr absl::string_view kZero =
      "--months: 0 is no length: 1..600 months for imprisonment or a suspended sentence; leave "
      "the months empty for life imprisonment and the other sentences";
  for (const auto& [typed, said] : std::vector<std::pair<std::string, absl::string_view>>{
           {"601", kOver}, {"99999999999999", kOver}, {"0", kZero}, {"-5", kWhole},
           {"1.5", kWhole}, {"twelve", kWhole}}) {
    v1::CreateRecordRequest request;
    std::vector<FieldProblem> problems;
    ApplyField(*FindRecordField("months"), {typed}, &request, &problems);
    EXPECT_THAT(Described(problems, false), ElementsAre(std::string(said))) << typed;
  }
  v1::CreateRecordRequest file;
  file.mutable_conviction()->mutable_sentence()->set_type(v1::SENTENCE_TYPE_IMPRISONMENT);
  file.mutable_conviction()->mutable_sentence()->set_months(601);
  std::vector<FieldProblem> problems;
  AppendRecordProblems(file, nullptr, &problems);
  EXPECT_THAT(Described(problems, true),
              Contains("conviction.sentence.months: over the 600 months the registry takes (50 "
                       "years)"));
}

TEST(RecordFieldsTest, NoProblemRepeatsTheValueTyped) {
  RecordChoices choices;
  choices.courts.emplace_back().set_id("basic-prizren");
  v1::OffenceEntry& article = choices.offences.emplace_back();
  article.set_law("06/L-074");
  article.set_article(229);
  const std::vector<std::pair<std::string, std::vector<std::string>>> typed = {
      {"sex", {"Xyzzy"}},
      {"birth-date", {"1987-02-30"}},
      {"judgment-date", {"30.02.2019"}},
      {"citizenship", {"Kosovë"}},
      {"court", {"basic-qyteti-im"}},
      {"offence", {"06/L-074:777:0"}},
      {"sentence", {"burgim-i-gjatë"}},
      {"months", {"3 vjet"}},
      {"ban", {"ndalim-punësimi:2030-01-01"}},
      {"juvenile", {"ndoshta"}},
  };
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  for (const auto& [flag, values] : typed) {
    ApplyField(*FindRecordField(flag), values, &request, &problems);
  }
  AppendRecordProblems(request, &choices, &problems);
  std::vector<std::string> described = Described(problems, false);
  const std::vector<std::string> by_path = Described(problems, true);
  described.insert(described.end(), by_path.begin(), by_path.end());
  for (const auto& [flag, values] : typed) {
    // Each bad value is reported, by its option, without the value (a court or an offence
    // outside the tables among them).
    EXPECT_THAT(described, ::testing::Contains(HasSubstr("--" + flag + ":"))) << flag;
    // The parts of each value too: "777", "ndalim-punësimi".
    std::vector<std::string> parts;
    for (const std::string& part : {values[0], values[0].substr(0, values[0].find(':')),
                                    values[0].substr(values[0].rfind(':') + 1)}) {
      if (part.size() < 3 || part == "06/L-074" || part == "0") continue;
      parts.push_back(part);
    }
    SCOPED_TRACE(flag);
    for (const std::string& problem : described) testing::ExpectRepeatsNone(problem, parts);
  }
}

TEST(RecordFieldsTest, ServerMessagesNameTheOption) {
  EXPECT_EQ(RecordMessageWithFlags("person.birth_date: must be before today"),
            "--birth-date: must be before today");
  EXPECT_EQ(RecordMessageWithFlags("conviction.offences[1]: not in the offence table"),
            "--offence #2: not in the offence table");
  EXPECT_EQ(RecordMessageWithFlags("role clerk may not call this method"),
            "role clerk may not call this method");
  EXPECT_THAT(Described({}, false), IsEmpty());
}

// The registry says a ban's end may be "empty (for life)", as a request holds a ban for life;
// typed (an option, an answer, a CSV cell), a ban for life is TYPE:none and an end left empty is
// refused: the rule is said in those words. A record file, whose ban for life is an empty
// end_date, keeps the registry's.
TEST(RecordFieldsTest, TheRegistrysRuleOfABansEndIsSaidAsABanForLifeIsTyped) {
  constexpr absl::string_view kServer =
      "conviction.bans[0].end_date: empty (for life) or a date YYYY-MM-DD on or after the date "
      "the judgment became final, within 100 years of it";
  constexpr absl::string_view kTyped =
      "a date YYYY-MM-DD on or after the date the judgment became final, within 100 years of "
      "it; or none for a ban for life (TYPE:none, e.g. profession:none)";
  EXPECT_EQ(RecordMessageWithFlags(kServer), absl::StrCat("--ban #1: ", kTyped));
  EXPECT_EQ(RecordMessageWithQuestions(kServer),
            absl::StrCat("Ban #1 (conviction.bans[0]): ", kTyped));
  EXPECT_EQ(RecordMessageWithColumns(kServer), absl::StrCat("bans: item 1: ", kTyped));
  const std::optional<FieldProblem> problem = ProblemOfRegistryMessage(kServer);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(DescribeProblem(*problem, false), absl::StrCat("--ban #1: ", kTyped));
  EXPECT_THAT(DescribeProblem(*problem, true),
              HasSubstr("conviction.bans[0]: empty (for life) or a date"));
  // Another field's rule, or a ban's other rule, as the registry says it.
  EXPECT_EQ(RecordMessageWithFlags("conviction.release_date: empty (for life) or a date"),
            "--release-date: empty (for life) or a date");
  EXPECT_EQ(RecordMessageWithFlags("conviction.bans[1].type: required"),
            "--ban #2: required");
}

// An article recorded by its paragraphs, of a code not yet in force on the judgment date: the
// client's check said the paragraphs alone, and the registry's check of the same record, which
// says the code with them, was left out for the field named already. The registry's other
// problems of an item the client said only what the registry says of are said with it, in the
// registry's order; a field whose value the client could not read keeps its own problem alone.
TEST(RecordFieldsTest, TheRegistrysProblemsOfAnOffenceTheClientNamedInItsWordsAreSaidWithIt) {
  const RecordField* offence = FindRecordField("offence");
  const RecordField* judgment = FindRecordField("judgment-date");
  const std::string paragraphs =
      "06/L-074 article 234 is recorded by its paragraph: give one of 06/L-074:234:1, "
      "06/L-074:234:2";
  const std::string in_force =
      "code 06/L-074 took effect on 2019-04-14, after the judgment date: check the judgment "
      "date, or record the article of the code the court applied";
  std::vector<FieldProblem> registry;
  for (const std::string& part :
       {std::string("conviction.judgment_date: is before 2019-04-14, the day code 06/L-074 of an "
                    "offence took effect: check the judgment date, and the offence's code"),
        absl::StrCat("conviction.offences[0]: ", in_force),
        absl::StrCat("conviction.offences[0]: ", paragraphs)}) {
    registry.push_back(*ProblemOfRegistryMessage(part));
  }
  std::vector<FieldProblem> problems = {{offence, paragraphs, -1}};
  MergeRegistryProblems(registry, &problems);
  EXPECT_THAT(Described(problems, false),
              ElementsAre(absl::StrCat("--offence: ", in_force),
                          absl::StrCat("--offence: ", paragraphs),
                          HasSubstr("--judgment-date: is before 2019-04-14")));

  // An offence the client could not read is not in what the registry checked.
  problems = {{offence, "not LAW:ARTICLE:PARAGRAPH, e.g. 06/L-074:230:1", -1}};
  MergeRegistryProblems(registry, &problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, offence);
  EXPECT_EQ(problems[1].field, judgment);
}

// A CSV import's rows are refused naming their columns, as the file's header names them, the
// server's problems as the client's own.
TEST(RecordFieldsTest, ServerMessagesOfACsvRowNameTheColumn) {
  EXPECT_EQ(RecordMessageWithColumns(
                "person.personal_number: does not match the personal number format (10 digits); "
                "conviction.sentence.months: 1..24 for a suspended sentence; "
                "conviction.offences[1]: not in the offence table; "
                "conviction.bans[0].end_date: empty (for life) or a date; person.surname is required"),
            "personal_number: does not match the personal number format (10 digits); "
            "sentence_months: 1..24 for a suspended sentence; "
            "offences: item 2: not in the offence table; "
            "bans: item 1: a date; or none for a ban for life (TYPE:none, e.g. profession:none); "
            "surname is required");
  EXPECT_EQ(RecordMessageWithColumns("a record with this court, case number and personal number "
                                     "exists"),
            "a record with this court, case number and personal number exists");
}

// A clerk who answered questions typed no option: a field is named by its question, and by its
// path in the file the answers are kept in.
TEST(RecordFieldsTest, ServerMessagesOfAnInteractiveRecordNameTheQuestionAndThePath) {
  EXPECT_EQ(RecordMessageWithQuestions(
                "conviction.final_date: must be on or after judgment_date and not in the future"),
            "Date it became final (conviction.final_date): must be on or after judgment_date "
            "and not in the future");
  EXPECT_EQ(RecordMessageWithQuestions("conviction.offences[1]: not in the offence table"),
            "Offence #2 (conviction.offences[1]): not in the offence table");
  EXPECT_EQ(RecordMessageWithQuestions("person.surname is required"),
            "Surname (person.surname) is required");
  EXPECT_EQ(RecordMessageWithQuestions("role clerk may not call this method"),
            "role clerk may not call this method");
}

// The interactive create offered Enter for the length of a prison term and a court abroad's name
// and country, which the registry then refused as required after the last question: a field
// the rest of the record makes required says so, in the registry's terms, until it is given.
TEST(RecordFieldsTest, AFieldTheRestOfTheRecordMakesRequiredSaysWhy) {
  const RecordField& months = *FindRecordField("months");
  const RecordField& foreign_court = *FindRecordField("foreign-court");
  const RecordField& foreign_country = *FindRecordField("foreign-country");
  const RecordField& juvenile = *FindRecordField("juvenile");
  RecordChoices choices;
  choices.courts.emplace_back().set_id("basic-prizren");
  v1::CourtEntry& abroad = choices.courts.emplace_back();
  abroad.set_id("abroad");
  abroad.set_foreign(true);

  v1::CreateRecordRequest request;
  for (const RecordField* field : {&months, &foreign_court, &foreign_country, &juvenile}) {
    EXPECT_EQ(RequiredBecause(*field, request, &choices), "") << field->flag;
  }
  for (const v1::SentenceType type :
       {v1::SENTENCE_TYPE_IMPRISONMENT, v1::SENTENCE_TYPE_SUSPENDED}) {
    request.mutable_conviction()->mutable_sentence()->set_type(type);
    EXPECT_EQ(RequiredBecause(months, request, &choices),
              "required for imprisonment or a suspended sentence");
  }
  request.mutable_conviction()->mutable_sentence()->set_months(18);
  EXPECT_EQ(RequiredBecause(months, request, &choices), "");
  request.mutable_conviction()->mutable_sentence()->set_type(v1::SENTENCE_TYPE_FINE);
  request.mutable_conviction()->mutable_sentence()->set_months(0);
  EXPECT_EQ(RequiredBecause(months, request, &choices), "");

  // The court the tables mark foreign, whatever its id; without the tables, "foreign".
  request.mutable_conviction()->set_court_id("abroad");
  EXPECT_EQ(RequiredBecause(foreign_court, request, &choices), "required for a court abroad");
  EXPECT_EQ(RequiredBecause(foreign_country, request, &choices), "required for a court abroad");
  EXPECT_EQ(RequiredBecause(foreign_court, request, nullptr), "");
  request.mutable_conviction()->set_court_id("foreign");
  EXPECT_EQ(RequiredBecause(foreign_country, request, nullptr), "required for a court abroad");
  request.mutable_conviction()->set_foreign_country("DE");
  EXPECT_EQ(RequiredBecause(foreign_country, request, nullptr), "");
  request.mutable_conviction()->set_court_id("basic-prizren");
  EXPECT_EQ(RequiredBecause(foreign_court, request, &choices), "");

  // Under 18 on the judgment day (the day before the 18th birthday), as the registry counts it.
  request.mutable_person()->set_birth_date("2007-06-15");
  request.mutable_conviction()->set_judgment_date("2025-06-14");
  EXPECT_EQ(RequiredBecause(juvenile, request, &choices),
            "required when the person was under 18 on the judgment date");
  std::vector<FieldProblem> problems;
  AppendRecordProblems(request, &choices, &problems);
  // The dates that make it required are named before it: either may be the wrong one.
  EXPECT_THAT(Described(problems, false),
              ::testing::IsSupersetOf(
                  {"--birth-date: makes the person under 18 on the judgment date: check the date "
                   "of birth before marking the conviction juvenile",
                   "--judgment-date: is before the person's 18th birthday: check the judgment "
                   "date before marking the conviction juvenile",
                   "--juvenile: required when the person was under 18 on the judgment date"}));
  request.mutable_conviction()->set_juvenile(true);
  EXPECT_EQ(RequiredBecause(juvenile, request, &choices), "");
  request.mutable_conviction()->set_juvenile(false);
  request.mutable_conviction()->set_judgment_date("2025-06-15");
  EXPECT_EQ(RequiredBecause(juvenile, request, &choices), "");
}

// A country typed but refused ("uk", no code of ISO 3166-1) is said once, as that: it was also
// said to be "required for a court abroad", which was not true of a value given.
TEST(RecordFieldsTest, ACountryGivenButRefusedIsNotAlsoSaidToBeRequired) {
  RecordChoices choices;
  v1::CourtEntry& abroad = choices.courts.emplace_back();
  abroad.set_id("foreign");
  abroad.set_foreign(true);
  v1::CreateRecordRequest request;
  request.mutable_conviction()->set_court_id("foreign");
  request.mutable_conviction()->set_foreign_court("Landgericht M\u00fcnchen I");
  const RecordField& country = *FindRecordField("foreign-country");
  std::vector<FieldProblem> problems = {
      {&country, "not a country code in ISO 3166-1 (for the United Kingdom, GB)"}};
  AppendRecordProblems(request, &choices, &problems);
  const std::vector<std::string> described = Described(problems, false);
  EXPECT_THAT(described, ::testing::Contains("--foreign-country: not a country code in ISO "
                                             "3166-1 (for the United Kingdom, GB)"));
  EXPECT_THAT(described, ::testing::Not(::testing::Contains(
                             "--foreign-country: required for a court abroad")));
  // Left out, it is required.
  std::vector<FieldProblem> left_out;
  AppendRecordProblems(request, &choices, &left_out);
  EXPECT_THAT(Described(left_out, false),
              ::testing::Contains("--foreign-country: required for a court abroad"));
}

TEST(RecordFieldsTest, ARegistrysMessageIsTheProblemOfTheFieldItNames) {
  const std::optional<FieldProblem> final_date = ProblemOfRegistryMessage(
      "conviction.final_date: must be on or after judgment_date and not in the future");
  ASSERT_TRUE(final_date.has_value());
  EXPECT_EQ(DescribeProblem(*final_date, false),
            "--final-date: must be on or after judgment_date and not in the future");
  const std::optional<FieldProblem> offence =
      ProblemOfRegistryMessage("conviction.offences[1]: not in the offence table");
  ASSERT_TRUE(offence.has_value());
  EXPECT_EQ(DescribeProblem(*offence, false), "--offence #2: not in the offence table");
  for (const char* missing : {"person.surname is required", "conviction.sentence.type: required"}) {
    const std::optional<FieldProblem> problem = ProblemOfRegistryMessage(missing);
    ASSERT_TRUE(problem.has_value()) << missing;
    EXPECT_EQ(problem->what, "required") << missing;
  }
  EXPECT_FALSE(ProblemOfRegistryMessage("conviction: the same conviction as another row"));
  EXPECT_FALSE(ProblemOfRegistryMessage("no field named"));
}

// A zero-width space, a soft hyphen or a byte order mark in a name make it look like the name
// without it: the question, the options and the file say which character, never the name.
TEST(RecordFieldsTest, ANameHoldingAnInvisibleCharacterIsSaidToHoldOne) {
  for (const auto& [name, code] : std::vector<std::pair<std::string, std::string>>{
           {"Arben\xe2\x80\x8b", "U+200B"},
           {"Ar\xc2\xad" "ben", "U+00AD"},
           {"\xef\xbb\xbf" "Arben", "U+FEFF"},
           {"Arben\xe2\x81\xa0", "U+2060"},
           {"Arben\xe2\x80\xae", "U+202E"},
           {"A\xe2\x81\xa6" "rben", "U+2066"}}) {
    const std::string problem = NameProblem(name);
    EXPECT_THAT(problem, HasSubstr(absl::StrCat("holds an invisible character (", code, ")")))
        << code;
    EXPECT_THAT(problem, Not(HasSubstr("Arben"))) << code;
  }
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("given-name"), {"Arben\xe2\x80\x8b"}, &request, &problems);
  EXPECT_THAT(Described(problems, false),
              ElementsAre(HasSubstr("--given-name: holds an invisible character (U+200B)")));
  // A record file holds what was written there, unchecked.
  request.mutable_person()->add_aliases("Beni\xc2\xad");
  problems.clear();
  AppendRecordProblems(request, nullptr, &problems);
  EXPECT_THAT(Described(problems, false),
              ::testing::Contains(HasSubstr("--alias #1: holds an invisible character (U+00AD)")));
}

// An invisible character in a text that is no name (a place, an address, a foreign court) was
// sent, and the registry's "no control characters" told of it sent the clerk looking for one
// they could not see. It is named as in a name, by the field and the code point, never the text.
TEST(RecordFieldsTest, AFreeTextHoldingAnInvisibleCharacterIsSaidToHoldOne) {
  constexpr absl::string_view kWords =
      "holds an invisible character (U+200B), as text copied from a web page or a document may: "
      "type the text again without it";
  EXPECT_EQ(TextInvisibleCharacterProblem("Rr. Nën\xe2\x80\x8b" "ë Terezë 5"), kWords);
  EXPECT_EQ(TextInvisibleCharacterProblem("Rr. Nënë Terezë 5"), "");
  for (const auto& [flag, code, value] : std::vector<std::array<std::string, 3>>{
           {"address", "U+200B", "Rr. Nënë\xe2\x80\x8b Terezë 5"},
           {"birth-place", "U+202E", "Prishtin\xe2\x80\xae" "ë"},
           {"birth-place", "U+00AD", "Pri\xc2\xad" "shtinë"},
           {"foreign-court", "U+FEFF", "\xef\xbb\xbf" "Amtsgericht Bern"},
           {"case-number", "U+2066", "P 123/2024\xe2\x81\xa6"}}) {
    SCOPED_TRACE(flag);
    v1::CreateRecordRequest request;
    std::vector<FieldProblem> problems;
    ApplyField(*FindRecordField(flag), {value}, &request, &problems);
    const std::string expected =
        absl::StrCat("--", flag, ": holds an invisible character (", code,
                     "), as text copied from a web page or a document may: type the text again "
                     "without it");
    EXPECT_THAT(Described(problems, false), ElementsAre(expected));
    // A record file holds what was written there, unchecked: said by the field's path.
    const RecordField& field = *FindRecordField(flag);
    problems.clear();
    v1::CreateRecordRequest file;
    file.mutable_person()->set_birth_place(flag == "birth-place" ? value : "");
    file.mutable_person()->set_last_known_address(flag == "address" ? value : "");
    file.mutable_conviction()->set_foreign_court(flag == "foreign-court" ? value : "");
    file.mutable_conviction()->set_case_number(flag == "case-number" ? value : "P 1/2024");
    AppendRecordProblems(file, nullptr, &problems);
    EXPECT_THAT(Described(problems, true),
                ::testing::Contains(absl::StrCat(field.path, ": holds an invisible character (",
                                                 code, "), as text copied from a web page or "
                                                 "a document may: type the text again without "
                                                 "it")));
    for (const std::string& said : Described(problems, true)) {
      EXPECT_THAT(said, Not(HasSubstr("Prishtin"))) << said;
      EXPECT_THAT(said, Not(HasSubstr("Bern"))) << said;
      EXPECT_THAT(said, Not(HasSubstr("Ter"))) << said;
    }
  }
}

// "--set address=<not UTF-8>" said "--set:": the field is named, as every other --set problem.
TEST(RecordFieldsTest, AValueThatIsNotUtf8IsNamedByItsField) {
  v1::CreateRecordRequest request;
  std::vector<FieldProblem> problems;
  ApplyField(*FindRecordField("address"), {"Rr. \xff 5"}, &request, &problems);
  EXPECT_THAT(Described(problems, false),
              ElementsAre("--address: not valid UTF-8 (is the terminal set to another "
                          "encoding?)"));
}

}  // namespace
}  // namespace registry::client
