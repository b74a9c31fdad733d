#include "server/reference_data.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/time_format.h"
#include "gtest/gtest.h"
#include "registry/v1/reference.pb.h"
#include "server/config.h"
#include "tests/testing/test_pki.h"

namespace registry::server {
namespace {

using registry::v1::Conviction;

const char kShippedDir[] = REGISTRY_SOURCE_DIR "/deploy/reference";

std::unique_ptr<ReferenceData> LoadShipped() {
  absl::StatusOr<std::unique_ptr<ReferenceData>> data = ReferenceData::Load(kShippedDir);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? std::move(data).value() : nullptr;
}

std::string Shipped(const std::string& name) {
  return registry::testing::ReadFileOrDie(absl::StrCat(kShippedDir, "/", name));
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

// A temporary copy of the shipped tables in which tests replace one file.
class ReferenceDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = registry::testing::MakeTempDir("reference_data_test");
    for (const char* name : {"offences.json", "courts.json", "retention.json"}) {
      WriteFile(absl::StrCat(dir_, "/", name), Shipped(name));
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Replace(const std::string& name, const std::string& content) {
    WriteFile(absl::StrCat(dir_, "/", name), content);
  }

  // Loads the copy and expects InvalidArgument whose message starts with the file name and
  // mentions `entry`.
  void ExpectInvalid(const std::string& file, const std::string& entry) {
    absl::StatusOr<std::unique_ptr<ReferenceData>> data = ReferenceData::Load(dir_);
    ASSERT_FALSE(data.ok());
    EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument) << data.status();
    EXPECT_TRUE(absl::StartsWith(data.status().message(), file + ": ")) << data.status();
    EXPECT_TRUE(absl::StrContains(data.status().message(), entry)) << data.status();
  }

  std::string dir_;
};

// --- The shipped tables ----------------------------------------------------------------------

TEST(ShippedReferenceTest, LoadsAndHasEveryCourt) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  for (const char* id : {"basic-prishtine", "basic-prizren", "basic-peje", "basic-gjakove",
                         "basic-mitrovice", "basic-gjilan", "basic-ferizaj", "court-of-appeals",
                         "supreme-court"}) {
    const registry::v1::CourtEntry* court = data->FindCourt(id);
    ASSERT_NE(court, nullptr) << id;
    EXPECT_FALSE(court->foreign()) << id;
    EXPECT_FALSE(court->name().empty()) << id;
  }
  const registry::v1::CourtEntry* foreign = data->FindCourt("foreign");
  ASSERT_NE(foreign, nullptr);
  EXPECT_TRUE(foreign->foreign());
  EXPECT_EQ(data->FindCourt("basic-unknown"), nullptr);
  EXPECT_EQ(data->FindCourt(""), nullptr);
}

// The courts of Kosovo are dated by the Law on Courts (03/L-199): the Basic Courts and the Court
// of Appeals judge from 1 January 2013, the five District Courts and the Municipal Courts judged
// until 31 December 2012, the Supreme Court throughout. Undated, a Basic Court's judgment of 2012
// was taken and a conviction of 2012 could not name its court.
TEST(ShippedReferenceTest, CourtsAreDatedByTheLawOnCourts) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  using CourtDay = ReferenceData::CourtDay;
  const absl::CivilDay last_old(2012, 12, 31);
  const absl::CivilDay first_new(2013, 1, 1);
  for (const char* id : {"basic-prishtine", "basic-prizren", "basic-peje", "basic-gjakove",
                         "basic-mitrovice", "basic-gjilan", "basic-ferizaj", "court-of-appeals"}) {
    const registry::v1::CourtEntry* court = data->FindCourt(id);
    ASSERT_NE(court, nullptr) << id;
    EXPECT_EQ(court->valid_from(), "2013-01-01") << id;
    EXPECT_EQ(ReferenceData::CourtJudgedOn(*court, last_old), CourtDay::kNotYet) << id;
    EXPECT_EQ(ReferenceData::CourtJudgedOn(*court, first_new), CourtDay::kJudged) << id;
  }
  int municipal = 0;
  for (const registry::v1::CourtEntry& court : data->courts().courts()) {
    if (!absl::StartsWith(court.id(), "municipal-")) continue;
    ++municipal;
    EXPECT_TRUE(absl::StartsWith(court.name(), "Municipal Court of ")) << court.id();
    EXPECT_EQ(court.valid_to(), "2012-12-31") << court.id();
  }
  EXPECT_GE(municipal, 20);
  for (const char* id : {"district-prishtine", "district-prizren", "district-peje",
                         "district-gjilan", "district-mitrovice", "municipal-prishtine"}) {
    const registry::v1::CourtEntry* court = data->FindCourt(id);
    ASSERT_NE(court, nullptr) << id;
    EXPECT_FALSE(court->foreign()) << id;
    EXPECT_EQ(ReferenceData::CourtJudgedOn(*court, last_old), CourtDay::kJudged) << id;
    EXPECT_EQ(ReferenceData::CourtJudgedOn(*court, first_new), CourtDay::kNoLonger) << id;
    EXPECT_EQ(ReferenceData::CourtJudgedOn(*court, absl::CivilDay(1995, 1, 1)), CourtDay::kJudged)
        << id;
  }
  for (const char* id : {"supreme-court", "foreign"}) {
    const registry::v1::CourtEntry* court = data->FindCourt(id);
    ASSERT_NE(court, nullptr) << id;
    EXPECT_EQ(ReferenceData::CourtJudgedOn(*court, last_old), CourtDay::kJudged) << id;
    EXPECT_EQ(ReferenceData::CourtJudgedOn(*court, first_new), CourtDay::kJudged) << id;
  }
}

TEST_F(ReferenceDirTest, ACourtsDatesAreChecked) {
  for (const char* dates : {R"("valid_from": "2013-13-01")", R"("valid_to": "31.12.2012")",
                            R"("valid_from": "2013-01-01", "valid_to": "2012-12-31")"}) {
    Replace("courts.json", absl::StrCat(R"({"courts": [{"id": "a", "name": "A"}, {"id": "b", )",
                                        R"("name": "B", )", dates, "}]}"));
    ExpectInvalid("courts.json", "courts[1]");
  }
  Replace("courts.json", R"({"courts": [{"id": "foreign", "name": "A", "foreign": true,
                                         "valid_to": "2012-12-31"}]})");
  ExpectInvalid("courts.json", "courts[0]");
  Replace("courts.json", R"({"courts": [{"id": "a", "name": "A", "valid_from": "2013-01-01",
                                         "valid_to": "2013-01-01"}]})");
  EXPECT_TRUE(ReferenceData::Load(dir_).ok()) << ReferenceData::Load(dir_).status();
}

// The Provisional Criminal Code of Kosovo (UNMIK Regulation 2003/25, in force from 6 April 2004)
// is the code of judgments from then until 2012: without it, a 2008 conviction was recorded
// under a code not yet in force. Its law number is the regulation's.
TEST(ShippedReferenceTest, TheProvisionalCriminalCodeIsInTheTableWithItsDay) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->LawInForceFrom("UNMIK/2003/25"), absl::CivilDay(2004, 4, 6));
  EXPECT_FALSE(data->SomeLawInForceOn(absl::CivilDay(2004, 4, 5)));
  EXPECT_TRUE(data->SomeLawInForceOn(absl::CivilDay(2004, 4, 6)));
  for (uint32_t article = 193; article <= 198; ++article) {
    const registry::v1::OffenceEntry* e = data->FindOffence("UNMIK/2003/25", article, 1);
    ASSERT_NE(e, nullptr) << article;
    EXPECT_FALSE(e->confirmed()) << article;
  }
  EXPECT_EQ(data->FindOffence("UNMIK/2003/25", 198, 0)->min_employer_visible_years(), 20u);
}

TEST_F(ReferenceDirTest, AnUnmikRegulationIsALawNumber) {
  Replace("offences.json",
          R"({"offences": [{"law": "UNMIK/2003/25", "article": 193, "title": "A"}]})");
  EXPECT_TRUE(ReferenceData::Load(dir_).ok()) << ReferenceData::Load(dir_).status();
  for (const char* law : {"UNMIK/REG/2003/25", "UNMIK/03/25", "UNMIK/2003/", "UNMIK/2003/2500",
                          "unmik/2003/25", "UNMIK/2003-25", "UNMIK/2003/25:1"}) {
    Replace("offences.json", absl::StrCat(R"({"offences": [{"law": ")", law,
                                          R"(", "article": 1, "title": "A"}]})"));
    ExpectInvalid("offences.json", "offences[0]");
  }
}

TEST(ShippedReferenceTest, OnlyPublicSourcesAreConfirmed) {
  registry::v1::OffenceTable table;
  ASSERT_TRUE(ParseJson(Shipped("offences.json"), &table).ok());
  std::set<std::string> confirmed;
  for (const registry::v1::OffenceEntry& e : table.offences()) {
    if (e.confirmed()) confirmed.insert(absl::StrCat(e.law(), " ", e.article(), " ", e.paragraph()));
  }
  EXPECT_EQ(confirmed, (std::set<std::string>{"06/L-074 232 0", "06/L-074 234 3",
                                               "06/L-074 234 4", "06/L-074 234 5"}));
  EXPECT_TRUE(table.switches().empty());
}

TEST(ShippedReferenceTest, FindsExactAndWholeArticleEntries) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  // Art. 232 is a whole-article entry: every paragraph is found through it.
  const registry::v1::OffenceEntry* e = data->FindOffence("06/L-074", 232, 2);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->paragraph(), 0u);
  EXPECT_TRUE(e->confirmed());
  // Art. 234 has paragraph entries only: §3 is confirmed, §9 does not exist.
  e = data->FindOffence("06/L-074", 234, 3);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->paragraph(), 3u);
  EXPECT_TRUE(e->confirmed());
  EXPECT_EQ(data->FindOffence("06/L-074", 234, 9), nullptr);
  EXPECT_EQ(data->FindOffence("06/L-074", 234, 0), nullptr);
  // The example record's offence.
  e = data->FindOffence("06/L-074", 230, 1);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->confirmed());
  // The 2012 Code is a different law: its numbers do not leak into 06/L-074 and vice versa.
  EXPECT_NE(data->FindOffence("04/L-082", 230, 1), nullptr);
  EXPECT_EQ(data->FindOffence("04/L-082", 227, 0), nullptr);
  EXPECT_EQ(data->FindOffence("06/L-074", 100, 0), nullptr);
  EXPECT_EQ(data->FindOffence("99/L-999", 232, 0), nullptr);
}

TEST(ShippedReferenceTest, SexualHarassmentIsAbsentWhileItsSwitchIsOff) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->FindOffence("06/L-074", 183, 0), nullptr);
  EXPECT_EQ(data->FindOffence("06/L-074", 183, 1), nullptr);
}

TEST_F(ReferenceDirTest, SwitchOnIncludesSexualHarassment) {
  Replace("offences.json",
          absl::StrReplaceAll(Shipped("offences.json"),
                              {{"\"switches\": []", "\"switches\": [\"include_sexual_harassment\"]"}}));
  absl::StatusOr<std::unique_ptr<ReferenceData>> data = ReferenceData::Load(dir_);
  ASSERT_TRUE(data.ok()) << data.status();
  const registry::v1::OffenceEntry* e = (*data)->FindOffence("06/L-074", 183, 2);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->requires_switch(), "include_sexual_harassment");
}

TEST_F(ReferenceDirTest, EveryLawOfTheOffencesHasTheDayItTookEffect) {
  std::unique_ptr<ReferenceData> shipped = LoadShipped();
  ASSERT_NE(shipped, nullptr);
  EXPECT_EQ(shipped->LawInForceFrom("06/L-074"), absl::CivilDay(2019, 4, 14));
  EXPECT_EQ(shipped->LawInForceFrom("04/L-082"), absl::CivilDay(2013, 1, 1));
  EXPECT_FALSE(shipped->LawInForceFrom("99/L-999").has_value());
  const auto refused = [&](const std::string& laws) {
    Replace("offences.json",
            absl::StrReplaceAll(Shipped("offences.json"),
                                {{"{\"law\": \"04/L-082\", \"in_force_from\": \"2013-01-01\"}",
                                  laws}}));
    return ReferenceData::Load(dir_).status();
  };
  // Without the 2012 code's entry its offences have no day; a day that is not a date; twice.
  EXPECT_TRUE(absl::StrContains(refused("{\"law\": \"05/L-001\", \"in_force_from\": \"2013-01-01\"}").message(),
                                "its law is not in laws"));
  EXPECT_TRUE(absl::StrContains(refused("{\"law\": \"04/L-082\", \"in_force_from\": \"2013-13-01\"}").message(),
                                "laws[1]: in_force_from must be a date"));
  EXPECT_TRUE(absl::StrContains(refused("{\"law\": \"06/L-074\", \"in_force_from\": \"2019-04-14\"}").message(),
                                "duplicate law"));
}

TEST(ShippedReferenceTest, DescribesOffences) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  registry::v1::Offence o;
  o.set_law("06/L-074");
  o.set_article(232);
  o.set_paragraph(1);
  EXPECT_EQ(data->DescribeOffence(o), "06/L-074 art. 232 §1 — Abuse of children in pornography");
  o.set_paragraph(0);
  EXPECT_EQ(data->DescribeOffence(o), "06/L-074 art. 232 — Abuse of children in pornography");
  o.set_article(999);
  o.set_paragraph(2);
  EXPECT_EQ(data->DescribeOffence(o), "06/L-074 art. 999 §2");
}

// --- Missing and broken files ----------------------------------------------------------------

TEST_F(ReferenceDirTest, ShippedCopyLoads) {
  EXPECT_TRUE(ReferenceData::Load(dir_).ok());
}

TEST_F(ReferenceDirTest, MissingFileIsNotFound) {
  for (const char* name : {"offences.json", "courts.json", "retention.json"}) {
    for (const char* other : {"offences.json", "courts.json", "retention.json"}) {
      Replace(other, Shipped(other));
    }
    std::filesystem::remove(absl::StrCat(dir_, "/", name));
    absl::StatusOr<std::unique_ptr<ReferenceData>> data = ReferenceData::Load(dir_);
    ASSERT_FALSE(data.ok()) << name;
    EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound) << data.status();
    EXPECT_TRUE(absl::StrContains(data.status().message(), name)) << data.status();
  }
}

TEST_F(ReferenceDirTest, MissingDirectoryIsNotFound) {
  absl::StatusOr<std::unique_ptr<ReferenceData>> data =
      ReferenceData::Load(absl::StrCat(dir_, "/nonexistent"));
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReferenceDirTest, DuplicateOffenceIsInvalid) {
  Replace("offences.json", R"({"offences": [
      {"law": "06/L-074", "article": 232, "paragraph": 0, "title": "A"},
      {"law": "06/L-074", "article": 232, "paragraph": 1, "title": "B"},
      {"law": "06/L-074", "article": 232, "paragraph": 0, "title": "C"}]})");
  ExpectInvalid("offences.json", "offences[2]");
}

TEST_F(ReferenceDirTest, SameArticleInTwoLawsIsNotADuplicate) {
  Replace("offences.json", R"({"offences": [
      {"law": "06/L-074", "article": 232, "paragraph": 0, "title": "A"},
      {"law": "04/L-082", "article": 232, "paragraph": 0, "title": "B"}]})");
  EXPECT_TRUE(ReferenceData::Load(dir_).ok());
}

TEST_F(ReferenceDirTest, UnknownFieldIsInvalid) {
  Replace("courts.json", R"({"courts": [{"id": "a", "name": "A", "city": "Prizren"}]})");
  ExpectInvalid("courts.json", "city");
}

TEST_F(ReferenceDirTest, UnknownTopLevelFieldInRetentionIsInvalid) {
  Replace("retention.json", R"({"rules": [{"delete_after_years": 1}], "extra": 1})");
  ExpectInvalid("retention.json", "extra");
}

TEST_F(ReferenceDirTest, MalformedJsonIsInvalid) {
  Replace("offences.json", R"({"offences": [)");
  ExpectInvalid("offences.json", "");
}

TEST_F(ReferenceDirTest, BadLawNumberIsInvalid) {
  for (const char* law : {"6/L-74", "06/L-07", "06-L-074", "06/l-074", "06/L-074 ", ""}) {
    Replace("offences.json", absl::StrCat(R"({"offences": [{"law": ")", law,
                                          R"(", "article": 1, "title": "A"}]})"));
    ExpectInvalid("offences.json", "offences[0]");
  }
}

TEST_F(ReferenceDirTest, ArticleAndParagraphRangesAreChecked) {
  for (const char* numbers : {R"("article": 0)", R"("article": 1000)",
                              R"("article": 1, "paragraph": 100)"}) {
    Replace("offences.json", absl::StrCat(R"({"offences": [{"law": "06/L-074", )", numbers,
                                          R"(, "title": "A"}]})"));
    ExpectInvalid("offences.json", "offences[0]");
  }
  Replace("offences.json",
          R"({"offences": [{"law": "06/L-074", "article": 999, "paragraph": 99, "title": "A"}]})");
  EXPECT_TRUE(ReferenceData::Load(dir_).ok());
}

TEST_F(ReferenceDirTest, EmptyTitleIsInvalid) {
  Replace("offences.json", R"({"offences": [{"law": "06/L-074", "article": 1}]})");
  ExpectInvalid("offences.json", "offences[0]");
}

TEST_F(ReferenceDirTest, BadSwitchNameIsInvalid) {
  Replace("offences.json", R"({"offences": [
      {"law": "06/L-074", "article": 1, "title": "A", "requires_switch": "Include Me"}]})");
  ExpectInvalid("offences.json", "offences[0]");
  Replace("offences.json", R"({"switches": ["ok", "Not OK"], "offences": []})");
  ExpectInvalid("offences.json", "switches[1]");
}

TEST_F(ReferenceDirTest, BadCourtIdIsInvalid) {
  for (const char* id : {"Basic-Prishtine", "basic_prishtine", "basic prishtine", ""}) {
    Replace("courts.json", absl::StrCat(R"({"courts": [{"id": "ok", "name": "A"}, {"id": ")",
                                        id, R"(", "name": "B"}]})"));
    ExpectInvalid("courts.json", "courts[1]");
  }
}

TEST_F(ReferenceDirTest, DuplicateCourtIdIsInvalid) {
  Replace("courts.json", R"({"courts": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]})");
  ExpectInvalid("courts.json", "courts[1]");
}

TEST_F(ReferenceDirTest, SecondForeignCourtIsInvalid) {
  Replace("courts.json", R"({"courts": [{"id": "foreign", "name": "A", "foreign": true},
                                        {"id": "abroad", "name": "B", "foreign": true}]})");
  ExpectInvalid("courts.json", "courts[1]");
}

TEST_F(ReferenceDirTest, EmptyCourtTableIsInvalid) {
  Replace("courts.json", R"({"courts": []})");
  ExpectInvalid("courts.json", "courts");
}

TEST_F(ReferenceDirTest, EmptyRetentionTableIsInvalid) {
  Replace("retention.json", R"({"rules": []})");
  ExpectInvalid("retention.json", "rules");
}

TEST_F(ReferenceDirTest, MissingCatchAllRuleIsInvalid) {
  Replace("retention.json", R"({"rules": [
      {"min_sentence_months": 0, "juvenile": true, "employer_visible_years": 5, "delete_after_years": 10},
      {"min_sentence_months": 0, "employer_visible_years": 10, "delete_after_years": 15},
      {"min_sentence_months": 12, "employer_visible_years": 15, "delete_after_years": 20}]})");
  ExpectInvalid("retention.json", "rules[2]");
}

TEST_F(ReferenceDirTest, RetentionWithoutJuvenileRuleIsInvalid) {
  Replace("retention.json", R"({"rules": [
      {"min_sentence_months": 0, "employer_visible_years": 10, "delete_after_years": 15}]})");
  ExpectInvalid("retention.json", "juvenile");
}

TEST_F(ReferenceDirTest, VisibleLongerThanDeleteIsInvalid) {
  Replace("retention.json", R"({"rules": [
      {"min_sentence_months": 0, "juvenile": true, "employer_visible_years": 5, "delete_after_years": 10},
      {"min_sentence_months": 0, "employer_visible_years": 16, "delete_after_years": 15}]})");
  ExpectInvalid("retention.json", "rules[1]");
}

TEST_F(ReferenceDirTest, ZeroDeleteYearsIsInvalid) {
  Replace("retention.json", R"({"rules": [
      {"min_sentence_months": 0, "juvenile": true, "delete_after_years": 0},
      {"min_sentence_months": 0, "delete_after_years": 15}]})");
  ExpectInvalid("retention.json", "rules[0]");
}

// --- Retention -------------------------------------------------------------------------------

// A conviction final on 2024-05-15 whose sentence also ended that day (released), so that the
// rules' years count from final_date here; a suspended sentence's verification period, which
// validation keeps to one to five years after final_date, ends at the earliest, on 2025-05-15.
// AnchorTest covers the anchor itself.
Conviction MakeConviction(registry::v1::SentenceType type, uint32_t months, bool juvenile) {
  Conviction c;
  c.set_final_date("2024-05-15");
  c.mutable_sentence()->set_type(type);
  c.mutable_sentence()->set_months(months);
  c.set_juvenile(juvenile);
  if (type == registry::v1::SENTENCE_TYPE_IMPRISONMENT) c.set_release_date("2024-05-15");
  if (type == registry::v1::SENTENCE_TYPE_SUSPENDED) c.set_suspension_end_date("2025-05-15");
  return c;
}

// Life imprisonment, final on `final_date`.
Conviction LifeImprisonment(const std::string& final_date) {
  Conviction c;
  c.set_final_date(final_date);
  c.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT);
  return c;
}

// The shipped offences and courts with the retention table `retention` (JSON), loaded from a
// temporary folder that is gone on return.
absl::StatusOr<std::unique_ptr<ReferenceData>> LoadWithRetention(const std::string& retention) {
  const std::string dir = registry::testing::MakeTempDir("reference_data_test");
  WriteFile(dir + "/offences.json", Shipped("offences.json"));
  WriteFile(dir + "/courts.json", Shipped("courts.json"));
  WriteFile(dir + "/retention.json", retention);
  absl::StatusOr<std::unique_ptr<ReferenceData>> data = ReferenceData::Load(dir);
  std::filesystem::remove_all(dir);
  return data;
}

// A retention table whose years count from final_date: 5 and 10 years for juveniles, 10 and 30
// for adults.
constexpr char kFinalDateAnchorRetention[] = R"({"anchor": "RETENTION_ANCHOR_FINAL_DATE", "rules": [
    {"min_sentence_months": 0, "juvenile": true, "employer_visible_years": 5,
     "delete_after_years": 10},
    {"min_sentence_months": 0, "employer_visible_years": 10, "delete_after_years": 30}]})";

void ExpectRetention(const ReferenceData& data, const Conviction& c, absl::string_view visible,
                     absl::string_view remove) {
  absl::StatusOr<ReferenceData::Retention> r = data.RetentionFor(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(FormatDate(r->employer_visible_until), visible);
  EXPECT_EQ(FormatDate(r->delete_after), remove);
}

TEST(RetentionTest, EachRuleGivesItsPeriods) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  using registry::v1::SENTENCE_TYPE_FINE;
  using registry::v1::SENTENCE_TYPE_IMPRISONMENT;
  using registry::v1::SENTENCE_TYPE_SUSPENDED;
  // Juvenile: 5 / 10 years, whatever the sentence.
  ExpectRetention(*data, MakeConviction(SENTENCE_TYPE_IMPRISONMENT, 120, true), "2029-05-15",
                  "2034-05-15");
  ExpectRetention(*data, MakeConviction(SENTENCE_TYPE_FINE, 0, true), "2029-05-15",
                  "2034-05-15");
  // Adult, >= 60 months: 20 / 30.
  ExpectRetention(*data, MakeConviction(SENTENCE_TYPE_IMPRISONMENT, 60, false), "2044-05-15",
                  "2054-05-15");
  // Adult, 12..59 months: 15 / 20; a suspended sentence counts its months (and its years from
  // the end of its verification period).
  ExpectRetention(*data, MakeConviction(SENTENCE_TYPE_IMPRISONMENT, 59, false), "2039-05-15",
                  "2044-05-15");
  ExpectRetention(*data, MakeConviction(SENTENCE_TYPE_SUSPENDED, 12, false), "2040-05-15",
                  "2045-05-15");
  // Adult, under 12 months or no length: 10 / 15.
  ExpectRetention(*data, MakeConviction(SENTENCE_TYPE_IMPRISONMENT, 11, false), "2034-05-15",
                  "2039-05-15");
  ExpectRetention(*data, MakeConviction(SENTENCE_TYPE_FINE, 0, false), "2034-05-15",
                  "2039-05-15");
}

TEST(RetentionTest, MonthsOfOtherSentenceTypesAreNotCounted) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  // Validation refuses such a record, but the computation must not trust validation.
  ExpectRetention(*data, MakeConviction(registry::v1::SENTENCE_TYPE_OTHER, 120, false),
                  "2034-05-15", "2039-05-15");
}

TEST(RetentionTest, LaterWorkWithChildrenBanExtendsVisibility) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = MakeConviction(registry::v1::SENTENCE_TYPE_IMPRISONMENT, 36, false);
  registry::v1::AccessoryBan* ban = c.add_bans();
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date("2034-05-15");  // Before the rule's 2039-05-15: no change.
  ExpectRetention(*data, c, "2039-05-15", "2044-05-15");
  ban = c.add_bans();
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date("2042-01-31");  // Later than the rule, before deletion.
  ExpectRetention(*data, c, "2042-01-31", "2044-05-15");
  ban->set_end_date("2050-07-01");  // Later than deletion: deletion waits until the day after.
  ExpectRetention(*data, c, "2050-07-01", "2050-07-02");
}

TEST(RetentionTest, ABanOnContactingTheVictimDoesNotExtendVisibility) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = MakeConviction(registry::v1::SENTENCE_TYPE_IMPRISONMENT, 36, false);
  c.add_bans()->set_type(registry::v1::BAN_TYPE_CONTACT_WITH_VICTIM);  // For life.
  registry::v1::AccessoryBan* ban = c.add_bans();
  ban->set_type(registry::v1::BAN_TYPE_CONTACT_WITH_VICTIM);
  ban->set_end_date("2060-01-01");
  ExpectRetention(*data, c, "2039-05-15", "2044-05-15");
}

// A ban on a profession, activity or duty names no profession: a teacher banned from teaching
// until 2050 was CLEAR from 2039 (the rule's end). It keeps the record visible, and kept, until
// it ends, as a ban on work with children does; for life, for 100 years.
TEST(RetentionTest, AProfessionBanKeepsTheRecordVisibleUntilItEndsAsAWorkWithChildrenBanDoes) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = MakeConviction(registry::v1::SENTENCE_TYPE_IMPRISONMENT, 36, false);
  registry::v1::AccessoryBan* ban = c.add_bans();
  ban->set_type(registry::v1::BAN_TYPE_PROFESSION);
  ban->set_end_date("2050-07-01");
  ExpectRetention(*data, c, "2050-07-01", "2050-07-02");
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ExpectRetention(*data, c, "2050-07-01", "2050-07-02");
  ban->set_type(registry::v1::BAN_TYPE_PROFESSION);
  ban->clear_end_date();  // For life.
  ExpectRetention(*data, c, "2124-05-15", "2124-05-16");
}

// Life imprisonment (both Codes provide it) was recorded as "other" and dated by the catch-all
// rule, 10 years from final_date, while the person was still in prison. It keeps the record as a
// ban for life does, 100 years, from final_date while the person is not released.
TEST(RetentionTest, LifeImprisonmentKeepsTheRecordAsLongAsABanForLifeFromFinalDate) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = LifeImprisonment("2024-05-15");
  ExpectRetention(*data, c, "2124-05-15", "2124-05-16");
  // A juvenile's rule is the shorter, the life sentence keeps it all the same.
  c.set_juvenile(true);
  ExpectRetention(*data, c, "2124-05-15", "2124-05-16");
}

// Released (a conditional release), the 100 years count from the release, as a ban for life's
// count from the end of the sentence; never from before final_date. Whatever the table's anchor.
TEST(RetentionTest, LifeImprisonmentCountsFromTheReleaseWhenOneIsRecorded) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = LifeImprisonment("2004-05-15");
  c.set_release_date("2026-03-10");
  ExpectRetention(*data, c, "2126-03-10", "2126-03-11");
  absl::StatusOr<absl::CivilDay> anchor = data->AnchorOf(c);
  ASSERT_TRUE(anchor.ok()) << anchor.status();
  EXPECT_EQ(FormatDate(*anchor), "2026-03-10");
  c.set_release_date("2003-01-10");  // before final_date: counted from final_date
  ExpectRetention(*data, c, "2104-05-15", "2104-05-16");

  absl::StatusOr<std::unique_ptr<ReferenceData>> final_anchor =
      LoadWithRetention(kFinalDateAnchorRetention);
  ASSERT_TRUE(final_anchor.ok()) << final_anchor.status();
  c.set_release_date("2026-03-10");
  ExpectRetention(**final_anchor, c, "2126-03-10", "2126-03-11");
}

// A ban for life is never weaker than a finite one: the record stays visible, and stored, for
// kLifelongBanYears (100) after the end of the sentence, past any finite ban validation allows
// (within 100 years of final_date), whatever the sentence.
TEST(RetentionTest, LifelongBanKeepsRecordVisibleAndStoredLongerThanAnyFiniteBan) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(ReferenceData::kLifelongBanYears, 100);
  Conviction c = MakeConviction(registry::v1::SENTENCE_TYPE_IMPRISONMENT, 36, false);
  c.add_bans()->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ExpectRetention(*data, c, "2124-05-15", "2124-05-16");
  // The longest finite ban validation allows ends no later.
  registry::v1::AccessoryBan* ban = c.add_bans();
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date("2124-05-15");
  ExpectRetention(*data, c, "2124-05-15", "2124-05-16");
  // A fine, the lightest sentence, with a ban for life: the same.
  Conviction fine = MakeConviction(registry::v1::SENTENCE_TYPE_FINE, 0, false);
  fine.add_bans()->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ExpectRetention(*data, fine, "2124-05-15", "2124-05-16");
  // Counted from final_date when the sentence ended before it (release before the judgment was
  // final), so that a finite ban could not outlast it.
  c.set_release_date("2023-01-10");
  c.mutable_bans()->RemoveLast();
  ExpectRetention(*data, c, "2124-05-15", "2124-05-16");
  // Final on 29 February: a finite ban may end on 28 February a century later (a period of years
  // ends as the codes count it), and a ban for life does not end before it.
  Conviction leap = MakeConviction(registry::v1::SENTENCE_TYPE_FINE, 0, false);
  leap.set_judgment_date("2000-02-01");
  leap.set_final_date("2000-02-29");
  leap.add_bans()->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ExpectRetention(*data, leap, "2100-02-28", "2100-03-01");
  registry::v1::AccessoryBan* finite = leap.add_bans();
  finite->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  finite->set_end_date("2100-02-28");
  ExpectRetention(*data, leap, "2100-02-28", "2100-03-01");
}

TEST(RetentionTest, LeapDayPlusYearsIsEndOfFebruary) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = MakeConviction(registry::v1::SENTENCE_TYPE_FINE, 0, false);
  c.set_final_date("2024-02-29");
  ExpectRetention(*data, c, "2034-02-28", "2039-02-28");
}

TEST(RetentionTest, FirstMatchingRuleWins) {
  // The 0-month adult rule comes first, so the 60-month rule never applies.
  absl::StatusOr<std::unique_ptr<ReferenceData>> data = LoadWithRetention(R"({"rules": [
      {"min_sentence_months": 0, "juvenile": true, "employer_visible_years": 1, "delete_after_years": 2},
      {"min_sentence_months": 0, "employer_visible_years": 3, "delete_after_years": 4},
      {"min_sentence_months": 60, "employer_visible_years": 20, "delete_after_years": 30},
      {"min_sentence_months": 0, "employer_visible_years": 5, "delete_after_years": 6}]})");
  ASSERT_TRUE(data.ok()) << data.status();
  ExpectRetention(**data, MakeConviction(registry::v1::SENTENCE_TYPE_IMPRISONMENT, 120, false),
                  "2027-05-15", "2028-05-15");
  ExpectRetention(**data, MakeConviction(registry::v1::SENTENCE_TYPE_IMPRISONMENT, 120, true),
                  "2025-05-15", "2026-05-15");
}

// The years count from the end of the sentence by default (2012 Code art. 103, FIJAIS).
TEST(AnchorTest, YearsCountFromTheEndOfTheSentence) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  using registry::v1::SENTENCE_TYPE_IMPRISONMENT;
  using registry::v1::SENTENCE_TYPE_SUSPENDED;
  // Ten years' imprisonment, released 2031-01-10: 20 / 30 years from the release, not from the
  // judgment (which would leave 10 years after release).
  Conviction prison = MakeConviction(SENTENCE_TYPE_IMPRISONMENT, 120, false);
  prison.set_release_date("2031-01-10");
  ExpectRetention(*data, prison, "2051-01-10", "2061-01-10");
  // Not released (or not recorded): the end the sentence will have, final_date + its months.
  prison.clear_release_date();
  ExpectRetention(*data, prison, "2054-05-15", "2064-05-15");
  // Suspended, 24 months, verification period until 2028-11-30: 15 / 20 from its end.
  Conviction suspended = MakeConviction(SENTENCE_TYPE_SUSPENDED, 24, false);
  suspended.set_suspension_end_date("2028-11-30");
  ExpectRetention(*data, suspended, "2043-11-30", "2048-11-30");
  suspended.clear_suspension_end_date();
  ExpectRetention(*data, suspended, "2041-05-15", "2046-05-15");
  // Not recorded, a short term: the verification period ends a year after final_date at the
  // earliest, so the years count from then and not from the term's end (2024-11-15).
  Conviction short_suspended = MakeConviction(SENTENCE_TYPE_SUSPENDED, 6, false);
  short_suspended.clear_suspension_end_date();
  ExpectRetention(*data, short_suspended, "2035-05-15", "2040-05-15");
  // A fine has no end: final_date.
  ExpectRetention(*data, MakeConviction(registry::v1::SENTENCE_TYPE_FINE, 0, false),
                  "2034-05-15", "2039-05-15");
  // Months end on the month's last day: 31 January 2024 + 1 month is 29 February, and 29
  // February + 10 years is 28 February.
  Conviction short_sentence = MakeConviction(SENTENCE_TYPE_IMPRISONMENT, 1, false);
  short_sentence.set_final_date("2024-01-31");
  short_sentence.clear_release_date();
  ExpectRetention(*data, short_sentence, "2034-02-28", "2039-02-28");
}

TEST(AnchorTest, FinalDateAnchorIsAChoiceOfTheTable) {
  absl::StatusOr<std::unique_ptr<ReferenceData>> data =
      LoadWithRetention(kFinalDateAnchorRetention);
  ASSERT_TRUE(data.ok()) << data.status();
  Conviction prison = MakeConviction(registry::v1::SENTENCE_TYPE_IMPRISONMENT, 120, false);
  prison.set_release_date("2031-01-10");
  ExpectRetention(**data, prison, "2034-05-15", "2054-05-15");
}

// An offence may carry a minimum visibility (offences against children: 20 years), for adults.
TEST(AnchorTest, OffenceMinimumsApplyToAdultConvictions) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = MakeConviction(registry::v1::SENTENCE_TYPE_FINE, 0, false);
  registry::v1::Offence* o = c.add_offences();
  o->set_law("06/L-074");
  o->set_article(230);  // no minimum: the rule's 10 / 15 years
  ExpectRetention(*data, c, "2034-05-15", "2039-05-15");
  o = c.add_offences();
  o->set_law("06/L-074");
  o->set_article(232);  // abuse of children in pornography: at least 20 years
  ExpectRetention(*data, c, "2044-05-15", "2044-05-16");
  c.set_juvenile(true);  // juveniles follow their own rules only
  ExpectRetention(*data, c, "2029-05-15", "2034-05-15");
}

TEST_F(ReferenceDirTest, OffenceMinimumLongerThanAnyDeletionIsInvalid) {
  Replace("offences.json", R"({"offences": [
      {"law": "06/L-074", "article": 232, "title": "Abuse of children in pornography",
       "min_employer_visible_years": 31}]})");
  ExpectInvalid("offences.json", "offences[0]");
}

TEST(RetentionTest, UnparsableDatesAreInvalid) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = MakeConviction(registry::v1::SENTENCE_TYPE_FINE, 0, false);
  c.set_final_date("2024-02-30");
  absl::StatusOr<ReferenceData::Retention> r = data->RetentionFor(c);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "conviction.final_date: ")) << r.status();
  EXPECT_FALSE(absl::StrContains(r.status().message(), "2024-02-30"));

  c.set_final_date("");
  EXPECT_EQ(data->RetentionFor(c).status().code(), absl::StatusCode::kInvalidArgument);

  c.set_final_date("2024-05-15");
  c.add_bans()->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  registry::v1::AccessoryBan* ban = c.add_bans();
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date("15.05.2034");
  r = data->RetentionFor(c);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "conviction.bans[1].end_date: "))
      << r.status();
}

// The last stop behind validation: dates that would need a fifth digit of year are refused, not
// written as "10010-03-01" (which sorts before today and would get the record erased at once).
TEST(RetentionTest, DatesPastTheYear9999AreInvalid) {
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  Conviction c = MakeConviction(registry::v1::SENTENCE_TYPE_IMPRISONMENT, 36, false);
  c.set_release_date("9995-03-01");
  absl::StatusOr<ReferenceData::Retention> r = data->RetentionFor(c);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "conviction: ")) << r.status();

  c.set_release_date("2027-03-01");
  r = data->RetentionFor(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LT(r->delete_after.year(), 2100);
}

// Officials work in Albanian and Serbian, and the console showed every offence and court in
// English. Each entry of the shipped tables carries its title or name in both beside English.
TEST(ShippedReferenceTest, EveryOffenceAndCourtIsNamedInAlbanianAndSerbian) {
  registry::v1::OffenceTable offences;
  ASSERT_TRUE(ParseJson(Shipped("offences.json"), &offences).ok());
  ASSERT_FALSE(offences.offences().empty());
  for (const registry::v1::OffenceEntry& e : offences.offences()) {
    SCOPED_TRACE(absl::StrCat(e.law(), ":", e.article(), ":", e.paragraph()));
    EXPECT_FALSE(e.title_sq().empty());
    EXPECT_FALSE(e.title_sr().empty());
    EXPECT_NE(e.title_sq(), e.title());
    EXPECT_NE(e.title_sr(), e.title());
  }
  std::unique_ptr<ReferenceData> data = LoadShipped();
  ASSERT_NE(data, nullptr);
  const registry::v1::OffenceEntry* degradation = data->FindOffence("06/L-074", 229, 0);
  ASSERT_NE(degradation, nullptr);
  EXPECT_EQ(degradation->title_sq(), "Degradimi i integritetit seksual");
  EXPECT_EQ(degradation->title_sr(), "Degradacija seksualnog integriteta");
  const registry::v1::OffenceEntry* rape = data->FindOffence("UNMIK/2003/25", 193, 0);
  ASSERT_NE(rape, nullptr);
  EXPECT_EQ(rape->title_sq(), "Përdhunimi");
  EXPECT_EQ(rape->title_sr(), "Silovanje");
  for (const registry::v1::CourtEntry& c : data->courts().courts()) {
    SCOPED_TRACE(c.id());
    EXPECT_FALSE(c.name_sq().empty());
    EXPECT_FALSE(c.name_sr().empty());
  }
  const registry::v1::CourtEntry* prishtine = data->FindCourt("basic-prishtine");
  ASSERT_NE(prishtine, nullptr);
  EXPECT_EQ(prishtine->name_sq(), "Gjykata Themelore e Prishtinës");
  EXPECT_EQ(prishtine->name_sr(), "Osnovni sud u Prištini");
  const registry::v1::CourtEntry* appeals = data->FindCourt("court-of-appeals");
  ASSERT_NE(appeals, nullptr);
  EXPECT_EQ(appeals->name_sq(), "Gjykata e Apelit");
  EXPECT_EQ(appeals->name_sr(), "Apelacioni sud");
}

// The translations are optional (English stands in), and checked as strictly as the English: a
// value of another type, or one too long, stops start-up naming the entry and the field.
TEST_F(ReferenceDirTest, TranslationsAreOptionalAndChecked) {
  // Without any: the tables load, the entries untranslated.
  std::string offences = Shipped("offences.json");
  std::string courts = Shipped("courts.json");
  const auto strip = [](std::string text, const std::string& key) {
    for (size_t at; (at = text.find(absl::StrCat(", \"", key, "\": \""))) != std::string::npos;) {
      const size_t value_end = text.find('"', at + key.size() + 7);
      text.erase(at, value_end + 1 - at);
    }
    return text;
  };
  Replace("offences.json", strip(strip(offences, "title_sq"), "title_sr"));
  Replace("courts.json", strip(strip(courts, "name_sq"), "name_sr"));
  {
    absl::StatusOr<std::unique_ptr<ReferenceData>> data = ReferenceData::Load(dir_);
    ASSERT_TRUE(data.ok()) << data.status();
    ASSERT_NE((*data)->FindOffence("06/L-074", 227, 0), nullptr);
    EXPECT_EQ((*data)->FindOffence("06/L-074", 227, 0)->title_sq(), "");
    ASSERT_NE((*data)->FindCourt("basic-prizren"), nullptr);
    EXPECT_EQ((*data)->FindCourt("basic-prizren")->name_sr(), "");
  }

  // A number where a title is.
  Replace("courts.json", courts);
  Replace("offences.json",
          absl::StrReplaceAll(offences, {{R"("title_sq": "Përdhunimi")", R"("title_sq": 227)"}}));
  ExpectInvalid("offences.json", "title_sq");
  // Too long.
  Replace("offences.json",
          absl::StrReplaceAll(offences, {{R"("title_sr": "Silovanje")",
                                          absl::StrCat(R"("title_sr": ")", std::string(201, 's'),
                                                       R"(")")}}));
  ExpectInvalid("offences.json", "title_sr must be empty or 1..200 bytes");
  ExpectInvalid("offences.json", "offences[1]");
  Replace("offences.json", offences);
  Replace("courts.json", absl::StrReplaceAll(courts, {{R"("name_sr": "Apelacioni sud")",
                                                       R"("name_sr": ["Apelacioni sud"])"}}));
  ExpectInvalid("courts.json", "name_sr");
  Replace("courts.json",
          absl::StrReplaceAll(courts, {{R"("name_sq": "Gjykata e Apelit")",
                                        absl::StrCat(R"("name_sq": ")", std::string(201, 'g'),
                                                     R"(")")}}));
  ExpectInvalid("courts.json", "courts[7]: name_sq must be empty or 1..200 bytes");
}

}  // namespace
}  // namespace registry::server
