#include "server/record_validation.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <regex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/country_codes.h"
#include "common/reference_text.h"
#include "gtest/gtest.h"
#include "server/reference_data.h"
#include "unicode/uloc.h"

namespace registry::server {
namespace {

using registry::v1::Conviction;
using registry::v1::Person;

// "Today" in every test: 1 June 2025, late in the day in Kosovo (23:30, summer time).
absl::Time Now() {
  return absl::FromCivil(absl::CivilSecond(2025, 6, 1, 21, 30, 0), absl::UTCTimeZone());
}

// The fictional example record (deploy/examples/record.json's values).
void MakeValidRecord(Person* p, Conviction* c) {
  p->set_surname("Kërqeli");
  p->set_given_name("Arben");
  p->set_sex(registry::v1::SEX_MALE);
  p->set_birth_date("1980-04-12");
  p->set_personal_number("1234567890");
  p->add_citizenships("XK");
  c->set_court_id("basic-prishtine");
  c->set_case_number("P 123/2024");
  c->set_judgment_date("2024-03-01");
  c->set_final_date("2024-05-15");
  registry::v1::Offence* o = c->add_offences();
  o->set_law("06/L-074");
  o->set_article(230);
  o->set_paragraph(1);
  c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_IMPRISONMENT);
  c->mutable_sentence()->set_months(36);
  registry::v1::AccessoryBan* ban = c->add_bans();
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date("2034-05-15");
  c->set_release_date("2025-03-01");
  c->set_juvenile(false);
}

std::string Repeat(absl::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, s);
  return out;
}

class ValidationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ReferenceData>> data =
        ReferenceData::Load(REGISTRY_SOURCE_DIR "/deploy/reference");
    ASSERT_TRUE(data.ok()) << data.status();
    reference_ = data->release();
  }
  static void TearDownTestSuite() {
    delete reference_;
    reference_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(reference_, nullptr);
    absl::StatusOr<std::unique_ptr<RecordValidator>> v =
        RecordValidator::Create(reference_, ValidationOptions(), &clock_);
    ASSERT_TRUE(v.ok()) << v.status();
    validator_ = std::move(v).value();
    MakeValidRecord(&person_, &conviction_);
  }

  absl::Status Validate() const { return validator_->ValidateRecord(person_, conviction_); }

  static ReferenceData* reference_;
  FakeClock clock_{Now()};
  std::unique_ptr<RecordValidator> validator_;
  Person person_;
  Conviction conviction_;
};

ReferenceData* ValidationTest::reference_ = nullptr;

// Expects InvalidArgument "<field>: <rule>" that does not repeat `bad_value`.
void ExpectInvalid(const absl::Status& status, absl::string_view field,
                   absl::string_view bad_value) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StartsWith(status.message(), absl::StrCat(field, ": "))) << status;
  if (!bad_value.empty()) {
    EXPECT_FALSE(absl::StrContains(status.message(), bad_value)) << status;
  }
}

// --- The valid record and edge values that must pass ----------------------------------------

TEST_F(ValidationTest, ExampleRecordIsValid) { EXPECT_TRUE(Validate().ok()) << Validate(); }

TEST_F(ValidationTest, OptionalFieldsMayBeEmpty) {
  conviction_.clear_bans();
  conviction_.clear_release_date();
  person_.clear_citizenships();
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, SuspendedSentenceMayRecordTheEndOfItsVerificationPeriod) {
  conviction_.clear_release_date();
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
  conviction_.mutable_sentence()->set_months(24);
  EXPECT_TRUE(Validate().ok()) << Validate();  // not recorded: final_date + 24 months counts
  conviction_.set_suspension_end_date("2027-05-15");
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// A suspended sentence is a term of up to two years, with a verification period of one to five
// years after it: 36 months there is the verification period typed as the term (the record was
// then dated from final_date + 36 months, whatever the period's real end). Refused, saying where
// the period goes; imprisonment keeps its 600.
TEST_F(ValidationTest, ASuspendedSentenceIsAtMostTwoYears) {
  conviction_.clear_release_date();
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
  conviction_.mutable_sentence()->set_months(24);
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.mutable_sentence()->set_months(25);
  const absl::Status too_long = Validate();
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(
      too_long.message(),
      "conviction.sentence.months: 1..24 for a suspended sentence (the term of imprisonment, at "
      "most two years); the end of its verification period is a date of its own"))
      << too_long;
}

// The verification period of a suspended sentence is one to five years, counted from the day the
// judgment became final (Criminal Codes 04/L-082 and 06/L-074): an end outside that is a slip
// (the judgment's own date, the term's end), and the retention rules would count from it.
constexpr absl::string_view kSuspensionEndRule =
    "conviction.suspension_end_date: a date YYYY-MM-DD one to five years after the date the "
    "judgment became final";

void MakeSuspended(Conviction* c) {
  c->clear_release_date();
  c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
  c->mutable_sentence()->set_months(24);
}

TEST_F(ValidationTest, ASuspensionEndLessThanOneYearAfterFinalDateIsRefusedNamingTheField) {
  MakeSuspended(&conviction_);  // final_date 2024-05-15
  for (const char* end : {"2024-05-15", "2024-11-15", "2025-05-14"}) {
    SCOPED_TRACE(end);
    conviction_.set_suspension_end_date(end);
    const absl::Status status = Validate();
    ExpectInvalid(status, "conviction.suspension_end_date", end);
    EXPECT_EQ(status.message(), kSuspensionEndRule);
  }
}

TEST_F(ValidationTest, ASuspensionEndMoreThanFiveYearsAfterFinalDateIsRefusedNamingTheField) {
  MakeSuspended(&conviction_);  // final_date 2024-05-15
  for (const char* end : {"2029-05-16", "2030-05-15", "2124-05-15"}) {
    SCOPED_TRACE(end);
    conviction_.set_suspension_end_date(end);
    const absl::Status status = Validate();
    ExpectInvalid(status, "conviction.suspension_end_date", end);
    EXPECT_EQ(status.message(), kSuspensionEndRule);
  }
}

TEST_F(ValidationTest, AVerificationPeriodOfExactlyOneOrFiveYearsIsAcceptedAndADayMoreOrLessIsNot) {
  MakeSuspended(&conviction_);  // final_date 2024-05-15
  conviction_.set_suspension_end_date("2025-05-15");
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.set_suspension_end_date("2029-05-15");
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.set_suspension_end_date("2025-05-14");
  ExpectInvalid(Validate(), "conviction.suspension_end_date", "2025-05-14");
  conviction_.set_suspension_end_date("2029-05-16");
  ExpectInvalid(Validate(), "conviction.suspension_end_date", "2029-05-16");
}

// Final on 29 February: the years are counted as the Code counts a period, so a year (or five)
// from it ends on 28 February of a common year, and four years on ends on 29 February again.
TEST_F(ValidationTest, AVerificationPeriodFrom29FebruaryEndsOn28FebruaryOfACommonYear) {
  MakeSuspended(&conviction_);
  conviction_.set_judgment_date("2024-02-01");
  conviction_.set_final_date("2024-02-29");
  conviction_.set_suspension_end_date("2025-02-27");
  ExpectInvalid(Validate(), "conviction.suspension_end_date", "2025-02-27");
  conviction_.set_suspension_end_date("2025-02-28");
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.set_suspension_end_date("2028-02-29");
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.set_suspension_end_date("2029-02-28");
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.set_suspension_end_date("2029-03-01");
  ExpectInvalid(Validate(), "conviction.suspension_end_date", "2029-03-01");
}

// The century a ban may span is counted the same way, so from 29 February 2000 the last day a ban
// may end is 28 February 2100, the day retention counts a ban for life to.
TEST_F(ValidationTest, ABanFrom29FebruaryMayEndACenturyLaterOn28FebruaryAndNotOn1March) {
  conviction_.set_court_id("district-prishtine");  // a court of 2000
  conviction_.set_judgment_date("2000-02-01");
  conviction_.set_final_date("2000-02-29");
  conviction_.clear_release_date();
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_FINE);
  conviction_.mutable_sentence()->set_months(0);
  conviction_.clear_bans();
  registry::v1::AccessoryBan* ban = conviction_.add_bans();
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date("2100-02-28");
  EXPECT_TRUE(Validate().ok()) << Validate();
  ban->set_end_date("2100-03-01");
  ExpectInvalid(Validate(), "conviction.bans[0].end_date", "2100-03-01");
}

TEST_F(ValidationTest, FullyFilledRecordIsValid) {
  person_.set_father_name("Ilir");
  for (int i = 0; i < 10; ++i) person_.add_aliases(absl::StrCat("Alias", std::string(1, 'a' + i)));
  person_.set_birth_place("Prishtinë");
  person_.clear_citizenships();
  for (const char* c : {"XK", "AL", "RS", "DE", "CH"}) person_.add_citizenships(c);
  person_.set_last_known_address(Repeat("ç", 200));
  conviction_.clear_bans();
  for (int i = 0; i < 10; ++i) {
    registry::v1::AccessoryBan* ban = conviction_.add_bans();
    ban->set_type(registry::v1::BAN_TYPE_PROFESSION);
    if (i % 2 == 0) ban->set_end_date("2024-05-15");  // == final_date.
  }
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, HundredCodePointNameWithDiacriticsIsValid) {
  person_.set_surname(Repeat("ë", 100));  // 200 bytes, 100 code points.
  person_.set_given_name(absl::StrCat(Repeat("e\xCC\x88", 50)));  // e + combining diaeresis.
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, CyrillicAndPunctuatedNamesAreValid) {
  person_.set_surname("Петровић");
  person_.set_given_name("Ђорђе");
  person_.set_father_name("Милош");
  person_.add_aliases("O’Brien-Kërqeli");
  person_.add_aliases("D'Angelo");
  person_.add_aliases("Gjonʼaj Rama");  // U+02BC modifier letter apostrophe, between letters.
  person_.add_aliases("Đorđević‐Šćekić");  // U+2010 hyphen.
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, JudgmentAndFinalDateMayBeToday) {
  conviction_.set_judgment_date("2025-06-01");
  conviction_.set_final_date("2025-06-01");
  conviction_.set_release_date("2025-06-01");
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, LimitsOfTheSentenceAreValid) {
  conviction_.mutable_sentence()->set_months(600);
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.mutable_sentence()->set_months(1);
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.clear_release_date();
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_FINE);
  conviction_.mutable_sentence()->set_months(0);
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, TwentyOffencesAreValid) {
  conviction_.clear_offences();
  for (uint32_t p = 1; p <= 20; ++p) {
    registry::v1::Offence* o = conviction_.add_offences();
    o->set_law("06/L-074");
    o->set_article(230);  // Whole-article entry: every paragraph is in the table.
    o->set_paragraph(p);
  }
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, ConfirmedAndOldCodeOffencesAreValid) {
  conviction_.clear_offences();
  registry::v1::Offence* o = conviction_.add_offences();
  o->set_law("06/L-074");
  o->set_article(234);
  o->set_paragraph(3);
  o = conviction_.add_offences();
  o->set_law("04/L-082");
  o->set_article(230);
  o->set_paragraph(0);
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// Article 234 of 06/L-074 is in the table by its paragraphs alone (3 to 5 concern a child, and
// keep the record longer). Given whole (the paragraph left out, or 0) it was refused "not in the
// offence table", which never said that the paragraph was what was missing: the refusal names
// the article's paragraphs to choose from. An article the table does not hold at all is still
// "not in the offence table".
TEST_F(ValidationTest, AnArticleTheTableListsByParagraphsAloneIsRefusedWithItsParagraphs) {
  constexpr absl::string_view kParagraphs =
      "06/L-074 article 234 is recorded by its paragraph: give one of 06/L-074:234:1, "
      "06/L-074:234:2, 06/L-074:234:3, 06/L-074:234:4, 06/L-074:234:5";
  registry::v1::Offence* o = conviction_.add_offences();
  o->set_law("06/L-074");
  o->set_article(234);
  for (const uint32_t paragraph : {0u, 6u, 99u}) {
    o->set_paragraph(paragraph);
    EXPECT_EQ(Validate().message(), absl::StrCat("conviction.offences[1]: ", kParagraphs))
        << paragraph;
  }
  o->set_paragraph(5);
  EXPECT_TRUE(Validate().ok()) << Validate();
  // No entry of the article at all, or of another code: the table's words alone.
  o->set_article(236);
  o->set_paragraph(0);
  EXPECT_EQ(Validate().message(), "conviction.offences[1]: not in the offence table");
  o->set_law("04/L-082");
  o->set_article(234);
  o->set_paragraph(2);
  EXPECT_TRUE(Validate().ok()) << Validate();  // that code's article 234 is listed whole
}

// Article 234 of 06/L-074 given whole in a 2013 judgment: the paragraph was missing AND the code
// was not in force (2019-04-14), and only the paragraph was said; the clerk gave one and was then
// told the code was wrong. Both are said in one answer, the code's date first: a paragraph of
// that code would be refused as well.
TEST_F(ValidationTest, AnArticleGivenWholeOfACodeNotYetInForceIsToldBothInOneAnswer) {
  conviction_.clear_offences();
  registry::v1::Offence* o = conviction_.add_offences();
  o->set_law("06/L-074");
  o->set_article(234);
  conviction_.set_judgment_date("2013-03-01");
  conviction_.set_final_date("2013-05-01");
  conviction_.clear_release_date();
  conviction_.clear_bans();
  constexpr absl::string_view kCodeDate =
      "conviction.judgment_date: is before 2019-04-14, the day code 06/L-074 of an offence took "
      "effect: check the judgment date, and the offence's code; conviction.offences[0]: code "
      "06/L-074 took effect on 2019-04-14, after the judgment date: check the judgment date, or "
      "record the article of the code the court applied; ";
  constexpr absl::string_view kParagraphs =
      "conviction.offences[0]: 06/L-074 article 234 is recorded by its paragraph: give one of "
      "06/L-074:234:1, 06/L-074:234:2, 06/L-074:234:3, 06/L-074:234:4, 06/L-074:234:5";
  for (const uint32_t paragraph : {0u, 6u}) {
    o->set_paragraph(paragraph);
    EXPECT_EQ(Validate().message(), absl::StrCat(kCodeDate, kParagraphs)) << paragraph;
  }
  // A listed paragraph of it: the code's date alone.
  o->set_paragraph(3);
  EXPECT_EQ(Validate().message(), kCodeDate.substr(0, kCodeDate.size() - 2));
  // In force on the judgment date: the paragraph alone, as before.
  o->set_paragraph(0);
  conviction_.set_judgment_date("2020-03-01");
  conviction_.set_final_date("2020-05-01");
  EXPECT_EQ(Validate().message(), kParagraphs);
}

// 06/L-074 art. 227 whole and its paragraph 2 in one record: the whole article holds the
// paragraph, so one repeats the other (a certificate listed the offence twice). Refused, said of
// the later one with what to give instead. Two paragraphs of one article are two counts, taken.
TEST_F(ValidationTest, AnArticleNamedWholeAndByAParagraphIsRefusedAsARepeat) {
  constexpr absl::string_view kRule =
      "is the same article as another offence, one whole (paragraph 0) and one by its "
      "paragraph: give the paragraphs the judgment names, or the whole article alone";
  conviction_.clear_offences();
  const auto add = [&](const char* law, uint32_t article, uint32_t paragraph) {
    registry::v1::Offence* o = conviction_.add_offences();
    o->set_law(law);
    o->set_article(article);
    o->set_paragraph(paragraph);
  };
  add("06/L-074", 227, 1);
  add("06/L-074", 227, 4);
  add("06/L-074", 228, 0);
  add("04/L-082", 230, 2);  // another code's article of the same number
  EXPECT_TRUE(Validate().ok()) << Validate();
  add("06/L-074", 227, 0);
  EXPECT_EQ(Validate().message(), absl::StrCat("conviction.offences[4]: ", kRule));
  conviction_.clear_offences();
  add("06/L-074", 227, 0);
  add("06/L-074", 228, 0);
  add("06/L-074", 227, 2);
  EXPECT_EQ(Validate().message(), absl::StrCat("conviction.offences[2]: ", kRule));
}

// The article numbers differ between the codes: a 2013 judgment recorded under the 2019 code
// recorded another offence, with other dates. A court of Kosovo cannot apply a code before it
// took effect (offences.json "laws"); an older code after a newer one took effect it can.
TEST_F(ValidationTest, AnOffenceUnderACodeNotYetInForceOnTheJudgmentDateIsRefused) {
  conviction_.clear_offences();
  registry::v1::Offence* o = conviction_.add_offences();
  o->set_law("06/L-074");
  o->set_article(232);
  conviction_.set_judgment_date("2013-03-01");
  conviction_.set_final_date("2013-05-01");
  conviction_.clear_release_date();
  conviction_.clear_bans();
  const absl::Status early = Validate();
  EXPECT_EQ(early.message(),
            "conviction.judgment_date: is before 2019-04-14, the day code 06/L-074 of an offence "
            "took effect: check the judgment date, and the offence's code; "
            "conviction.offences[0]: code 06/L-074 took effect on 2019-04-14, after the judgment "
            "date: check the judgment date, or record the article of the code the court applied");
  // The day it took effect is fine.
  conviction_.set_judgment_date("2019-04-14");
  conviction_.set_final_date("2019-05-01");
  EXPECT_TRUE(Validate().ok()) << Validate();
  // The 2012 code in 2020 (the law of the time of the offence): yes.
  o->set_law("04/L-082");
  o->set_article(230);
  conviction_.set_judgment_date("2020-11-01");
  conviction_.set_final_date("2020-12-01");
  EXPECT_TRUE(Validate().ok()) << Validate();
  // From 6 April 2004 to 2012 the Provisional Criminal Code (UNMIK/2003/25) was in force: the
  // 2012 code is refused in 2008 (by a District Court, which judged then), the Provisional Code
  // is taken, then and after 2013 (the law of the time of the offence).
  conviction_.set_court_id("district-prishtine");
  conviction_.set_judgment_date("2008-11-01");
  conviction_.set_final_date("2008-12-01");
  EXPECT_EQ(Validate().message(),
            "conviction.judgment_date: is before 2013-01-01, the day code 04/L-082 of an offence "
            "took effect: check the judgment date, and the offence's code; "
            "conviction.offences[0]: code 04/L-082 took effect on 2013-01-01, after the judgment "
            "date: check the judgment date, or record the article of the code the court applied");
  o->set_law("UNMIK/2003/25");
  o->set_article(193);
  EXPECT_TRUE(Validate().ok()) << Validate();
  conviction_.set_court_id("basic-prishtine");
  conviction_.set_judgment_date("2020-11-01");
  conviction_.set_final_date("2020-12-01");
  EXPECT_TRUE(Validate().ok()) << Validate();
  // Before the table's earliest code took effect it has no code of the time: the equivalent is
  // recorded, under any code.
  conviction_.set_court_id("district-prishtine");
  conviction_.set_judgment_date("2003-11-01");
  conviction_.set_final_date("2003-12-01");
  EXPECT_TRUE(Validate().ok()) << Validate();
  o->set_law("06/L-074");
  o->set_article(232);
  EXPECT_TRUE(Validate().ok()) << Validate();
  o->set_law("04/L-082");
  o->set_article(230);
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// The Basic Courts and the Court of Appeals judge from 1 January 2013, when they took over from
// the District Courts and the Municipal Courts (Law 03/L-199 on Courts; courts.json). A Basic
// Court's judgment of 2012 was taken, and a conviction of 2012 could not name its real court.
// The court is refused on a judgment date it did not judge on, saying which courts judged then;
// the Supreme Court judged throughout, a court abroad on any day.
TEST_F(ValidationTest, ACourtIsRefusedOnAJudgmentDateItDidNotJudgeOn) {
  constexpr absl::string_view kNotYet =
      "conviction.court_id: did not judge yet on the judgment date (the Basic Courts and the "
      "Court of Appeals judge from 1 January 2013, the District Courts and the Municipal Courts "
      "before it): check the court and the judgment date";
  constexpr absl::string_view kNoLonger =
      "conviction.court_id: no longer judged on the judgment date (the District Courts and the "
      "Municipal Courts judged until 31 December 2012, the Basic Courts and the Court of Appeals "
      "since): check the court and the judgment date";
  conviction_.clear_bans();
  conviction_.clear_release_date();
  conviction_.clear_offences();
  registry::v1::Offence* o = conviction_.add_offences();
  o->set_law("UNMIK/2003/25");
  o->set_article(196);
  const auto judged = [&](const std::string& court, const std::string& day) {
    conviction_.set_court_id(court);
    conviction_.set_judgment_date(day);
    conviction_.set_final_date(day);
    return Validate();
  };
  for (const char* court : {"basic-prishtine", "basic-ferizaj", "court-of-appeals"}) {
    SCOPED_TRACE(court);
    EXPECT_EQ(judged(court, "2012-12-31").message(), kNotYet);
    EXPECT_TRUE(judged(court, "2013-01-01").ok()) << Validate();
  }
  for (const char* court : {"district-prishtine", "district-prizren", "district-peje",
                            "district-gjilan", "district-mitrovice", "municipal-prishtine",
                            "municipal-gjakove", "municipal-ferizaj"}) {
    SCOPED_TRACE(court);
    EXPECT_TRUE(judged(court, "2012-12-31").ok()) << Validate();
    EXPECT_EQ(judged(court, "2013-01-01").message(), kNoLonger);
  }
  for (const char* day : {"2003-05-01", "2012-12-31", "2013-01-01", "2024-03-01"}) {
    EXPECT_TRUE(judged("supreme-court", day).ok()) << day << " " << Validate();
  }
  conviction_.set_foreign_court("Landgericht Berlin");
  conviction_.set_foreign_country("DE");
  EXPECT_TRUE(judged("foreign", "2005-03-01").ok()) << Validate();
  conviction_.clear_foreign_court();
  conviction_.clear_foreign_country();
  // A judgment date that is itself wrong (in the future) is said alone, not the court again.
  EXPECT_EQ(judged("district-prishtine", "2030-01-01").message().find("conviction.court_id"),
            std::string::npos);
}

TEST_F(ValidationTest, ForeignConvictionIsValid) {
  conviction_.set_court_id("foreign");
  conviction_.set_foreign_court("Landgericht Berlin");
  conviction_.set_foreign_country("DE");
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, JuvenileUnder18IsValid) {
  person_.set_birth_date("2008-01-01");  // 16 on judgment day.
  conviction_.set_juvenile(true);
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_JUVENILE_MEASURE);
  conviction_.mutable_sentence()->set_months(0);
  conviction_.clear_release_date();
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, JuvenileOffenderJudgedAsAdultMayBeMarkedJuvenile) {
  person_.set_birth_date("2005-01-01");  // 19 on judgment day; the act may predate the 18th.
  conviction_.set_juvenile(true);
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, JudgmentOnFourteenthBirthdayIsValid) {
  person_.set_birth_date("2010-03-01");
  conviction_.set_juvenile(true);
  EXPECT_TRUE(Validate().ok()) << Validate();
}

TEST_F(ValidationTest, EighteenthBirthdayIsAdult) {
  person_.set_birth_date("2006-03-01");  // Exactly 18 on judgment day.
  conviction_.set_juvenile(false);
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// Kosovo's day, not UTC's: on 1 June midnight in Kosovo is 22:00 UTC the evening before.
TEST_F(ValidationTest, TodayIsTheDayInKosovoAtTheClock) {
  conviction_.set_judgment_date("2025-06-01");
  conviction_.set_final_date("2025-06-01");
  conviction_.clear_release_date();  // not yet released
  clock_.Set(absl::FromCivil(absl::CivilSecond(2025, 5, 31, 22, 0, 0), absl::UTCTimeZone()));
  EXPECT_TRUE(Validate().ok()) << Validate();
  clock_.Set(absl::FromCivil(absl::CivilSecond(2025, 5, 31, 21, 59, 59), absl::UTCTimeZone()));
  ExpectInvalid(Validate(), "conviction.judgment_date", "2025-06-01");
}

// --- The rule said is the one the record breaks ---------------------------------------------

// A release date of an imprisonment that is out of range is told its range: "only with
// imprisonment" sent the clerk to a sentence that was right. Another sentence is told that the
// date must be empty.
TEST_F(ValidationTest, AReleaseDateIsToldTheRuleItBreaksForItsSentence) {
  conviction_.set_release_date("2024-02-29");  // before the judgment
  EXPECT_EQ(Validate().message(),
            "conviction.release_date: a date YYYY-MM-DD on or after the judgment date, within "
            "100 years of it");
  conviction_.set_release_date("2025-03-01");
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_FINE);
  conviction_.mutable_sentence()->set_months(0);
  EXPECT_EQ(Validate().message(),
            "conviction.release_date: must be empty unless the sentence is imprisonment or life "
            "imprisonment");
}

// The release date is the day the person was released, if they were, and the start of the
// retention periods: one in the future (a planned release, a slip of the year) is refused, as a
// judgment or final date in the future is; today is the last day it may be.
TEST_F(ValidationTest, AReleaseDateInTheFutureIsRefused) {
  conviction_.set_release_date("2025-06-02");  // tomorrow in Kosovo at the tests' clock
  EXPECT_EQ(Validate().message(),
            "conviction.release_date: the day of release, if released: not in the future");
  conviction_.set_release_date("2121-12-31");
  EXPECT_EQ(Validate().message(),
            "conviction.release_date: the day of release, if released: not in the future");
  conviction_.set_release_date("2025-06-01");
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// As for the release date: a suspended sentence's end of its verification period out of range is
// told the range, and another sentence that the date must be empty.
TEST_F(ValidationTest, AnEndOfTheVerificationPeriodIsToldTheRuleItBreaksForItsSentence) {
  MakeSuspended(&conviction_);
  conviction_.set_suspension_end_date("2024-06-01");
  EXPECT_EQ(Validate().message(), kSuspensionEndRule);
  conviction_.Clear();
  Person unused;
  MakeValidRecord(&unused, &conviction_);  // imprisonment
  conviction_.set_suspension_end_date("2027-05-15");
  EXPECT_EQ(Validate().message(),
            "conviction.suspension_end_date: must be empty unless the sentence is suspended");
}

// Months with a fine: no client takes 0 months (registry-cli's --months is 1..600, the
// console's field is left empty), so the rule says to leave them empty, not "must be 0".
TEST_F(ValidationTest, MonthsWithASentenceThatHasNoLengthAreToldToBeEmpty) {
  conviction_.clear_release_date();
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_FINE);
  conviction_.mutable_sentence()->set_months(12);
  EXPECT_EQ(Validate().message(),
            "conviction.sentence.months: must be empty for this sentence: only imprisonment or a "
            "suspended sentence has a length in months");
}

// Life imprisonment (both Codes provide it) is recorded as itself, not as "other": without
// months, and with a release date as imprisonment takes one (a conditional release).
TEST_F(ValidationTest, LifeImprisonmentIsRecordedWithoutMonthsAndMayHaveARelease) {
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT);
  conviction_.mutable_sentence()->set_months(0);
  EXPECT_TRUE(Validate().ok()) << Validate();  // released on 2025-03-01
  conviction_.clear_release_date();            // still in prison
  EXPECT_TRUE(Validate().ok()) << Validate();
  // Months given are said to be none for life imprisonment, not "only imprisonment has them".
  conviction_.mutable_sentence()->set_months(240);
  EXPECT_EQ(Validate().message(),
            "conviction.sentence.months: must be empty for life imprisonment: it has no length "
            "in months");
  // Its release is held to imprisonment's rules.
  conviction_.mutable_sentence()->set_months(0);
  conviction_.set_release_date("2025-06-02");
  EXPECT_EQ(Validate().message(),
            "conviction.release_date: the day of release, if released: not in the future");
  conviction_.set_release_date("2025-03-01");
  conviction_.set_suspension_end_date("2027-05-15");
  EXPECT_EQ(Validate().message(),
            "conviction.suspension_end_date: must be empty unless the sentence is suspended");
}

// Life imprisonment is not pronounced on a juvenile: with the juvenile flag it is a slip of one
// or the other, said of the sentence (it had been taken, visible for a century).
TEST_F(ValidationTest, LifeImprisonmentOfAJuvenileIsRefusedAsASlip) {
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT);
  conviction_.mutable_sentence()->set_months(0);
  ASSERT_TRUE(Validate().ok()) << Validate();
  conviction_.set_juvenile(true);
  EXPECT_EQ(Validate().message(),
            "conviction.sentence.type: life imprisonment is not a juvenile's sentence: check the "
            "sentence and the juvenile flag");
}

// Life-long imprisonment is not imposed on a person under 21 when the offence was committed (the
// Codes' article on life-long imprisonment). The record holds no date of the offence; the
// judgment date is the latest it can be, so a person under 21 on the judgment date is refused
// life imprisonment, the sentence named with the dates that decide the age. Imprisonment for a
// term is taken at that age, and life imprisonment from the 21st birthday.
TEST_F(ValidationTest, LifeImprisonmentOfAPersonUnder21OnTheJudgmentDateIsRefused) {
  person_.set_birth_date("2003-03-02");  // 21 on 2024-03-02; the judgment is of 2024-03-01
  ASSERT_TRUE(Validate().ok()) << Validate();
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT);
  conviction_.mutable_sentence()->set_months(0);
  EXPECT_EQ(Validate().message(),
            "conviction.sentence.type: life imprisonment is not imposed on a person under 21 at "
            "the time of the offence, and the person was under 21 on the judgment date: check the "
            "sentence, the date of birth and the judgment date");
  person_.set_birth_date("2003-03-01");  // 21 on the judgment date
  EXPECT_TRUE(Validate().ok()) << Validate();
  // A juvenile is told the juvenile rule only.
  person_.set_birth_date("2005-03-02");
  conviction_.set_juvenile(true);
  EXPECT_EQ(Validate().message(),
            "conviction.sentence.type: life imprisonment is not a juvenile's sentence: check the "
            "sentence and the juvenile flag");
}

// A hyphen or an apostrophe at the start or end of a name joins nothing ("-Berisha", "Hoxha-",
// "'Ali", "O'" were stored as typed, and the search keys drop them): refused in every name field
// and in a vetting candidate's names, naming the field and saying what to type, never the name.
TEST_F(ValidationTest, ANameBeginningOrEndingWithAHyphenOrAnApostropheIsRefused) {
  constexpr absl::string_view kRule =
      "begins or ends with a hyphen or an apostrophe: type one only between two letters, as in "
      "Hoxha-Berisha or O'Brien";
  for (const char* name : {"-Berisha", "Hoxha-", "'Ali", "O'", "Hoxha\xe2\x80\x90",
                           "\xe2\x80\x99" "Ali", "\xca\xbc" "Ali", "\xe2\x80\x98" "Ali",
                           " -Berisha", "Hoxha- ", "Ana -", "-", "Bé-"}) {
    SCOPED_TRACE(name);
    const bool letter = std::string(name) != "-";
    for (const char* field : {"person.surname", "person.given_name", "person.father_name",
                              "person.aliases[0]"}) {
      const absl::Status status = RecordValidator::ValidateName(field, name, true);
      EXPECT_EQ(status.message(),
                absl::StrCat(field, ": ",
                             letter ? kRule : "1..100 letters, spaces, hyphens or apostrophes"));
    }
    Person person = person_;
    person.add_aliases(name);
    EXPECT_EQ(validator_->ValidateRecord(person, conviction_).message(),
              absl::StrCat("person.aliases[0]: ",
                           letter ? kRule : "1..100 letters, spaces, hyphens or apostrophes"));
    person.set_surname(name);
    person.set_given_name(name);
    EXPECT_TRUE(absl::StartsWith(validator_->ValidateRecord(person, conviction_).message(),
                                 absl::StrCat("person.surname: ", letter ? kRule : "")));
    EXPECT_EQ(validator_->ValidateCandidate("1234567890", name, name, "1980-04-12").message(),
              letter ? absl::StrCat("surname: ", kRule, "; given_name: ", kRule)
                     : "surname: 1..100 letters, spaces, hyphens or apostrophes; given_name: "
                       "1..100 letters, spaces, hyphens or apostrophes");
  }
  // Between letters they join: taken.
  for (const char* name : {"Hoxha-Berisha", "O'Brien", "D\xe2\x80\x99" "Amato",
                           "Ana-Maria Gashi"}) {
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", name, true).ok()) << name;
    EXPECT_TRUE(validator_->ValidateCandidate("1234567890", name, "Arben", "1980-04-12").ok())
        << name;
  }
}

// Inside a name, a hyphen or an apostrophe with a space or another of them beside it joins no
// two letters ("Hoxha - Berisha", "Hoxha--Berisha", "O''Brien"): it was stored as typed, printing
// unlike the person's papers. Refused in every name field and a vetting candidate's names, naming
// the field and saying how such a name is written, never the name.
TEST_F(ValidationTest, AHyphenOrAnApostropheThatJoinsNoTwoLettersIsRefused) {
  constexpr absl::string_view kRule =
      "holds a hyphen or an apostrophe with a space or another hyphen or apostrophe beside it: "
      "write a double surname as Hoxha-Berisha and a name with an apostrophe as O'Brien, with a "
      "letter on each side and no space";
  for (const char* name :
       {"Hoxha - Berisha", "Hoxha--Berisha", "O''Brien", "Hoxha-'Berisha", "Hoxha -Berisha",
        "Hoxha- Berisha", "O' Brien", "O\xe2\x80\x99\xe2\x80\x99" "Brien",
        "Hoxha\xe2\x80\x90-Berisha", "Ana Maria -Gashi", "Be\xcc\x81 -Gashi"}) {
    SCOPED_TRACE(name);
    for (const char* field : {"person.surname", "person.given_name", "person.father_name",
                              "person.aliases[0]"}) {
      EXPECT_EQ(RecordValidator::ValidateName(field, name, true).message(),
                absl::StrCat(field, ": ", kRule));
    }
    Person person = person_;
    person.add_aliases(name);
    EXPECT_EQ(validator_->ValidateRecord(person, conviction_).message(),
              absl::StrCat("person.aliases[0]: ", kRule));
    person.clear_aliases();
    person.set_surname(name);
    person.set_given_name(name);
    person.set_father_name(name);
    EXPECT_EQ(validator_->ValidateRecord(person, conviction_).message(),
              absl::StrCat("person.surname: ", kRule, "; person.given_name: ", kRule,
                           "; person.father_name: ", kRule));
    EXPECT_EQ(validator_->ValidateCandidate("1234567890", name, name, "1980-04-12").message(),
              absl::StrCat("surname: ", kRule, "; given_name: ", kRule));
  }
  // Between letters, or a letter and its accent, they join; spaces between words are words.
  for (const char* name : {"Hoxha-Berisha", "O'Brien", "Ana-Maria Gashi", "Hoxha Berisha",
                           "Be\xcc\x81-Gashi", "D'Amato-O'Brien",
                           "Hoxha\xe2\x80\x90" "Berisha"}) {
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", name, true).ok()) << name;
    EXPECT_TRUE(validator_->ValidateCandidate("1234567890", name, "Arben", "1980-04-12").ok())
        << name;
  }
}

// A record is grouped by the Kosovo personal number: one without it (a foreign national
// convicted in Kosovo) is told that such a person cannot be recorded yet, pointing to the open
// question, and the value typed is not repeated. A candidate's number is not told that.
TEST_F(ValidationTest, ARecordWithoutAPersonalNumberIsToldSuchAPersonCannotBeRecordedYet) {
  for (const char* number : {"", "X1234567"}) {
    person_.set_personal_number(number);
    EXPECT_EQ(Validate().message(),
              "person.personal_number: does not match the personal number format (10 digits), "
              "and a person without a Kosovo personal number cannot be recorded yet "
              "(docs/domain.md)");
  }
  EXPECT_EQ(validator_->ValidateCandidate("X1234567", "Krasniqi", "Arben", "1980-02-03")
                .message(),
            "personal_number: does not match the personal number format (10 digits)");
}

// A court abroad without its name is told the name is required, as registry-cli says before
// sending; a name given that breaks the text rule is told that rule.
TEST_F(ValidationTest, AForeignCourtWithoutItsNameIsToldTheNameIsRequired) {
  conviction_.set_court_id("foreign");
  conviction_.set_foreign_country("DE");
  EXPECT_EQ(Validate().message(),
            "conviction.foreign_court: required for a foreign court: its name");
  conviction_.set_foreign_court(" ");
  EXPECT_EQ(Validate().message(),
            "conviction.foreign_court: 1..200 characters of valid UTF-8, no control characters");
}

// A judgment dated before its code took effect (2018-05-01 under 06/L-074, in force from
// 2019-04-14) was blamed on the offence alone, which steered the clerk to record another code's
// article when the judgment date was the mistake. Both are named, with the day the code took
// effect; the judgment date itself is never repeated.
TEST_F(ValidationTest, AJudgmentBeforeItsCodeTookEffectNamesTheJudgmentDateAndTheOffence) {
  conviction_.clear_offences();
  registry::v1::Offence* o = conviction_.add_offences();
  o->set_law("06/L-074");
  o->set_article(228);
  conviction_.set_judgment_date("2018-05-01");
  conviction_.set_final_date("2018-06-01");
  conviction_.clear_release_date();
  conviction_.clear_bans();
  const absl::Status status = Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "conviction.judgment_date: is before 2019-04-14, the day code 06/L-074 of an offence "
            "took effect: check the judgment date, and the offence's code; "
            "conviction.offences[0]: code 06/L-074 took effect on 2019-04-14, after the judgment "
            "date: check the judgment date, or record the article of the code the court applied");
  EXPECT_FALSE(absl::StrContains(status.message(), "2018")) << status;
  // Two offences of the code: the judgment date is named once, each offence on its own.
  o = conviction_.add_offences();
  o->set_law("06/L-074");
  o->set_article(229);
  const std::vector<std::string> problems = absl::StrSplit(Validate().message(), "; ");
  EXPECT_EQ(std::count_if(problems.begin(), problems.end(),
                          [](absl::string_view p) {
                            return absl::StartsWith(p, "conviction.judgment_date: ");
                          }),
            1)
      << Validate();
  EXPECT_EQ(problems.size(), 3u) << Validate();
  // A court abroad is recorded under its Kosovo equivalent, of any code: nothing to name.
  conviction_.set_court_id("foreign");
  conviction_.set_foreign_court("Landgericht Berlin");
  conviction_.set_foreign_country("DE");
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// A final date before the judgment date named the final date alone, though the judgment date is
// as likely the one mistyped: both are named.
TEST_F(ValidationTest, AFinalDateBeforeTheJudgmentDateNamesBothDates) {
  conviction_.set_judgment_date("2024-03-01");
  conviction_.set_final_date("2024-02-01");
  conviction_.clear_bans();
  conviction_.clear_release_date();
  EXPECT_EQ(Validate().message(),
            "conviction.judgment_date: is after the date the judgment became final: check both "
            "dates, either may be the wrong one; conviction.final_date: must be on or after the "
            "judgment date and not in the future");
  // A final date in the future alone is the final date's.
  conviction_.set_final_date("2025-06-02");
  EXPECT_EQ(Validate().message(),
            "conviction.final_date: must be on or after the judgment date and not in the future");
}

// A birth year typed 2005 for 1985 made an adult, judged 2022-01-10, a juvenile: the refusal named
// only the juvenile flag, the clerk set it, and the record counted 5 years instead of 20. The
// birth date and the judgment date are named before the flag, either being possibly the wrong
// one, with the advice to check them before marking the conviction juvenile.
TEST_F(ValidationTest, AnAdultsBirthYearMistypedUnder18NamesTheDatesBeforeTheJuvenileFlag) {
  person_.set_birth_date("2005-01-01");
  conviction_.set_judgment_date("2022-01-10");
  conviction_.set_final_date("2022-02-10");
  conviction_.clear_bans();
  conviction_.clear_release_date();
  const std::string birth =
      "person.birth_date: makes the person under 18 on the judgment date: check the date of "
      "birth before marking the conviction juvenile";
  const std::string judgment =
      "conviction.judgment_date: is before the person's 18th birthday: check the judgment date "
      "before marking the conviction juvenile";
  const std::string juvenile =
      "conviction.juvenile: must be true when the person was under 18 on the judgment date, if "
      "the date of birth and the judgment date are right";
  const std::string all = absl::StrCat(birth, "; ", judgment, "; ", juvenile);
  EXPECT_EQ(Validate().message(), all);
  EXPECT_FALSE(absl::StrContains(Validate().message(), "2005")) << Validate();
  // An amendment of both dates, or of neither (another field): both dates named.
  for (const std::vector<std::string>& amended : std::vector<std::vector<std::string>>{
           {"person.birth_date", "conviction.judgment_date"}, {"person.surname"}}) {
    EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, amended).message(), all);
  }
  // An amendment of the birth date alone (`--set birth-date=2005-01-01`) names the birth date
  // first, then the flag it left; of the judgment date alone, the judgment date.
  EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, {"person.birth_date"}).message(),
            absl::StrCat(birth, "; ", juvenile));
  EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, {"person"}).message(),
            absl::StrCat(birth, "; ", juvenile));
  EXPECT_EQ(
      validator_->ValidateRecord(person_, conviction_, {"conviction.judgment_date"}).message(),
      absl::StrCat(judgment, "; ", juvenile));
  // An amendment that unmarks the flag and moves neither date: the flag alone.
  EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, {"conviction.juvenile"}).message(),
            juvenile);
  // Marked juvenile, the record is taken.
  conviction_.set_juvenile(true);
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// --- Every bad field at once -------------------------------------------------------------------

TEST_F(ValidationTest, EveryBadFieldIsNamedInOneAnswerInFieldOrder) {
  person_.set_surname("K3rqeli");
  person_.set_sex(registry::v1::SEX_UNSPECIFIED);
  conviction_.set_final_date("2023-01-01");  // before the judgment
  conviction_.mutable_offences(0)->set_article(999);
  conviction_.mutable_sentence()->set_months(0);
  const absl::Status status = Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "person.surname: 1..100 letters, spaces, hyphens or apostrophes; "
            "person.sex: required: female or male; "
            "conviction.judgment_date: is after the date the judgment became final: check both "
            "dates, either may be the wrong one; "
            "conviction.final_date: must be on or after the judgment date and not in the future; "
            "conviction.offences[0]: not in the offence table; "
            "conviction.sentence.months: 1..600 for imprisonment or a suspended sentence");
  EXPECT_FALSE(absl::StrContains(status.message(), "K3rqeli"));
}

TEST_F(ValidationTest, ARuleThatComparesWithAWrongDateIsLeftOut) {
  // No birth date: the age rules cannot be judged; the birth date is the one problem. (One in
  // the future has the judgment before it named too:
  // AFutureBirthDateStillHasAJudgmentBeforeItNamed.)
  for (const char* birth : {""}) {
    person_.set_birth_date(birth);
    ExpectInvalid(Validate(), "person.birth_date", "");
    EXPECT_FALSE(absl::StrContains(Validate().message(), ";")) << Validate();
  }
  // A judgment before the 14th birthday (1994-04-12): reported (of both dates, either of which
  // may be wrong), and not again as a wrong final date, release date, ban or juvenile flag,
  // which follow the judgment as typed.
  person_.set_birth_date("1980-04-12");
  conviction_.set_judgment_date("1990-03-01");
  conviction_.set_final_date("1995-02-01");
  conviction_.set_release_date("1995-03-01");
  conviction_.mutable_bans(0)->set_end_date("2000-01-01");
  EXPECT_EQ(Validate().message(),
            "person.birth_date: makes the person under 14 on the judgment date (no one is "
            "convicted under 14): check the date of birth; "
            "conviction.judgment_date: must be on or after the person's 14th birthday and not in "
            "the future");
}

// UK, YU, CS, EU, ZZ typed in capitals were refused as "a country's ISO 3166-1 alpha-2 code, upper
// case": the case was right, the code names no country. That is said, with the code meant for
// the common old or informal ones; a code not in capitals is still told to be.
TEST_F(ValidationTest, ACodeInCapitalsThatNamesNoCountryIsSaidToNameNoneWithTheCodeMeant) {
  constexpr absl::string_view kRule = "not a country code in ISO 3166-1";
  for (const auto& [code, hint] : std::vector<std::pair<std::string, std::string>>{
           {"UK", " (for the United Kingdom, GB)"},
           {"YU", " (Yugoslavia's former code: the country today, such as RS, ME or XK)"},
           {"CS", " (Serbia and Montenegro's former code: the country today, RS, ME or XK)"},
           {"EU", " (the European Union is no country: the member state's code, such as DE)"},
           {"ZZ", ""}}) {
    person_.set_citizenships(0, code);
    EXPECT_EQ(Validate().message(), absl::StrCat("person.citizenships[0]: ", kRule, hint));
  }
  person_.set_citizenships(0, "uk");
  EXPECT_EQ(Validate().message(),
            "person.citizenships[0]: a country's ISO 3166-1 alpha-2 code, upper case");
}

// `--court foreign --foreign-country ZZ` was told "required for a foreign court: ..." though a
// country was given: a code that names no country is said to be that, for a foreign court and
// for a court missing from the table alike.
TEST_F(ValidationTest, AForeignCourtsCountryThatNamesNoCountryIsNotSaidToBeMissing) {
  conviction_.set_court_id("foreign");
  conviction_.set_foreign_court("Landgericht Berlin");
  conviction_.set_foreign_country("ZZ");
  EXPECT_EQ(Validate().message(), "conviction.foreign_country: not a country code in ISO 3166-1");
  conviction_.set_foreign_country("UK");
  EXPECT_EQ(Validate().message(),
            "conviction.foreign_country: not a country code in ISO 3166-1 (for the United "
            "Kingdom, GB)");
  conviction_.set_court_id("no-such-court");
  EXPECT_EQ(Validate().message(),
            "conviction.court_id: not in the court table; conviction.foreign_country: not a "
            "country code in ISO 3166-1 (for the United Kingdom, GB)");
  conviction_.set_court_id("foreign");
  conviction_.clear_foreign_country();
  EXPECT_EQ(Validate().message(),
            "conviction.foreign_country: required for a foreign court: a country's ISO 3166-1 "
            "alpha-2 code, upper case, not XK");
}

// `--court foreign --foreign-country xk` was told "required for a foreign court: ..., upper case,
// not XK", as if no country had been typed and hinting at the case. XK is said to be Kosovo, with
// what a court abroad is given instead.
TEST_F(ValidationTest, KosovosCodeForACourtAbroadIsSaidToBeKosovosNotMissing) {
  conviction_.set_court_id("foreign");
  conviction_.set_foreign_court("Landgericht Berlin");
  conviction_.set_foreign_country("XK");
  EXPECT_EQ(Validate().message(),
            "conviction.foreign_country: XK is Kosovo: a court abroad is given its own country's "
            "code (a court of Kosovo is one of the registry's courts, not foreign)");
  conviction_.set_foreign_country("xk");
  EXPECT_EQ(Validate().message(),
            "conviction.foreign_country: a country's ISO 3166-1 alpha-2 code, upper case");
  conviction_.set_foreign_country("DE");
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// ISO 3166-1 lists places no one is a citizen of and no court sits in (Antarctica, Bouvet
// Island, Heard and McDonald Islands), and ICU the codes reserved exceptionally (Diego Garcia,
// Ceuta and Melilla, the Canary Islands): each is refused as a citizenship and as a court
// abroad's country, with the place and the code meant, never the code typed.
TEST_F(ValidationTest, ACodeThatIsNoOnesCitizenshipIsRefusedForCitizenshipAndACourtAbroad) {
  for (const auto& [code, hint] : std::vector<std::pair<std::string, std::string>>{
           {"AQ", "Antarctica's code: no one is its citizen and no court sits there"},
           {"BV", "Bouvet Island's code, a territory without people: for Norway, NO"},
           {"HM", "the code of Heard Island and McDonald Islands, a territory without people: "
                  "for Australia, AU"},
           {"DG", "reserved for Diego Garcia, no country: for the United Kingdom, GB"},
           {"EA", "reserved for Ceuta and Melilla, no country: for Spain, ES"},
           {"IC", "reserved for the Canary Islands, no country: for Spain, ES"}}) {
    SCOPED_TRACE(code);
    EXPECT_FALSE(IsCountryCode(code));
    person_.set_citizenships(0, code);
    EXPECT_EQ(Validate().message(),
              absl::StrCat("person.citizenships[0]: no country's code (", hint, ")"));
    person_.set_citizenships(0, "XK");
    conviction_.set_court_id("foreign");
    conviction_.set_foreign_court("Tribunal");
    conviction_.set_foreign_country(code);
    EXPECT_EQ(Validate().message(),
              absl::StrCat("conviction.foreign_country: no country's code (", hint, ")"));
    person_.Clear();
    conviction_.Clear();
    MakeValidRecord(&person_, &conviction_);
  }
  EXPECT_TRUE(IsCountryCode("NO"));
  EXPECT_TRUE(IsCountryCode("ES"));
}

// The codes registry-cli checks (common/country_codes.h) are the ones registryd took from ICU,
// with XK: a code one takes the other must not refuse.
TEST(StaticValidationTest, TheSharedCountryCodesAreIcusWithKosovo) {
  std::vector<std::string> icu = {"XK"};
  for (const char* const* c = uloc_getISOCountries(); *c != nullptr; ++c) icu.emplace_back(*c);
  std::sort(icu.begin(), icu.end());
  icu.erase(std::unique(icu.begin(), icu.end()), icu.end());
  EXPECT_EQ(std::string(kCountryCodes), absl::StrJoin(icu, " "));
}

// Correcting a birth date so that the person was under 14 at the judgment blamed the judgment
// date ("Amend it too") and called the final date one before the judgment, though it was after
// it. An amendment of the birth date alone is told of the birth date, and the final date is held
// to the judgment as it stands.
TEST_F(ValidationTest, ABirthDateAmendedToUnder14AtTheJudgmentIsSaidOfTheBirthDate) {
  conviction_.set_judgment_date("2022-03-01");
  conviction_.set_final_date("2022-03-31");
  conviction_.clear_bans();
  conviction_.clear_release_date();
  person_.set_birth_date("2010-01-01");
  const std::string birth =
      "person.birth_date: makes the person under 14 on the judgment date (no one is convicted "
      "under 14): check the date of birth";
  for (const std::vector<std::string>& amended :
       std::vector<std::vector<std::string>>{{"person.birth_date"}, {"person"},
                                             {"person.surname", "person.birth_date"}}) {
    EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, amended).message(), birth);
  }
  // A new record, or an amendment of both dates: either may be the wrong one, and both are
  // named; the final date, after the judgment as typed, is not.
  const std::string judgment =
      "conviction.judgment_date: must be on or after the person's 14th birthday and not in the "
      "future";
  EXPECT_EQ(Validate().message(), absl::StrCat(birth, "; ", judgment));
  EXPECT_EQ(validator_
                ->ValidateRecord(person_, conviction_,
                                 {"person.birth_date", "conviction.judgment_date"})
                .message(),
            absl::StrCat(birth, "; ", judgment));
  // An amendment of the judgment date alone is told of the judgment date.
  EXPECT_EQ(
      validator_->ValidateRecord(person_, conviction_, {"conviction.judgment_date"}).message(),
      judgment);
  // A final date before the judgment as typed is wrong whichever date is: it is named.
  conviction_.set_final_date("2022-02-01");
  EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, {"person.birth_date"}).message(),
            birth + "; conviction.final_date: must be on or after the judgment date and not in "
                    "the future");
}

// A birth date typed 2020 for 1980 in a new record was refused as "conviction.judgment_date:
// ...14th birthday...; conviction.final_date: must be on or after the judgment date", the
// birth date unnamed and the final date (after the judgment) held to the 14th birthday of 2034.
// Both dates that may be wrong are named, and the final date follows the judgment as typed.
TEST_F(ValidationTest, AJudgmentUnder14InANewRecordNamesTheBirthDateAndNotTheFinalDate) {
  const std::string both =
      "person.birth_date: makes the person under 14 on the judgment date (no one is convicted "
      "under 14): check the date of birth; conviction.judgment_date: must be on or after the "
      "person's 14th birthday and not in the future";
  conviction_.clear_bans();
  conviction_.clear_release_date();
  for (const auto& [birth, judgment, final_date] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"2020-01-01", "2025-03-01", "2025-05-02"},
           {"2009-06-01", "2022-05-01", "2022-06-15"}}) {
    SCOPED_TRACE(birth);
    person_.set_birth_date(birth);
    conviction_.set_judgment_date(judgment);
    conviction_.set_final_date(final_date);
    EXPECT_EQ(Validate().message(), both);
    // Amended (an import or a correction of another field), it is said alike.
    EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, {"person.surname"}).message(),
              both);
  }
  // A final date before the judgment as typed is still named: no date makes it right.
  conviction_.set_final_date("2022-04-30");
  EXPECT_EQ(Validate().message(),
            both + "; conviction.final_date: must be on or after the judgment date and not in "
                   "the future");
}

// A record whose final date is before its judgment date: that does not hide the
// ban and release dates that are wrong whatever the final date becomes: they are named with it.
TEST_F(ValidationTest, AFinalDateBeforeTheJudgmentDoesNotHideTheDatesThatFollowIt) {
  conviction_.set_judgment_date("2025-03-03");
  conviction_.set_final_date("2025-01-01");
  conviction_.mutable_bans(0)->set_end_date("2020-01-01");
  conviction_.set_release_date("2019-01-01");
  constexpr absl::string_view kJudgment =
      "conviction.judgment_date: is after the date the judgment became final: check both dates, "
      "either may be the wrong one; ";
  EXPECT_EQ(Validate().message(),
            absl::StrCat(kJudgment,
                         "conviction.final_date: must be on or after the judgment date and not "
                         "in the future; conviction.bans[0].end_date: empty (for life) or a date "
                         "YYYY-MM-DD on or after the date the judgment became final, within 100 "
                         "years of it; conviction.release_date: a date YYYY-MM-DD on or after the "
                         "judgment date, within 100 years of it"));
  // A ban on or after the judgment could be right once the final date is: not named.
  conviction_.mutable_bans(0)->set_end_date("2025-03-03");
  conviction_.set_release_date("2025-03-03");
  EXPECT_EQ(Validate().message(),
            absl::StrCat(kJudgment, "conviction.final_date: must be on or after the judgment date "
                                    "and not in the future"));
}

// The same for every date counted from one that is wrong or missing: each is checked against
// the days a right one could be, so one answer names every field there is to correct.
TEST_F(ValidationTest, ADateCountedFromAWrongOneIsCheckedAgainstWhatIsKnown) {
  // A final date in the future: a verification period ending before the judgment's first
  // anniversary, or more than five years after today, is wrong whatever the final date is.
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
  conviction_.mutable_sentence()->set_months(12);
  conviction_.clear_release_date();
  conviction_.set_final_date("2026-01-01");
  for (const char* end : {"2025-02-28", "2030-06-02"}) {
    SCOPED_TRACE(end);
    conviction_.set_suspension_end_date(end);
    EXPECT_EQ(Validate().message(),
              "conviction.final_date: must be on or after the judgment date and not in the "
              "future; conviction.suspension_end_date: a date YYYY-MM-DD one to five years after "
              "the date the judgment became final");
  }
  conviction_.set_suspension_end_date("2025-05-15");  // right for a final date of 2024-05-15
  EXPECT_EQ(Validate().message(),
            "conviction.final_date: must be on or after the judgment date and not in the future");

  // No judgment date: the final date, release and ban are held to the 14th birthday (1994-04-12),
  // the earliest a right judgment could be; a ban beyond a century after today is wrong too.
  person_.Clear();
  conviction_.Clear();
  MakeValidRecord(&person_, &conviction_);
  conviction_.clear_judgment_date();
  conviction_.set_final_date("1994-04-11");
  conviction_.set_release_date("1994-01-01");
  conviction_.mutable_bans(0)->set_end_date("2125-06-02");
  EXPECT_EQ(Validate().message(),
            "conviction.judgment_date: required, a date YYYY-MM-DD; "
            "conviction.final_date: must be on or after the judgment date and not in the future; "
            "conviction.bans[0].end_date: empty (for life) or a date YYYY-MM-DD on or after the "
            "date the judgment became final, within 100 years of it; "
            "conviction.release_date: a date YYYY-MM-DD on or after the judgment date, within "
            "100 years of it");
}

// A list over its limit does not hide its entries: those up to the limit are checked and named
// in the same answer (no more than the limit's worth).
TEST_F(ValidationTest, AListOverItsLimitStillHasItsEntriesChecked) {
  for (int i = 0; i < 11; ++i) {
    person_.add_aliases(i == 2 ? "B@d" : absl::StrCat("Alias", std::string(1, 'a' + i)));
  }
  for (const char* code : {"AL", "QQ", "RS", "DE", "CH"}) person_.add_citizenships(code);
  for (int i = 0; i < 20; ++i) *conviction_.add_offences() = conviction_.offences(0);
  for (int i = 0; i < 10; ++i) *conviction_.add_bans() = conviction_.bans(0);
  conviction_.mutable_bans(3)->set_end_date("2020-01-01");
  EXPECT_EQ(std::string(Validate().message()),
            "person.aliases: at most 10; "
            "person.aliases[2]: 1..100 letters, spaces, hyphens or apostrophes; "
            "person.citizenships: at most 5; "
            "person.citizenships[2]: not a country code in ISO 3166-1; "
            "conviction.offences: 1..20 offences; " +
                [] {
                  std::string duplicates;
                  for (int i = 1; i < 20; ++i) {
                    absl::StrAppend(&duplicates, "conviction.offences[", i,
                                    "]: duplicate offence; ");
                  }
                  return duplicates;
                }() +
                "conviction.bans: at most 10; "
                "conviction.bans[3].end_date: empty (for life) or a date YYYY-MM-DD on or after "
                "the date the judgment became final, within 100 years of it");
}

// Without a sentence type, the fields whose rule depends on it are held to what some type
// allows: an imprisonment's months and release date are not called wrong for want of the type,
// a length no type allows and a release before the judgment are.
TEST_F(ValidationTest, WithoutASentenceTypeOnlyWhatNoTypeAllowsIsNamed) {
  conviction_.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_UNSPECIFIED);
  EXPECT_EQ(Validate().message(), "conviction.sentence.type: required");
  conviction_.mutable_sentence()->set_months(601);
  conviction_.set_release_date("2024-02-01");
  conviction_.set_suspension_end_date("2024-06-01");
  EXPECT_EQ(Validate().message(),
            "conviction.sentence.type: required; "
            "conviction.sentence.months: 1..600 for imprisonment or a suspended sentence; "
            "conviction.release_date: a date YYYY-MM-DD on or after the judgment date, within "
            "100 years of it; "
            "conviction.suspension_end_date: a date YYYY-MM-DD one to five years after the date "
            "the judgment became final");
}

// A court missing from the table leaves open whether the foreign court's fields are required
// or must be empty; what is given is still held to the form it would have for a foreign court.
TEST_F(ValidationTest, AnUnknownCourtStillHasTheForeignCourtsFieldsChecked) {
  conviction_.set_court_id("no-such-court");
  conviction_.set_foreign_court("Landgericht\x01" "Berlin");
  conviction_.set_foreign_country("XK");
  EXPECT_EQ(Validate().message(),
            "conviction.court_id: not in the court table; "
            "conviction.foreign_court: 1..200 characters of valid UTF-8, no control characters; "
            "conviction.foreign_country: XK is Kosovo: a court abroad is given its own country's "
            "code (a court of Kosovo is one of the registry's courts, not foreign)");
  conviction_.set_foreign_court("Landgericht Berlin");
  conviction_.set_foreign_country("DE");
  EXPECT_EQ(Validate().message(), "conviction.court_id: not in the court table");
}

TEST_F(ValidationTest, EveryBadCandidateFieldIsNamedInOneAnswer) {
  const absl::Status status =
      validator_->ValidateCandidate("12345", "K3rqeli", "Arben", "1980-02-30");
  EXPECT_EQ(status.message(),
            "personal_number: does not match the personal number format (10 digits); "
            "surname: 1..100 letters, spaces, hyphens or apostrophes; "
            "birth_date: must be a real date YYYY-MM-DD from 1900-01-01");
}

// --- Each rule rejects its bad value ---------------------------------------------------------

struct BadCase {
  std::string name;
  std::function<void(Person*, Conviction*)> mutate;
  std::string field;
  // Must not appear in the message; empty for values that are not text.
  std::string bad_value;
};

std::vector<BadCase> BadCases() {
  using P = Person*;
  using C = Conviction*;
  std::vector<BadCase> cases = {
      // Names.
      {"SurnameEmpty", [](P p, C) { p->clear_surname(); }, "person.surname", ""},
      {"SurnameWithDigit", [](P p, C) { p->set_surname("Kërqeli7"); }, "person.surname",
       "Kërqeli7"},
      {"SurnameTooLong", [](P p, C) { p->set_surname(Repeat("ë", 101)); }, "person.surname",
       Repeat("ë", 101)},
      {"SurnameInvalidUtf8", [](P p, C) { p->set_surname("Kerq\xC3"); }, "person.surname",
       "Kerq"},
      {"SurnameOverlongUtf8", [](P p, C) { p->set_surname("Kerq\xC1\x81"); }, "person.surname",
       "Kerq"},
      {"SurnameOnlyPunctuation", [](P p, C) { p->set_surname("-' "); }, "person.surname", ""},
      {"SurnameWithNewline", [](P p, C) { p->set_surname("Kerqeli\nX"); }, "person.surname",
       "Kerqeli"},
      {"SurnameWithZeroWidthSpace",
       [](P p, C) { p->set_surname("Kerq\xE2\x80\x8B" "eli"); }, "person.surname", "Kerq"},
      {"GivenNameEmpty", [](P p, C) { p->clear_given_name(); }, "person.given_name", ""},
      {"GivenNameWithSymbol", [](P p, C) { p->set_given_name("Arben!"); }, "person.given_name",
       "Arben!"},
      {"FatherNameWithDigit", [](P p, C) { p->set_father_name("Ilir2"); }, "person.father_name",
       "Ilir2"},
      {"TooManyAliases",
       [](P p, C) {
         for (int i = 0; i < 11; ++i) p->add_aliases("Alias");
       },
       "person.aliases", ""},
      {"AliasInvalid",
       [](P p, C) {
         p->add_aliases("Good");
         p->add_aliases("B@d");
       },
       "person.aliases[1]", "B@d"},
      {"AliasEmpty", [](P p, C) { p->add_aliases(""); }, "person.aliases[0]", ""},
      // Sex.
      {"SexUnspecified", [](P p, C) { p->set_sex(registry::v1::SEX_UNSPECIFIED); },
       "person.sex", ""},
      {"SexUnknownValue", [](P p, C) { p->set_sex(static_cast<registry::v1::Sex>(7)); },
       "person.sex", ""},
      // Birth date.
      {"BirthDateEmpty", [](P p, C) { p->clear_birth_date(); }, "person.birth_date", ""},
      {"BirthDateNotACalendarDay", [](P p, C) { p->set_birth_date("1980-02-30"); },
       "person.birth_date", "1980-02-30"},
      {"BirthDateOtherFormat", [](P p, C) { p->set_birth_date("12.04.1980"); },
       "person.birth_date", "12.04.1980"},
      {"BirthDateBefore1900", [](P p, C) { p->set_birth_date("1899-12-31"); },
       "person.birth_date", "1899-12-31"},
      {"BirthDateToday", [](P p, C) { p->set_birth_date("2025-06-01"); }, "person.birth_date",
       "2025-06-01"},
      {"BirthDateInFuture", [](P p, C) { p->set_birth_date("2030-01-01"); },
       "person.birth_date", "2030-01-01"},
      // Birth place, citizenships, address.
      {"BirthPlaceTooLong", [](P p, C) { p->set_birth_place(Repeat("Ş", 101)); },
       "person.birth_place", Repeat("Ş", 101)},
      {"BirthPlaceWithControl", [](P p, C) { p->set_birth_place("Prizren\t"); },
       "person.birth_place", "Prizren"},
      {"TooManyCitizenships",
       [](P p, C) {
         p->clear_citizenships();
         for (const char* c : {"AL", "RS", "DE", "CH", "AT", "IT"}) p->add_citizenships(c);
       },
       "person.citizenships", ""},
      {"CitizenshipLowerCase", [](P p, C) { p->set_citizenships(0, "xk"); },
       "person.citizenships[0]", "xk"},
      {"CitizenshipThreeLetters", [](P p, C) { p->set_citizenships(0, "KOS"); },
       "person.citizenships[0]", "KOS"},
      // The shape of a code is not a country.
      {"CitizenshipNoSuchCountry", [](P p, C) { p->set_citizenships(0, "QQ"); },
       "person.citizenships[0]", "QQ"},
      {"CitizenshipUnknownRegion", [](P p, C) { p->set_citizenships(0, "ZZ"); },
       "person.citizenships[0]", "ZZ"},
      {"CitizenshipDuplicate", [](P p, C) { p->add_citizenships("XK"); },
       "person.citizenships[1]", ""},
      {"AddressTooLong", [](P p, C) { p->set_last_known_address(Repeat("a", 201)); },
       "person.last_known_address", Repeat("a", 201)},
      {"AddressWithBell", [](P p, C) { p->set_last_known_address("Rruga B\x07"); },
       "person.last_known_address", "Rruga"},
      {"AddressWithBidiOverride",
       [](P p, C) { p->set_last_known_address("Rruga \xE2\x80\xAE" "B"); },
       "person.last_known_address", "Rruga"},
      // Personal number.
      {"PersonalNumberEmpty", [](P p, C) { p->clear_personal_number(); },
       "person.personal_number", ""},
      {"PersonalNumberNineDigits", [](P p, C) { p->set_personal_number("123456789"); },
       "person.personal_number", "123456789"},
      {"PersonalNumberElevenDigits", [](P p, C) { p->set_personal_number("12345678901"); },
       "person.personal_number", "12345678901"},
      {"PersonalNumberLetters", [](P p, C) { p->set_personal_number("12345abcde"); },
       "person.personal_number", "12345abcde"},
      {"PersonalNumberWithSpace", [](P p, C) { p->set_personal_number("12345 67890"); },
       "person.personal_number", "12345 67890"},
      {"PersonalNumberHuge",
       [](P p, C) { p->set_personal_number(std::string(100000, '1')); },
       "person.personal_number", std::string(40, '1')},
      // Court.
      {"CourtUnknown", [](P, C c) { c->set_court_id("basic-unknown"); }, "conviction.court_id",
       "basic-unknown"},
      {"CourtEmpty", [](P, C c) { c->clear_court_id(); }, "conviction.court_id", ""},
      {"ForeignCourtMissing",
       [](P, C c) {
         c->set_court_id("foreign");
         c->set_foreign_country("DE");
       },
       "conviction.foreign_court", ""},
      {"ForeignCourtTooLong",
       [](P, C c) {
         c->set_court_id("foreign");
         c->set_foreign_court(Repeat("x", 201));
         c->set_foreign_country("DE");
       },
       "conviction.foreign_court", Repeat("x", 201)},
      {"ForeignCountryMissing",
       [](P, C c) {
         c->set_court_id("foreign");
         c->set_foreign_court("Landgericht Berlin");
       },
       "conviction.foreign_country", ""},
      {"ForeignCountryKosovo",
       [](P, C c) {
         c->set_court_id("foreign");
         c->set_foreign_court("Landgericht Berlin");
         c->set_foreign_country("XK");
       },
       "conviction.foreign_country", ""},
      {"ForeignCountryNoSuchCountry",
       [](P, C c) {
         c->set_court_id("foreign");
         c->set_foreign_court("Landgericht Berlin");
         c->set_foreign_country("QQ");
       },
       "conviction.foreign_country", ""},
      {"ForeignCountryLowerCase",
       [](P, C c) {
         c->set_court_id("foreign");
         c->set_foreign_court("Landgericht Berlin");
         c->set_foreign_country("de");
       },
       "conviction.foreign_country", ""},
      {"ForeignCourtWithKosovoCourt",
       [](P, C c) { c->set_foreign_court("Landgericht Berlin"); }, "conviction.foreign_court",
       "Landgericht"},
      {"ForeignCountryWithKosovoCourt", [](P, C c) { c->set_foreign_country("DE"); },
       "conviction.foreign_country", ""},
      // Case number.
      {"CaseNumberEmpty", [](P, C c) { c->clear_case_number(); }, "conviction.case_number",
       ""},
      {"CaseNumberTooLong", [](P, C c) { c->set_case_number(Repeat("P", 65)); },
       "conviction.case_number", Repeat("P", 65)},
      {"CaseNumberWithSemicolon", [](P, C c) { c->set_case_number("P 123/2024;"); },
       "conviction.case_number", "P 123/2024;"},
      {"CaseNumberOnlySeparators", [](P, C c) { c->set_case_number("//-"); },
       "conviction.case_number", "//-"},
      // Judgment and final dates.
      {"JudgmentDateEmpty", [](P, C c) { c->clear_judgment_date(); },
       "conviction.judgment_date", ""},
      {"JudgmentDateMalformed", [](P, C c) { c->set_judgment_date("2024-13-01"); },
       "conviction.judgment_date", "2024-13-01"},
      {"JudgmentDateInFuture", [](P, C c) { c->set_judgment_date("2025-06-02"); },
       "conviction.judgment_date", "2025-06-02"},
      // Said of the birth date first (either may be wrong: both are named).
      {"JudgmentDateBeforeBirth", [](P, C c) { c->set_judgment_date("1979-01-01"); },
       "person.birth_date", "1979-01-01"},
      {"JudgmentDateBeforeFourteenthBirthday",
       [](P, C c) { c->set_judgment_date("1994-04-11"); }, "person.birth_date",
       "1994-04-11"},
      {"FinalDateEmpty", [](P, C c) { c->clear_final_date(); }, "conviction.final_date", ""},
      {"FinalDateMalformed", [](P, C c) { c->set_final_date("2024-5-15"); },
       "conviction.final_date", "2024-5-15"},
      // Either date may be the wrong one: both are named, the judgment date first.
      {"FinalDateBeforeJudgment", [](P, C c) { c->set_final_date("2024-02-29"); },
       "conviction.judgment_date", "2024-02-29"},
      {"FinalDateInFuture", [](P, C c) { c->set_final_date("2025-06-02"); },
       "conviction.final_date", "2025-06-02"},
      // Offences.
      {"NoOffences", [](P, C c) { c->clear_offences(); }, "conviction.offences", ""},
      {"TwentyOneOffences",
       [](P, C c) {
         c->clear_offences();
         for (uint32_t i = 1; i <= 21; ++i) {
           registry::v1::Offence* o = c->add_offences();
           o->set_law("06/L-074");
           o->set_article(230);
           o->set_paragraph(i);
         }
       },
       "conviction.offences", ""},
      {"OffenceNotInTable",
       [](P, C c) {
         registry::v1::Offence* o = c->add_offences();
         o->set_law("06/L-074");
         o->set_article(150);
       },
       "conviction.offences[1]", "150"},
      {"OffenceUnknownLaw",
       [](P, C c) { c->mutable_offences(0)->set_law("05/L-123"); }, "conviction.offences[0]",
       "05/L-123"},
      {"OffenceHugeLaw",
       [](P, C c) { c->mutable_offences(0)->set_law(std::string(10000, '0')); },
       "conviction.offences[0]", std::string(20, '0')},
      {"OffenceArticleZero", [](P, C c) { c->mutable_offences(0)->set_article(0); },
       "conviction.offences[0]", ""},
      {"OffenceArticleTooLarge", [](P, C c) { c->mutable_offences(0)->set_article(1230); },
       "conviction.offences[0]", "1230"},
      {"OffenceParagraphTooLarge",
       // Art. 230 has a whole-article entry, so only the range check can refuse §100.
       [](P, C c) { c->mutable_offences(0)->set_paragraph(100); }, "conviction.offences[0]",
       "100"},
      {"OffenceSwitchedOff",
       [](P, C c) {
         c->mutable_offences(0)->set_article(183);
         c->mutable_offences(0)->set_paragraph(0);
       },
       "conviction.offences[0]", "183"},
      // Refused with the article's paragraphs the table lists (its reference data, as the
      // choices are), never the paragraph typed.
      {"OffenceParagraphOnlyArticle",
       [](P, C c) {
         c->mutable_offences(0)->set_article(234);
         c->mutable_offences(0)->set_paragraph(7);
       },
       "conviction.offences[0]", "234:7"},
      {"OffenceDuplicate", [](P, C c) { *c->add_offences() = c->offences(0); },
       "conviction.offences[1]", ""},
      // Sentence.
      {"SentenceTypeUnspecified",
       [](P, C c) { c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_UNSPECIFIED); },
       "conviction.sentence.type", ""},
      {"SentenceTypeUnknownValue",
       [](P, C c) {
         c->mutable_sentence()->set_type(static_cast<registry::v1::SentenceType>(99));
       },
       "conviction.sentence.type", "99"},
      {"ImprisonmentWithoutMonths", [](P, C c) { c->mutable_sentence()->set_months(0); },
       "conviction.sentence.months", ""},
      {"ImprisonmentTooLong", [](P, C c) { c->mutable_sentence()->set_months(601); },
       "conviction.sentence.months", "601"},
      {"SuspendedWithoutMonths",
       [](P, C c) {
         c->clear_release_date();
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
         c->mutable_sentence()->set_months(0);
       },
       "conviction.sentence.months", ""},
      {"FineWithMonths",
       [](P, C c) {
         c->clear_release_date();
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_FINE);
         c->mutable_sentence()->set_months(12);
       },
       "conviction.sentence.months", ""},
      // Bans.
      {"TooManyBans",
       [](P, C c) {
         for (int i = 0; i < 10; ++i) *c->add_bans() = c->bans(0);
       },
       "conviction.bans", ""},
      {"BanTypeUnspecified",
       [](P, C c) { c->mutable_bans(0)->set_type(registry::v1::BAN_TYPE_UNSPECIFIED); },
       "conviction.bans[0].type", ""},
      {"BanTypeUnknownValue",
       [](P, C c) { c->mutable_bans(0)->set_type(static_cast<registry::v1::BanType>(42)); },
       "conviction.bans[0].type", "42"},
      {"BanEndsBeforeFinalDate",
       [](P, C c) { c->mutable_bans(0)->set_end_date("2024-05-14"); },
       "conviction.bans[0].end_date", "2024-05-14"},
      {"BanEndMalformed", [](P, C c) { c->mutable_bans(0)->set_end_date("forever"); },
       "conviction.bans[0].end_date", "forever"},
      // A century after the day the judgment became final is the last day a ban may end: a
      // year like 9995 would give retention dates with a five-digit year, which sort before
      // today as text (and the record would be erased at once).
      {"BanEndsMoreThanACenturyAfterFinalDate",
       [](P, C c) { c->mutable_bans(0)->set_end_date("2124-05-16"); },
       "conviction.bans[0].end_date", "2124-05-16"},
      {"BanEndsInYear9995", [](P, C c) { c->mutable_bans(0)->set_end_date("9995-01-01"); },
       "conviction.bans[0].end_date", "9995-01-01"},
      // Release.
      {"ReleaseBeforeJudgment", [](P, C c) { c->set_release_date("2024-02-29"); },
       "conviction.release_date", "2024-02-29"},
      {"ReleaseMalformed", [](P, C c) { c->set_release_date("2027-02-29"); },
       "conviction.release_date", "2027-02-29"},
      {"ReleaseMoreThanACenturyAfterJudgment", [](P, C c) { c->set_release_date("2124-03-02"); },
       "conviction.release_date", "2124-03-02"},
      {"ReleaseInYear9995", [](P, C c) { c->set_release_date("9995-03-01"); },
       "conviction.release_date", "9995-03-01"},
      // The day of release, if released: a date to come is a plan or a slip, and would start the
      // retention periods that much later.
      {"ReleaseInTheFuture", [](P, C c) { c->set_release_date("2121-12-31"); },
       "conviction.release_date", "2121-12-31"},
      {"ReleaseWithoutImprisonment",
       [](P, C c) {
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
         c->mutable_sentence()->set_months(24);
       },
       "conviction.release_date", "2025-03-01"},
      // End of a suspended sentence's verification period.
      {"SuspensionEndWithoutSuspendedSentence",
       [](P, C c) { c->set_suspension_end_date("2027-05-15"); },
       "conviction.suspension_end_date", "2027-05-15"},
      {"SuspensionEndBeforeFinalDate",
       [](P, C c) {
         c->clear_release_date();
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
         c->mutable_sentence()->set_months(24);
         c->set_suspension_end_date("2024-05-14");
       },
       "conviction.suspension_end_date", "2024-05-14"},
      {"SuspensionEndOnFinalDate",
       [](P, C c) {
         c->clear_release_date();
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
         c->mutable_sentence()->set_months(24);
         c->set_suspension_end_date("2024-05-15");
       },
       "conviction.suspension_end_date", "2024-05-15"},
      {"SuspensionEndADayBeforeOneYear",
       [](P, C c) {
         c->clear_release_date();
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
         c->mutable_sentence()->set_months(24);
         c->set_suspension_end_date("2025-05-14");
       },
       "conviction.suspension_end_date", "2025-05-14"},
      {"SuspensionEndADayAfterFiveYears",
       [](P, C c) {
         c->clear_release_date();
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
         c->mutable_sentence()->set_months(24);
         c->set_suspension_end_date("2029-05-16");
       },
       "conviction.suspension_end_date", "2029-05-16"},
      {"SuspensionEndMalformed",
       [](P, C c) {
         c->clear_release_date();
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
         c->mutable_sentence()->set_months(24);
         c->set_suspension_end_date("2027-02-30");
       },
       "conviction.suspension_end_date", "2027-02-30"},
      {"SuspensionEndInYear9999",
       [](P, C c) {
         c->clear_release_date();
         c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_SUSPENDED);
         c->mutable_sentence()->set_months(24);
         c->set_suspension_end_date("9999-12-31");
       },
       "conviction.suspension_end_date", "9999-12-31"},
      // Juvenile: the birth date (and the judgment date) named first, either may be wrong.
      {"MinorNotMarkedJuvenile", [](P p, C) { p->set_birth_date("2007-01-01"); },
       "person.birth_date", "2007-01-01"},
      {"MinorOneDayBefore18NotMarkedJuvenile", [](P p, C) { p->set_birth_date("2006-03-02"); },
       "person.birth_date", "2006-03-02"},
  };
  return cases;
}

// gtest prints the case's name instead of its bytes.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadValueTest : public ValidationTest, public ::testing::WithParamInterface<BadCase> {};

TEST_P(BadValueTest, RejectsWithFieldNameAndWithoutValue) {
  GetParam().mutate(&person_, &conviction_);
  ExpectInvalid(Validate(), GetParam().field, GetParam().bad_value);
}

// A rule names the fields it compares with in plain words ("the judgment date"), never by their
// API names: the clients put their own name for the field before the rule, and "--final-date:
// must be on or after judgment_date" named a field no clerk types.
TEST_P(BadValueTest, TheRuleNamesNoFieldByItsApiName) {
  GetParam().mutate(&person_, &conviction_);
  const absl::Status status = Validate();
  for (absl::string_view problem : absl::StrSplit(status.message(), "; ")) {
    const size_t colon = problem.find(": ");
    const absl::string_view rule = colon == absl::string_view::npos ? problem
                                                                    : problem.substr(colon + 2);
    EXPECT_FALSE(std::regex_search(rule.begin(), rule.end(), std::regex("[a-z]+_[a-z_]+")))
        << status;
  }
}

INSTANTIATE_TEST_SUITE_P(EachRule, BadValueTest, ::testing::ValuesIn(BadCases()),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return info.param.name;
                         });

// An alias is another name the person used: the surname again, or an alias again, as the
// registry compares names (case, accents and alphabet aside: GASHI is Gashi, Петровић is
// Petrović), adds nothing a search would not find, and is refused as a repeated citizenship is,
// naming the later entry and never the name.
TEST_F(ValidationTest, AnAliasRepeatingAnotherOrTheSurnameIsRefusedAsTheRegistryComparesNames) {
  person_.set_surname("Kërqeli");
  person_.add_aliases("Gashi");
  person_.add_aliases("GASHI");
  person_.add_aliases("KERQELI");
  person_.add_aliases("Petrovi\xc4\x87");  // Petrović
  // Петровић
  person_.add_aliases("\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x9b");
  person_.add_aliases("Berisha");
  const absl::Status status = Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()),
            "person.aliases[1]: duplicate: another alias is the same name (names compare "
            "without case, accents or alphabet); "
            "person.aliases[2]: the surname again (names compare without case, accents or "
            "alphabet): an alias is another name the person used; "
            "person.aliases[4]: duplicate: another alias is the same name (names compare "
            "without case, accents or alphabet)");
  for (const char* name : {"Gashi", "GASHI", "KERQELI", "Petrovi"}) {
    EXPECT_FALSE(absl::StrContains(status.message(), name)) << status;
  }
  person_.clear_aliases();
  person_.add_aliases("Gashi");
  person_.add_aliases("Berisha");
  EXPECT_TRUE(Validate().ok()) << Validate();
}

// A surname in Greek capitals that look Latin (ΗΟΧΗΑ reads HOXHA) was stored, and then no court
// search and no vetting under another number found it; Georgian, Armenian, Arabic and Chinese
// names were taken too. A name is written in Latin or Cyrillic letters, as the judgment writes
// it: a letter of another script is refused naming the script and the letter (by code point and
// Unicode name, a Greek look-alike with the Latin letter it passes for), never the name.
TEST(StaticValidationTest, ANameWithALetterOfAnotherScriptIsToldToBeWrittenInLatinOrCyrillic) {
  constexpr absl::string_view kWrite =
      ": write the name in Latin or Cyrillic letters, as the judgment writes it";
  for (const auto& [name, said] : std::vector<std::pair<std::string, std::string>>{
           {"\xce\x97\xce\x9f\xce\xa7\xce\x97\xce\x91",  // ΗΟΧΗΑ
            "Greek, U+0397 greek capital letter eta, which looks like Latin H"},
           {"Hox\xce\x97" "a",  // Greek Η inside a Latin word
            "Greek, U+0397 greek capital letter eta, which looks like Latin H"},
           {"\xe1\x83\x92\xe1\x83\x94\xe1\x83\x9a\xe1\x83\x90",  // გელა (Georgian)
            "Georgian, U+10D2 georgian letter gan"},
           {"\xd5\x80\xd5\xa1\xd5\xb5",  // Հայ (Armenian)
            "Armenian, U+0540 armenian capital letter ho"},
           {"\xd8\xad\xd8\xb3\xd9\x86",  // حسن (Arabic)
            "Arabic, U+062D arabic letter hah"},
           {"\xe7\x8e\x8b",  // 王
            "Han, U+738B cjk unified ideograph-738b"}}) {
    SCOPED_TRACE(said);
    const absl::Status status = RecordValidator::ValidateName("person.surname", name, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(),
              absl::StrCat("person.surname: holds a letter of another script than Latin or "
                           "Cyrillic (", said, ")", kWrite));
    EXPECT_FALSE(absl::StrContains(status.message(), name)) << status;
  }
  // Latin and Cyrillic, with their letters of every language, are names as before.
  for (const char* name : {"Kërqeli", "Đorđević",
                           "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x9b",
                           "M\xc3\xbcller", "\xc5\x81ukasz"}) {
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", name, true).ok()) << name;
  }
}

// A superscript or modifier letter (Berishaª, Berʰsha) reads as the plain letter raised; a
// fullwidth or mathematical letter (Ｂerisha, 𝐁erisha) as the plain one: each is said, with the
// plain letter to type. The modifier letter apostrophe stays an apostrophe.
TEST(StaticValidationTest, ARaisedOrStyledLetterIsRefusedWithThePlainLetterToType) {
  constexpr absl::string_view kModifier =
      "person.surname: holds a superscript or modifier letter (a raised or lowered letter): type "
      "the plain letter";
  constexpr absl::string_view kStyled =
      "person.surname: holds a fullwidth or mathematical letter (a letter of another width or "
      "typeface): type the plain letter";
  for (const auto& [name, said] : std::vector<std::pair<std::string, absl::string_view>>{
           {"Berisha\xc2\xaa", kModifier},         // U+00AA feminine ordinal
           {"Ber\xca\xb0sha", kModifier},          // U+02B0 modifier small h
           {"Gash\xe2\x81\xb1", kModifier},        // U+2071 superscript i
           {"\xef\xbc\xa2" "erisha", kStyled},     // U+FF22 fullwidth B
           {"\xf0\x9d\x90\x81" "erisha", kStyled}}) {  // U+1D401 mathematical bold B
    const absl::Status status = RecordValidator::ValidateName("person.surname", name, true);
    EXPECT_EQ(status.message(), said) << name;
  }
  EXPECT_TRUE(RecordValidator::ValidateName("person.surname", "O\xca\xbc" "Brien", true).ok());
}

// Two marks on a letter are written (ệ: e, circumflex, dot below); more are marks piled on it.
TEST(StaticValidationTest, MoreThanTwoMarksOnOneLetterAreRefused) {
  EXPECT_TRUE(
      RecordValidator::ValidateName("person.surname", "Nguye\xcc\x82\xcc\xa3n", true).ok());
  const absl::Status status = RecordValidator::ValidateName(
      "person.surname", "Ke\xcc\x88\xcc\x81\xcc\x80rqeli", true);
  EXPECT_EQ(status.message(),
            "person.surname: holds more than two accents on one letter: type the letter with the "
            "accents the person's papers show");
}

// The rule is the same wherever a name is checked: a record's names and aliases, and a vetting
// candidate's (checked before any lookup, so the answer is the same whatever the registry
// holds).
TEST_F(ValidationTest, EveryNameFieldAndACandidatesRefuseALetterOfAnotherScript) {
  const std::string greek = "\xce\x97\xce\x9f\xce\xa7\xce\x97\xce\x91";  // ΗΟΧΗΑ
  const std::string rule =
      "holds a letter of another script than Latin or Cyrillic (Greek, U+0397 greek capital "
      "letter eta, which looks like Latin H): write the name in Latin or Cyrillic letters, as "
      "the judgment writes it";
  person_.set_surname(greek);
  person_.set_given_name(greek);
  person_.set_father_name(greek);
  person_.add_aliases(greek);
  EXPECT_EQ(Validate().message(),
            absl::StrCat("person.surname: ", rule, "; person.given_name: ", rule,
                         "; person.father_name: ", rule, "; person.aliases[0]: ", rule));
  EXPECT_EQ(validator_->ValidateCandidate("1234567890", greek, greek, "1980-04-12").message(),
            absl::StrCat("surname: ", rule, "; given_name: ", rule));
}

// --- Creation and configurable pattern --------------------------------------------------------

TEST_F(ValidationTest, CreateRefusesBadPatternAndMissingDependencies) {
  ValidationOptions options;
  options.personal_number_pattern = "[0-9";
  EXPECT_EQ(RecordValidator::Create(reference_, options, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.personal_number_pattern = "";
  EXPECT_EQ(RecordValidator::Create(reference_, options, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordValidator::Create(nullptr, ValidationOptions(), &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordValidator::Create(reference_, ValidationOptions(), nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ValidationTest, PersonalNumberPatternIsConfigurable) {
  ValidationOptions options;
  options.personal_number_pattern = "[A-Z]{2}[0-9]{6}";
  absl::StatusOr<std::unique_ptr<RecordValidator>> v =
      RecordValidator::Create(reference_, options, &clock_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)->ValidatePersonalNumber("pn", "AB123456").ok());
  ExpectInvalid((*v)->ValidatePersonalNumber("pn", "1234567890"), "pn", "1234567890");
  // The match is full, not a search.
  ExpectInvalid((*v)->ValidatePersonalNumber("pn", "AB1234567"), "pn", "AB1234567");
  ExpectInvalid(validator_->ValidatePersonalNumber("pn", "x1234567890"), "pn", "x1234567890");
}

// --- Vetting candidates ----------------------------------------------------------------------

TEST_F(ValidationTest, CandidateIsValid) {
  EXPECT_TRUE(validator_->ValidateCandidate("1234567890", "Kërqeli", "Arben", "1980-04-12").ok());
}

TEST_F(ValidationTest, CandidateErrorsNameTheRequestField) {
  ExpectInvalid(validator_->ValidateCandidate("12345", "Kërqeli", "Arben", "1980-04-12"),
                "personal_number", "12345");
  ExpectInvalid(validator_->ValidateCandidate("1234567890", "", "Arben", "1980-04-12"),
                "surname", "");
  ExpectInvalid(validator_->ValidateCandidate("1234567890", "K3rqeli", "Arben", "1980-04-12"),
                "surname", "K3rqeli");
  ExpectInvalid(validator_->ValidateCandidate("1234567890", "Kërqeli", "", "1980-04-12"),
                "given_name", "");
  ExpectInvalid(validator_->ValidateCandidate("1234567890", "Kërqeli", "Arben", ""),
                "birth_date", "");
  ExpectInvalid(validator_->ValidateCandidate("1234567890", "Kërqeli", "Arben", "1980-04-31"),
                "birth_date", "1980-04-31");
  ExpectInvalid(validator_->ValidateCandidate("1234567890", "Kërqeli", "Arben", "2025-06-01"),
                "birth_date", "2025-06-01");
}

// --- The static helpers ----------------------------------------------------------------------

TEST(StaticValidationTest, NameRequiredOrOptional) {
  EXPECT_TRUE(RecordValidator::ValidateName("f", "", /*required=*/false).ok());
  ExpectInvalid(RecordValidator::ValidateName("f", "", /*required=*/true), "f", "");
  ExpectInvalid(RecordValidator::ValidateName("f", "1", /*required=*/false), "f", "");
  EXPECT_TRUE(RecordValidator::ValidateName("f", "Ana-Marija D'Ana", true).ok());
}

// A Cyrillic letter that looks Latin inside a Latin word (or the other way) would make the person
// unfindable under the name as it reads: each word is of one alphabet. Whole words of either are
// fine, and so are two words in two alphabets.
TEST(StaticValidationTest, EachWordOfANameIsInOneAlphabet) {
  for (const char* mixed : {"\xd0\xa1" "eku",             // Cyrillic С, then Latin
                            "\xd0\x92" "esnik",           // Cyrillic В
                            "Ra\xd0\xb0xhiu",          // Cyrillic а inside
                            "Ana-\xd0\x9c" "ar\xd0\xb8" "ja"}) {  // the second word mixed
    const absl::Status status = RecordValidator::ValidateName("person.surname", mixed, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << mixed;
    EXPECT_EQ(status.message(),
              "person.surname: each word in one alphabet: Latin or Cyrillic letters, not both")
        << mixed;
  }
  for (const char* one : {"Thaçi", "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x9b",  // Петровић
                          "Ana \xd0\x9c\xd0\xb0\xd1\x80\xd0\xb8\xd1\x98\xd0\xb0",  // Ana Марија
                          "Kërqeli", "E\xcc\x88rza"}) {  // a combining mark is no alphabet
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", one, true).ok()) << one;
  }
}

// A name pasted from a word processor or a PDF may hold a no-break space or an en dash: it then
// looks like one of letters, spaces and hyphens only, so the answer says what is in it and what to
// type instead. The plain forms, and the Unicode hyphen, are accepted.
TEST(StaticValidationTest, ALookAlikeOfASpaceOrHyphenIsSaidAsSuch) {
  for (const char* look_alike : {"Berisha\xc2\xa0Krasniqi",         // U+00A0 no-break space
                                 "Berisha\xe2\x80\x93Krasniqi",     // U+2013 en dash
                                 "Berisha\xe2\x80\x94Krasniqi",     // U+2014 em dash
                                 "Berisha\xe2\x80\xafKrasniqi",     // U+202F narrow no-break
                                 "Berisha\xe2\x80\x91Krasniqi",     // U+2011 non-breaking hyphen
                                 "Berisha\xe2\x88\x92Krasniqi"}) {  // U+2212 minus sign
    const absl::Status status = RecordValidator::ValidateName("person.surname", look_alike, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << look_alike;
    EXPECT_EQ(status.message(),
              "person.surname: holds a look-alike of a space or hyphen (a no-break space, an en "
              "dash): type a plain space or hyphen")
        << look_alike;
  }
  for (const char* plain : {"Berisha Krasniqi", "Berisha-Krasniqi", "Berisha\xe2\x80\x90Krasniqi"}) {
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", plain, true).ok()) << plain;
  }
  // Anything else that is no letter keeps the general rule.
  ExpectInvalid(RecordValidator::ValidateName("person.surname", "Berisha_Krasniqi", true),
                "person.surname", "Berisha_Krasniqi");
}

// A case number pasted from a judgment may hold a no-break space, a figure space or an en dash:
// it was refused as "1..64 letters, digits, spaces or /-.:", which it reads as meeting. The
// look-alike is named by its code point and name, with the plain character to type, as in a
// name, and the case number is not repeated.
TEST_F(ValidationTest, ACaseNumberWithALookAlikeOfASeparatorNamesItAndWhatToType) {
  for (const auto& [number, rule] : std::vector<std::pair<std::string, std::string>>{
           {"P\xC2\xA0" "123/2024", "a space (U+00A0, a no-break space): type a plain space"},
           {"P\xE2\x80\x87" "123/2024", "a space (U+2007, a figure space): type a plain space"},
           {"P\xE2\x80\xAF" "123/2024",
            "a space (U+202F, a narrow no-break space): type a plain space"},
           {"P 123\xE2\x80\x93" "2024", "a hyphen (U+2013, an en dash): type a plain hyphen (-)"},
           {"P 123\xE2\x88\x92" "2024", "a hyphen (U+2212, a minus sign): type a plain hyphen (-)"},
           {"P 123\xE2\x88\x95" "2024",
            "a slash (U+2215, a division slash): type a plain slash (/)"},
           {"P 123\xEF\xBC\x8F" "2024",
            "a slash (U+FF0F, a fullwidth solidus): type a plain slash (/)"},
           {"P 123/2024\xEF\xBC\x9A" "1",
            "a colon (U+FF1A, a fullwidth colon): type a plain colon (:)"}}) {
    SCOPED_TRACE(rule);
    conviction_.set_case_number(number);
    EXPECT_EQ(Validate().message(), "conviction.case_number: holds a look-alike of " + rule);
  }
  // The plain ones, and letters of any alphabet, are a case number's.
  for (const char* plain : {"P 123/2024", "PKR-12.3:2024", "\xD0\x9F 123/2024"}) {
    conviction_.set_case_number(plain);
    EXPECT_TRUE(Validate().ok()) << plain << " " << Validate();
  }
  // Anything else keeps the rule.
  conviction_.set_case_number("P 123/2024;");
  EXPECT_EQ(Validate().message(), "conviction.case_number: 1..64 letters, digits, spaces or /-.:");
}

// The shared words (common/reference_text.h) say a reference's look-alike as a case number's,
// and keep the reference's rule for anything else; the first look-alike is named.
TEST(StaticValidationTest, AReferenceWithALookAlikeIsToldOfItAndOtherwiseOfItsRule) {
  EXPECT_EQ(ReferenceRuleFor("PKR\xC2\xA0" "77/2026"),
            "holds a look-alike of a space (U+00A0, a no-break space): type a plain space");
  EXPECT_EQ(ReferenceRuleFor("PKR 77\xE2\x80\x94" "2026\xC2\xA0"),
            "holds a look-alike of a hyphen (U+2014, an em dash): type a plain hyphen (-)");
  EXPECT_EQ(ReferenceRuleFor("K\xC3\xABrqeli"), kReferenceRule);
  EXPECT_EQ(ReferenceRuleFor("PKR;77"), kReferenceRule);
  EXPECT_EQ(ReferenceRuleFor("PKR\xC2"), kReferenceRule);  // cut UTF-8
  EXPECT_EQ(SeparatorLookAlikeRuleOf("PKR 77/2026"), "");
}

constexpr absl::string_view kApostropheLookAlike =
    "holds a look-alike of an apostrophe (a grave or acute accent, a prime): type a plain "
    "apostrophe (')";
constexpr absl::string_view kEth =
    "holds a look-alike of the Serbian D with stroke (the Icelandic eth, the African D): type D "
    "with stroke or Dj, or a plain D where the person's papers have one";
constexpr absl::string_view kOverlay =
    "holds a stroke or slash typed over a letter (a combining overlay mark): type the letter that "
    "has it, such as D with stroke, or the plain letter";

// An accent or a prime typed for an apostrophe looks like one, so the general rule ("letters,
// spaces, hyphens or apostrophes") would not tell the clerk what to change: the answer says what
// is in the name and what to type instead, and never the name.
TEST(StaticValidationTest, ALookAlikeOfAnApostropheIsSaidAsSuch) {
  for (const char* look_alike : {"D`Amato",                      // U+0060 grave accent
                                 "D\xc2\xb4" "Amato",            // U+00B4 acute accent
                                 "D\xe2\x80\xb2" "Amato",        // U+2032 prime
                                 "D\xe2\x80\x9b" "Amato",        // U+201B reversed-9 quote
                                 "D\xef\xbc\x87" "Amato"}) {     // U+FF07 fullwidth apostrophe
    const absl::Status status = RecordValidator::ValidateName("person.surname", look_alike, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << look_alike;
    EXPECT_EQ(status.message(), absl::StrCat("person.surname: ", kApostropheLookAlike))
        << look_alike;
    EXPECT_FALSE(absl::StrContains(status.message(), "Amato")) << status;
  }
}

// The left single quote is what a word processor types for an apostrophe at the start of a word;
// the search keys drop it as they drop the right one, so it is accepted as that one is.
TEST(StaticValidationTest, EveryApostropheTheSearchKeysDropIsAccepted) {
  for (const char* plain : {"D'Amato",
                            "D\xe2\x80\x98" "Amato",    // U+2018 left single quote
                            "O\xe2\x80\x99" "Brien",    // U+2019 right single quote
                            "O\xca\xbc" "Brien"}) {     // U+02BC modifier letter apostrophe
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", plain, true).ok()) << plain;
  }
}

// The Icelandic eth (U+00D0, U+00F0) and the African D (U+0189) look like the Serbian D with
// stroke, and the eth is what Windows-1250 text read as Windows-1252 makes of it; the search keys fold it to "d", D with stroke to "dj", so
// a person entered with it would never be found as Đorđević, Djordjevic or Ђорђевић. It is
// refused with what to type instead; D with stroke, and Dj, are accepted.
TEST(StaticValidationTest, TheIcelandicEthIsRefusedAsALookAlikeOfDWithStroke) {
  for (const char* eth : {"\xc3\x90" "or\xc4\x91" "evi\xc4\x87",    // Ðorđević
                          "\xc4\x90" "or\xc3\xb0" "evi\xc4\x87",    // Đorðević
                          "Ana \xc3\x90" "or\xc3\xb0" "evi\xc4\x87",
                          "\xc6\x89" "or\xc4\x91" "evi\xc4\x87"}) {  // Ɖorđević, the African D
    const absl::Status status = RecordValidator::ValidateName("person.surname", eth, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << eth;
    EXPECT_EQ(status.message(), absl::StrCat("person.surname: ", kEth)) << eth;
    EXPECT_FALSE(absl::StrContains(status.message(), "evi")) << status;
  }
  for (const char* plain : {"Đorđević", "ĐORĐEVIĆ", "Djordjevic",
                            "\xd0\x82\xd0\xbe\xd1\x80\xd1\x92\xd0\xb5\xd0\xb2\xd0\xb8\xd1\x9b"}) {  // Ђорђевић
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", plain, true).ok()) << plain;
  }
}

// D followed by a combining stroke overlay looks like D with stroke, and the search keys drop the
// mark ("d", not "dj"); O with a combining slash looks like O with stroke. A mark typed over a
// letter is refused with what to type; marks above or below a letter (an accent typed apart from
// its letter) are still accepted, as NFC would join them.
TEST(StaticValidationTest, AStrokeTypedOverALetterIsRefusedWithWhatToType) {
  for (const char* overlay : {"D\xcc\xb5" "or\xc4\x91" "evi\xc4\x87",    // D + U+0335
                              "d\xcc\xb6" "uro",                         // d + U+0336
                              "Bj" "o\xcc\xb8" "rn",                      // o + U+0338
                              "Ana D\xe2\x83\x92" "ini"}) {              // D + U+20D2
    const absl::Status status = RecordValidator::ValidateName("person.surname", overlay, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << overlay;
    EXPECT_EQ(status.message(), absl::StrCat("person.surname: ", kOverlay)) << overlay;
  }
  for (const char* plain : {"Jose\xcc\x81",             // e + combining acute
                            "Bj\xc3\xb8" "rn",          // O with stroke
                            "\xc4\x90" "uro"}) {        // D with stroke
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", plain, true).ok()) << plain;
  }
}

// Small capitals, letters with a middle tilde and insular letters look like letters of the
// alphabets names are written in, and the search keys fold them otherwise: the small capital eth
// and d with middle tilde look like D with stroke and fold to "d". They are refused with what to
// type; the African letters alphabets in use write names with are accepted.
constexpr absl::string_view kPhonetic =
    "holds a phonetic or historic letter (a small capital, a letter with a middle tilde, an "
    "insular letter): type the letter as the person's papers write it";

TEST(StaticValidationTest, APhoneticOrHistoricLetterIsRefusedWithWhatToType) {
  for (const char* phonetic : {"\xe1\xb4\x86" "oki\xc4\x87",    // U+1D06 small capital eth
                               "\xe1\xb5\xad" "oki\xc4\x87",    // U+1D6D d with middle tilde
                               "\xea\x9d\xb9" "oki\xc4\x87",    // U+A779 insular D
                               "Ber\xe1\xb4\x89sha",              // U+1D09 turned i
                               "Gash\xe1\xb5\xa2",               // U+1D62 subscript i
                               // A small letter with no capital reads as a letter it is not:
                               "Joca\xca\x9c" "a",                // U+029C small capital H
                               "Jo\xca\x99" "ana",                // U+0299 small capital B
                               "Map\xc4\xb8" "o",                 // U+0138 kra, as Cyrillic к
                               "\xc4\xb8" "\xc3\xab" "rqeli"}) {  // kra
    const absl::Status status = RecordValidator::ValidateName("person.surname", phonetic, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << phonetic;
    EXPECT_EQ(status.message(), absl::StrCat("person.surname: ", kPhonetic)) << phonetic;
  }
  for (const char* plain : {"\xc6\x8a" "angote",                  // U+018A D with hook (Hausa)
                            "K\xc9\x9b" "ita",                    // U+025B open e (Ewe)
                            "\xc5\x8a" "om",                      // U+014A eng
                            "Strau\xc3\x9f",                      // sharp s, capital SS
                            "\xc9\x99" "liyev",                   // U+0259 schwa (Azeri)
                            "\xc4\x90" "oki\xc4\x87"}) {        // Đokić
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", plain, true).ok()) << plain;
  }
}

// The long s of historic hands looks like f and the search keys fold it to s: "ſetahu" reads as
// Fetahu and was compared as Setahu. It is refused as a historic letter, plain, with a dot above,
// or typed with a combining dot; the letters that vetting reads by eye as the letter they look
// like (small gamma as y, v with hook as u) are letters of alphabets in use and accepted.
TEST(StaticValidationTest, TheLongSIsRefusedAsAHistoricLetter) {
  for (const char* long_s : {"\u017Fetahu", "Fetahu\u017F", "\u1E9Betahu", "\u017F\u0307etahu"}) {
    const absl::Status status = RecordValidator::ValidateName("person.surname", long_s, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << long_s;
    EXPECT_EQ(status.message(), absl::StrCat("person.surname: ", kPhonetic)) << long_s;
  }
  for (const char* plain : {"Kr\u0263eziu", "\u0194ana", "M\u028Bja", "\u01B2ala"}) {
    EXPECT_TRUE(RecordValidator::ValidateName("person.surname", plain, true).ok()) << plain;
  }
}

// Every name field of a record, and both of a vetting candidate, name themselves when they hold
// a look-alike of an apostrophe or of D with stroke.
TEST_F(ValidationTest, EveryNameFieldNamesItselfWhenItHoldsALookAlike) {
  person_.set_surname("\xc3\x90" "or\xc4\x91" "evi\xc4\x87");  // Ðorđević
  person_.set_given_name("Ren\xc2\xb4" "e");               // acute accent
  person_.set_father_name("\xc3\xb0" "uro");               // ðuro
  person_.add_aliases("D`Amato");
  const absl::Status status = Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            absl::StrCat("person.surname: ", kEth, "; person.given_name: ", kApostropheLookAlike,
                         "; person.father_name: ", kEth, "; person.aliases[0]: ",
                         kApostropheLookAlike));
  for (const char* value : {"evi", "Ren", "uro", "Amato"}) {
    EXPECT_FALSE(absl::StrContains(status.message(), value)) << status;
  }

  const absl::Status candidate = validator_->ValidateCandidate(
      "1234567890", "O`Brien", "\xc3\x90" "uro", "1980-04-12");
  EXPECT_EQ(candidate.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(candidate.message(), absl::StrCat("surname: ", kApostropheLookAlike,
                                              "; given_name: ", kEth));
}

TEST(StaticValidationTest, DateIsARealCalendarDay) {
  EXPECT_TRUE(RecordValidator::ValidateDate("d", "2024-02-29", true).ok());
  EXPECT_TRUE(RecordValidator::ValidateDate("d", "", false).ok());
  ExpectInvalid(RecordValidator::ValidateDate("d", "", true), "d", "");
  ExpectInvalid(RecordValidator::ValidateDate("d", "2023-02-29", false), "d", "2023-02-29");
  ExpectInvalid(RecordValidator::ValidateDate("d", "2023-02-29T00:00:00Z", false), "d",
                "2023-02-29");
}

TEST(StaticValidationTest, TextLimitsAreInCodePoints) {
  EXPECT_TRUE(RecordValidator::ValidateText("reason", Repeat("ž", 500), 1, 500).ok());
  ExpectInvalid(RecordValidator::ValidateText("reason", Repeat("ž", 501), 1, 500), "reason",
                Repeat("ž", 501));
  ExpectInvalid(RecordValidator::ValidateText("reason", "", 1, 500), "reason", "");
  EXPECT_TRUE(RecordValidator::ValidateText("place", "", 0, 100).ok());
  EXPECT_TRUE(RecordValidator::ValidateText("basis", "CC 04/L-082 art. 103 (€, «»)", 1, 200).ok());
}

TEST(StaticValidationTest, TextRefusesBadEncodingAndControls) {
  // Truncated sequence, overlong '/', a UTF-16 surrogate, newline, DEL, private use.
  for (const char* bad : {"ab\xE2\x82", "ab\xC0\xAF", "ab\xED\xA0\x80", "ab\ncd", "ab\x7F",
                          "ab\xEE\x80\x80"}) {
    ExpectInvalid(RecordValidator::ValidateText("reason", bad, 1, 500), "reason", "ab");
  }
}

// Text a field requires is more than spaces: a foreign court named " " names none.
TEST(StaticValidationTest, RequiredTextOfSpacesOnlyIsRefused) {
  for (const char* blank : {" ", "   ", "\xE3\x80\x80"}) {  // ideographic space too
    ExpectInvalid(RecordValidator::ValidateText("conviction.foreign_court", blank, 1, 200),
                  "conviction.foreign_court", "");
  }
  EXPECT_TRUE(RecordValidator::ValidateText("conviction.foreign_court", " Bern ", 1, 200).ok());
  // An optional text may be empty, and blank is left to the field's own meaning.
  EXPECT_TRUE(RecordValidator::ValidateText("person.birth_place", " ", 0, 100).ok());
}

// A combining mark stands on a letter and shows: one with no letter under it, a grapheme joiner
// or a variation selector makes a name that reads as another, as zero-width characters would.
TEST(StaticValidationTest, ANameRefusesInvisibleMarksAndMarksWithoutALetter) {
  for (const char* bad : {"Kras\xCD\x8Fniqi",        // U+034F COMBINING GRAPHEME JOINER
                          "Krasniqi\xEF\xB8\x8F",   // U+FE0F VARIATION SELECTOR-16
                          "\xCC\x88Kerqeli",         // U+0308 before any letter
                          "Ana \xCC\x81Maria",       // U+0301 at the start of a word
                          "Ana-\xCC\x81Maria"}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(RecordValidator::ValidateName("person.surname", bad, true), "person.surname",
                  "Kras");
  }
  // Decomposed letters (NFD) are letters with their marks: "Kërqeli" typed as e + U+0308.
  EXPECT_TRUE(RecordValidator::ValidateName("person.surname", "Ke\xCC\x88rqeli", true).ok());
  EXPECT_TRUE(
      RecordValidator::ValidateName("person.surname", "C\xCC\x8C" "eli\xCC\x81" "c\xCC\x81", true).ok());
}

// An invisible character (pasted from a web page or a word processor) makes a name look like
// the name without it: the answer names the field and the character by its code point, so the
// clerk can find what cannot be seen, and never the name.
TEST(StaticValidationTest, AnInvisibleCharacterInANameIsNamedByItsCodePoint) {
  const struct {
    const char* name;
    const char* code_point;
  } kCases[] = {
      {"Arben\xE2\x80\x8B", "U+200B"},
      {"Ar\xE2\x80\x8C" "ben", "U+200C"},
      {"Ar\xE2\x80\x8D" "ben", "U+200D"},
      {"Ar\xE2\x81\xA0" "ben", "U+2060"},
      {"Ar\xC2\xAD" "ben", "U+00AD"},
      {"\xEF\xBB\xBF" "Arben", "U+FEFF"},
      {"Arben\xE2\x80\xAE", "U+202E"},
      {"\xE2\x80\x8F" "Arben", "U+200F"},
      {"Arben\xE2\x81\xA6", "U+2066"},
      {"Arben\xD8\x9C", "U+061C"},
      {"Kras\xCD\x8Fniqi", "U+034F"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.code_point);
    const absl::Status status = RecordValidator::ValidateName("person.given_name", c.name, true);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(),
              absl::StrCat("person.given_name: holds an invisible character (", c.code_point,
                           "), as text copied from a web page or a document may: type the name "
                           "again without it"));
    EXPECT_FALSE(absl::StrContains(status.message(), "Arben")) << status;
    EXPECT_FALSE(absl::StrContains(status.message(), "Kras")) << status;
  }
}

// The same character in a free text (a place, an address, a foreign court, a reason, a legal
// basis) was refused as "0..200 characters of valid UTF-8, no control characters", of a text
// holding none the clerk could see: it is named by its code point there too, never the text.
TEST(StaticValidationTest, AnInvisibleCharacterInAFreeTextIsNamedByItsCodePoint) {
  const struct {
    const char* text;
    const char* code_point;
  } kCases[] = {
      {"Rr. N\xC3\xABn\xC3\xAB Terez\xC3\xAB\xE2\x80\x8B 5", "U+200B"},
      {"Rr. Terez\xC3\xAB\xE2\x80\xAE 5", "U+202E"},
      {"Pri\xC2\xADshtin\xC3\xAB", "U+00AD"},
      {"\xEF\xBB\xBFPrishtin\xC3\xAB", "U+FEFF"},
      {"Prishtin\xC3\xAB\xE2\x80\x8E", "U+200E"},
      {"Prishtin\xC3\xAB\xE2\x81\xA9", "U+2069"},
      {"Prishtin\xC3\xAB\xD8\x9C", "U+061C"},
      {"Prishtin\xC3\xAB\xCD\x8F", "U+034F"},  // a grapheme joiner, a mark and no format
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.code_point);
    for (const auto& [field, min, max] : std::vector<std::tuple<std::string, size_t, size_t>>{
             {"person.last_known_address", 0, 200},
             {"person.birth_place", 0, 100},
             {"conviction.foreign_court", 1, 200},
             {"reason", 1, 500}}) {
      const absl::Status status = RecordValidator::ValidateText(field, c.text, min, max);
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(status.message(),
                absl::StrCat(field, ": holds an invisible character (", c.code_point,
                             "), as text copied from a web page or a document may: type the "
                             "text again without it"));
      EXPECT_FALSE(absl::StrContains(status.message(), "Prishtin")) << status;
      EXPECT_FALSE(absl::StrContains(status.message(), "Terez")) << status;
    }
  }
  // A control character the clerk could have typed, and a format character that shows (an
  // Arabic number sign), are still the text's rule.
  for (const char* bad : {"ab\x01", "ab\xD8\x80"}) {
    EXPECT_EQ(RecordValidator::ValidateText("reason", bad, 1, 500).message(),
              "reason: 1..500 characters of valid UTF-8, no control characters");
  }
}

// In a whole record, each text field holding one is named with its own code point, and a case
// number (pasted from a document as well) too, rather than by its rule of characters.
TEST_F(ValidationTest, EveryTextOfARecordNamesAnInvisibleCharacterByItsCodePoint) {
  person_.set_birth_place("Prishtin\xC3\xAB\xE2\x80\x8B");
  person_.set_last_known_address("Rr. Terez\xC3\xAB\xE2\x80\xAE 5");
  conviction_.set_court_id("foreign");
  conviction_.set_foreign_country("DE");
  conviction_.set_foreign_court("\xEF\xBB\xBFLandgericht Berlin");
  conviction_.set_case_number("P 123/2024\xC2\xAD");
  constexpr absl::string_view kHow =
      "), as text copied from a web page or a document may: type the text again without it";
  EXPECT_EQ(Validate().message(),
            absl::StrCat("person.birth_place: holds an invisible character (U+200B", kHow,
                         "; person.last_known_address: holds an invisible character (U+202E",
                         kHow, "; conviction.foreign_court: holds an invisible character (U+FEFF",
                         kHow, "; conviction.case_number: holds an invisible character (U+00AD",
                         kHow));
}

TEST_F(ValidationTest, ACandidateNameWithAnInvisibleCharacterNamesTheFieldAndTheCodePoint) {
  const absl::Status status = validator_->ValidateCandidate(
      "1234567890", "K\xC3\xABrqeli", "Arben\xE2\x80\x8B", "1980-04-12");
  EXPECT_EQ(status.message(),
            "given_name: holds an invisible character (U+200B), as text copied from a web page "
            "or a document may: type the name again without it");
}

// The limit of 100 letters counts letters as the person sees them, however they were typed:
// "Ë" a hundred times decomposed (E + U+0308, 200 code points) is as long as composed.
TEST(StaticValidationTest, ANameOfAHundredDecomposedLettersIsWithinTheLimit) {
  std::string composed;
  std::string decomposed;
  for (int i = 0; i < 100; ++i) {
    composed += "\xC3\x8B";     // U+00CB Ë
    decomposed += "E\xCC\x88";  // E + U+0308
  }
  EXPECT_TRUE(RecordValidator::ValidateName("person.surname", composed, true).ok());
  EXPECT_TRUE(RecordValidator::ValidateName("person.surname", decomposed, true).ok());
  // The 101st letter is over it, composed or not.
  ExpectInvalid(RecordValidator::ValidateName("person.surname", composed + "\xC3\x8B", true),
                "person.surname", "E");
  ExpectInvalid(RecordValidator::ValidateName("person.surname", decomposed + "E\xCC\x88", true),
                "person.surname", "E");
  // Marks piled on letters are bounded still: four code points a letter at most.
  std::string piled;
  for (int i = 0; i < 100; ++i) piled += "E\xCC\x88\xCC\x81\xCC\x80\xCC\x82";
  ExpectInvalid(RecordValidator::ValidateName("person.surname", piled, true), "person.surname",
                "E");
}

TEST(StaticValidationTest, RecordIdIs32LowercaseHex) {
  EXPECT_TRUE(
      RecordValidator::ValidateRecordId("record_id", "0123456789abcdef0123456789abcdef").ok());
  ExpectInvalid(RecordValidator::ValidateRecordId("record_id", "0123456789ABCDEF0123456789abcdef"),
                "record_id", "0123456789ABCDEF");
  ExpectInvalid(RecordValidator::ValidateRecordId("record_id", "0123456789abcdef0123456789abcde"),
                "record_id", "0123456789abcdef");
  ExpectInvalid(RecordValidator::ValidateRecordId("record_id", "0123456789abcdef0123456789abcdeg"),
                "record_id", "0123456789abcdef");
  ExpectInvalid(RecordValidator::ValidateRecordId("record_id", ""), "record_id", "");
}

// What the gate asks of caller text it would record as sent (references, request ids).
TEST_F(ValidationTest, APersonalNumberIsFoundInsideOtherText) {
  EXPECT_TRUE(validator_->HoldsPersonalNumber("1234567890"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("DSR-1234567890"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("C123456789012"));  // inside a longer run
  EXPECT_FALSE(validator_->HoldsPersonalNumber("PKR 123456789/2026"));  // nine digits
  EXPECT_FALSE(validator_->HoldsPersonalNumber("P 123/2024"));
  EXPECT_FALSE(validator_->HoldsPersonalNumber(""));

  // Written in groups, as people write numbers: still a personal number.
  EXPECT_TRUE(validator_->HoldsPersonalNumber("111 111 1111"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("111-111-1111"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("111.111.1111"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("123_456_7890"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("123:456:7890"));
  EXPECT_FALSE(validator_->HoldsPersonalNumber("2026-12-04T10:11:12"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("req-111-111-1111"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("consent 12 34 56 78 90 signed"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("DSR 2026/111 111 1111."));
  // The run as a whole must be one: dates and dated serials are not, a slash still divides a
  // serial from a year, and a separator joins digits only.
  EXPECT_FALSE(validator_->HoldsPersonalNumber("2024-05-01"));
  EXPECT_FALSE(validator_->HoldsPersonalNumber("req-2026-12-02-0001"));
  EXPECT_FALSE(validator_->HoldsPersonalNumber("PKR 12345/2026 p.3"));
  EXPECT_FALSE(validator_->HoldsPersonalNumber("P 12345 - abc 67890"));
  // However many separators join the groups.
  EXPECT_TRUE(validator_->HoldsPersonalNumber("12345  67890"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("C 123--456--7890"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("123 - 456 - 7890"));
  EXPECT_TRUE(validator_->HoldsPersonalNumber("12345_.:67890"));
  EXPECT_FALSE(validator_->HoldsPersonalNumber("12345 -- 6789"));  // nine digits

  // A pattern that also matches nothing at all does not make every text hold one.
  ValidationOptions options;
  options.personal_number_pattern = "[0-9]*";
  absl::StatusOr<std::unique_ptr<RecordValidator>> loose =
      RecordValidator::Create(reference_, options, &clock_);
  ASSERT_TRUE(loose.ok()) << loose.status();
  EXPECT_FALSE((*loose)->HoldsPersonalNumber("CONSENT"));
  EXPECT_TRUE((*loose)->HoldsPersonalNumber("CONSENT 7"));
}

// A personal number that does not match is told the format it should have: N digits for a
// pattern of N digits, however written, else the configured pattern itself.
TEST(PersonalNumberRuleTest, SaysTheFormat) {
  for (const char* digits : {"[0-9]{10}", "^[0-9]{10}$", "\\d{10}", "^\\d{10}$"}) {
    EXPECT_EQ(PersonalNumberRule(digits),
              "does not match the personal number format (10 digits)")
        << digits;
  }
  EXPECT_EQ(PersonalNumberRule("[0-9]{13}"),
            "does not match the personal number format (13 digits)");
  EXPECT_EQ(PersonalNumberRule("[A-Z][0-9]{9}"),
            "does not match the personal number format (the pattern [A-Z][0-9]{9})");
  EXPECT_EQ(PersonalNumberRule("[0-9]{0}"),
            "does not match the personal number format (the pattern [0-9]{0})");
}

// A birth date typed in the future (2030 for 1980) was named alone: "must be before today", the
// judgment of 2010 taken, and the clerk who corrected the birth date was refused again for the
// judgment before the 14th birthday. A judgment up to today is before such a birth whatever the
// birth date's own fault: both dates are named in one answer, the birth date once; a final date
// before the judgment is named too. An amendment of the birth date alone is told of it alone.
TEST_F(ValidationTest, AFutureBirthDateStillHasAJudgmentBeforeItNamed) {
  conviction_.clear_bans();
  conviction_.clear_release_date();
  constexpr absl::string_view kBirth = "person.birth_date: must be before today";
  constexpr absl::string_view kJudgment =
      "conviction.judgment_date: must be on or after the person's 14th birthday and not in the "
      "future";
  constexpr absl::string_view kFinal =
      "conviction.final_date: must be on or after the judgment date and not in the future";
  for (const char* birth : {"2030-01-01", "2025-06-01"}) {  // the future, and today
    SCOPED_TRACE(birth);
    person_.set_birth_date(birth);
    conviction_.set_judgment_date("2024-03-01");
    conviction_.set_final_date("2024-05-15");
    EXPECT_EQ(Validate().message(), absl::StrCat(kBirth, "; ", kJudgment));
    EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, {"person.surname"}).message(),
              absl::StrCat(kBirth, "; ", kJudgment));
    // The birth date amended alone: the judgment date it left was right before.
    EXPECT_EQ(validator_->ValidateRecord(person_, conviction_, {"person.birth_date"}).message(),
              kBirth);
    // A final date before the judgment date: named as well, the judgment date still once.
    conviction_.set_final_date("2024-02-01");
    EXPECT_EQ(Validate().message(), absl::StrCat(kBirth, "; ", kJudgment, "; ", kFinal));
    EXPECT_FALSE(absl::StrContains(Validate().message(), birth)) << Validate();
  }
  // Judged 2010-05-05 by a Basic Court (which judges from 2013), final 2010-05-01: every date is
  // named, and the judgment is still held to the court and the law as typed.
  person_.set_birth_date("2030-01-01");
  conviction_.set_judgment_date("2010-05-05");
  conviction_.set_final_date("2010-05-01");
  const std::string message(Validate().message());
  EXPECT_TRUE(absl::StartsWith(message, absl::StrCat(kBirth, "; ", kJudgment, "; ", kFinal)))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "conviction.court_id: did not judge yet")) << message;
  // A birth date that is no date is named alone: no judgment is compared with it.
  person_.set_birth_date("2030-02-30");
  conviction_.set_judgment_date("2024-03-01");
  conviction_.set_final_date("2024-05-15");
  ExpectInvalid(Validate(), "person.birth_date", "");
  EXPECT_FALSE(absl::StrContains(Validate().message(), ";")) << Validate();
}

// Names that file exactly storage::RecordStore::kMaxNameTokensOfARecord name tokens: a surname,
// a given name of six words, three aliases of three words and four of two
// (tests/storage/vetting_work_test.cc counts them).
void SetNamesAtTheBound(Person* person) {
  person->set_surname("Hoxha");
  person->set_given_name("Ali Arben Besim Drin Edon Fatos");
  person->clear_aliases();
  for (int i = 0; i < 7; ++i) {
    std::vector<std::string> words;
    for (int w = 0; w < (i < 3 ? 3 : 2); ++w) {
      words.push_back(absl::StrCat("K", std::string(1, static_cast<char>('a' + i)),
                                   std::string(1, static_cast<char>('a' + w)), "r"));
    }
    person->add_aliases(absl::StrJoin(words, " "));
  }
}

// A record's names, aliases with them, file at most kMaxNameTokensOfARecord tokens for the
// vetting check to compare: one that would file more (ten aliases of six words filed twenty
// times as many, whose head a check took milliseconds to read, telling the record from none) is
// refused naming person.aliases and what to do, on a new record and on an amendment of the
// names; one exactly at the bound is taken.
TEST_F(ValidationTest, NamesFilingMoreTokensThanTheBoundAreRefusedNamingTheAliases) {
  SetNamesAtTheBound(&person_);
  EXPECT_TRUE(Validate().ok()) << Validate();
  EXPECT_TRUE(validator_->ValidateRecord(person_, conviction_, {"person.aliases"}).ok());
  // One word more, past the sixth of the given name: one token more.
  person_.set_given_name(absl::StrCat(person_.given_name(), " S"));
  const std::string rule =
      "person.aliases: too many name words across the aliases: drop an alias, or words of the "
      "aliases or of the name (these names file 1,025 index entries; at most 1,024)";
  EXPECT_EQ(Validate().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(Validate().message()), rule);
  for (const std::vector<std::string>& amended : std::vector<std::vector<std::string>>{
           {"person"}, {"person.surname"}, {"person.given_name"}, {"person.aliases"}}) {
    EXPECT_EQ(std::string(validator_->ValidateRecord(person_, conviction_, amended).message()),
              rule)
        << amended[0];
  }
  // Ten aliases of six words: refused, never naming a name.
  person_.clear_aliases();
  for (int i = 0; i < 10; ++i) {
    person_.add_aliases(absl::StrCat("Kerqeli", std::string(1, static_cast<char>('a' + i)),
                                     " Gashi Berisha Hoti Morina Xhafa"));
  }
  EXPECT_EQ(std::string(Validate().message()),
            absl::StrCat(rule.substr(0, rule.find(" (these names")),
                         " (these names file 1,195 index entries; at most 1,024)"));
  // A record stored before the rule is kept: an amendment that leaves its names as they were is
  // not refused for them.
  EXPECT_TRUE(validator_->ValidateRecord(person_, conviction_, {"conviction.case_number"}).ok());
  EXPECT_TRUE(validator_->ValidateRecord(person_, conviction_, {"person.birth_place"}).ok());
}

}  // namespace
}  // namespace registry::server
