#include "client/record_format.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(FormatOffenceTest, NamesLawArticleAndParagraph) {
  v1::Offence offence;
  offence.set_law("06/L-074");
  offence.set_article(230);
  offence.set_paragraph(1);
  EXPECT_EQ(FormatOffence(offence), "06/L-074 art. 230 §1");
  offence.set_paragraph(0);
  EXPECT_EQ(FormatOffence(offence), "06/L-074 art. 230");
}

TEST(FormatSentenceAndBanTest, UsePlainWords) {
  v1::Sentence sentence;
  sentence.set_type(v1::SENTENCE_TYPE_IMPRISONMENT);
  sentence.set_months(36);
  EXPECT_EQ(FormatSentence(sentence), "imprisonment, 36 months");
  sentence.set_type(v1::SENTENCE_TYPE_FINE);
  sentence.set_months(0);
  EXPECT_EQ(FormatSentence(sentence), "fine");
  sentence.set_type(v1::SENTENCE_TYPE_LIFE_IMPRISONMENT);
  EXPECT_EQ(FormatSentence(sentence), "life imprisonment");
  v1::AccessoryBan ban;
  ban.set_type(v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban.set_end_date("2034-05-15");
  EXPECT_EQ(FormatBan(ban), "work with children until 2034-05-15");
  ban.clear_end_date();
  EXPECT_EQ(FormatBan(ban), "work with children for life");
}

TEST(FormatRecordTest, LabelsFieldsForPeople) {
  v1::Record record;
  record.mutable_metadata()->set_record_id("0123456789abcdef0123456789abcdef");
  record.mutable_metadata()->set_version(2);
  record.mutable_metadata()->set_status(v1::RECORD_STATUS_DISPUTED);
  record.mutable_metadata()->set_employer_visible_until("2034-05-15");
  record.mutable_metadata()->set_delete_after("2054-05-15");
  record.mutable_person()->set_surname("Kërqeli");
  record.mutable_person()->set_given_name("Arben");
  record.mutable_person()->set_birth_date("1980-04-12");
  record.mutable_person()->set_birth_place("Prishtinë");
  record.mutable_person()->set_personal_number("1234567890");
  record.mutable_conviction()->set_court_id("basic-prishtine");
  record.mutable_conviction()->set_case_number("P 123/2024");
  v1::Offence* offence = record.mutable_conviction()->add_offences();
  offence->set_law("06/L-074");
  offence->set_article(230);
  offence->set_paragraph(1);
  const std::string text = FormatRecord(record);
  EXPECT_THAT(text, HasSubstr("Surname:"));
  EXPECT_THAT(text, HasSubstr("Kërqeli\n"));
  EXPECT_THAT(text, HasSubstr("Given name:"));
  EXPECT_THAT(text, HasSubstr("1980-04-12 in Prishtinë\n"));
  EXPECT_THAT(text, HasSubstr("Personal number:"));
  EXPECT_THAT(text, HasSubstr("P 123/2024\n"));
  EXPECT_THAT(text, HasSubstr("06/L-074 art. 230 §1\n"));
  EXPECT_THAT(text, HasSubstr("disputed\n"));
  EXPECT_THAT(text, HasSubstr("Visible to employers until:  2034-05-15\n"));
  EXPECT_THAT(text, HasSubstr("Delete after:"));
  EXPECT_THAT(text, HasSubstr("Bans:"));
  // No proto text format leaks through.
  EXPECT_THAT(text, Not(HasSubstr("RECORD_STATUS_")));
  EXPECT_THAT(text, Not(HasSubstr("{")));
}

TEST(VettingResultNameTest, IsShortWords) {
  EXPECT_EQ(VettingResultName(v1::VETTING_RESULT_NOT_CLEAR), "NOT CLEAR");
  EXPECT_EQ(VettingResultName(v1::VETTING_RESULT_REFER), "REFER");
}

// One version of a record, as GetRecordHistory sends it: its dates are those it was written with.
v1::RecordVersion Version(uint32_t number, const std::string& who, const std::string& reason,
                          const std::string& address, const std::string& visible,
                          const std::string& deleted) {
  v1::RecordVersion version;
  v1::RecordMetadata* m = version.mutable_record()->mutable_metadata();
  m->set_record_id("0123456789abcdef0123456789abcdef");
  m->set_version(number);
  m->set_status(v1::RECORD_STATUS_ACTIVE);
  m->set_created_by("spiffe://registry.kjc.dev/clerk/first");
  m->set_created_at("2026-01-02T03:04:05Z");
  if (number > 1) {
    m->set_updated_by(who);
    m->set_updated_at(absl::StrCat("2026-0", number, "-03T04:05:06Z"));
  }
  m->set_employer_visible_until(visible);
  m->set_delete_after(deleted);
  version.mutable_record()->mutable_person()->set_surname("Bajrami");
  version.mutable_record()->mutable_person()->set_last_known_address(address);
  version.mutable_record()->mutable_conviction()->set_final_date("2016-12-07");
  version.set_reason(reason);
  return version;
}

// The reviewer's case: an address corrected (version 2), then a later conviction of the same
// person extended the dates in force. The extension is said after the versions, as the dates now
// in force, and never under the address clerk's name and reason; the other record is not named.
TEST(FormatHistoryTest, ADateChangeMadeByALaterConvictionIsNotPrintedUnderTheLastVersionsAuthor) {
  v1::GetRecordHistoryResponse history;
  *history.add_versions() = Version(1, "", "created", "Rr. Agim Ramadani 14, Prishtinë",
                                    "2026-12-07", "2031-12-07");
  *history.add_versions() = Version(2, "spiffe://registry.kjc.dev/clerk/address",
                                    "address from police", "Rr. Dardania 5, Prizren",
                                    "2026-12-07", "2031-12-07");
  v1::DatesInForce* in_force = history.mutable_dates_in_force();
  in_force->set_employer_visible_until("2051-12-07");
  in_force->set_delete_after("2061-12-07");
  in_force->set_extended_by_another_conviction(true);
  const std::string text = FormatHistory(history);
  const size_t v2 = text.find("== version 2, 2026-02-03T04:05:06Z, by "
                              "spiffe://registry.kjc.dev/clerk/address: address from police\n");
  ASSERT_NE(v2, std::string::npos) << text;
  const size_t after = text.find("\nDates now in force: ");
  ASSERT_NE(after, std::string::npos) << text;
  const std::string v2_block = text.substr(v2, after - v2);
  EXPECT_EQ(v2_block,
            "== version 2, 2026-02-03T04:05:06Z, by spiffe://registry.kjc.dev/clerk/address: "
            "address from police\n"
            "Last known address:          Rr. Agim Ramadani 14, Prishtinë → "
            "Rr. Dardania 5, Prizren\n");
  EXPECT_EQ(text.substr(after),
            "\nDates now in force: visible to employers until 2051-12-07, delete after "
            "2061-12-07 (extended by another conviction of the same person)\n");
  // The first version whole, with the dates it was written with.
  EXPECT_THAT(text.substr(0, v2), HasSubstr("Visible to employers until:  2026-12-07\n"));
  EXPECT_THAT(text, Not(HasSubstr("→ 2051-12-07")));
}

// A version that changed the dates itself (a clerk corrected the final date) shows the change
// under its author, as any field; a history whose newest version's dates are in force says
// nothing more.
TEST(FormatHistoryTest, ADateChangeAVersionMadeIsShownUnderItsAuthorAndNothingFollows) {
  v1::GetRecordHistoryResponse history;
  *history.add_versions() =
      Version(1, "", "created", "Rr. Dardania 5, Prizren", "2026-12-07", "2031-12-07");
  *history.add_versions() = Version(2, "spiffe://registry.kjc.dev/clerk/final", "final date",
                                    "Rr. Dardania 5, Prizren", "2027-01-10", "2032-01-10");
  const std::string text = FormatHistory(history);
  EXPECT_THAT(text, ::testing::EndsWith(
                        "clerk/final: final date\n"
                        "Visible to employers until:  2026-12-07 → 2027-01-10\n"
                        "Delete after:                2031-12-07 → 2032-01-10\n"));
  EXPECT_THAT(text, Not(HasSubstr("Dates now in force")));
  EXPECT_EQ(FormatDatesInForce(history), "");
}

// Why the dates in force are not the newest version's, as the registry says it; a reply that
// says neither (an older registry) is not given a reason it did not state. The dates are the
// server's: escaped for the terminal.
TEST(FormatHistoryTest, TheDatesInForceSayWhyTheyDifferAndAreEscaped) {
  v1::GetRecordHistoryResponse history;
  v1::DatesInForce* in_force = history.mutable_dates_in_force();
  in_force->set_employer_visible_until("2051-12-07");
  in_force->set_delete_after("2061-12-07\x1b[2J");
  in_force->set_retention_rules_changed(true);
  EXPECT_EQ(FormatDatesInForce(history),
            "\nDates now in force: visible to employers until 2051-12-07, delete after "
            "2061-12-07\\x1b[2J (re-dated under the retention rules in force since the newest "
            "version)\n");
  in_force->set_extended_by_another_conviction(true);
  EXPECT_THAT(FormatDatesInForce(history),
              HasSubstr("(extended by another conviction of the same person, and re-dated under "
                        "the retention rules in force)\n"));
  in_force->set_extended_by_another_conviction(false);
  in_force->set_retention_rules_changed(false);
  EXPECT_THAT(FormatDatesInForce(history),
              HasSubstr("(not those the newest version was written with)\n"));
}

// Another conviction under the same personal number (another name) kept the record from
// deletion only, and the history said its dates were "extended by another conviction of the
// same person", as if it counted for vetting longer.
TEST(FormatHistoryTest, DatesOnlyKeptFromDeletionAreNotSaidToBeExtended) {
  v1::GetRecordHistoryResponse history;
  v1::DatesInForce* in_force = history.mutable_dates_in_force();
  in_force->set_employer_visible_until("2030-01-10");
  in_force->set_delete_after("2044-06-02");
  in_force->set_extended_by_another_conviction(true);
  in_force->set_kept_from_deletion_only(true);
  EXPECT_EQ(FormatDatesInForce(history),
            "\nDates now in force: visible to employers until 2030-01-10, delete after "
            "2044-06-02 (kept from deletion by another conviction under the same personal "
            "number)\n");
  in_force->set_retention_rules_changed(true);
  EXPECT_THAT(FormatDatesInForce(history),
              HasSubstr("(kept from deletion by another conviction under the same personal "
                        "number, and re-dated under the retention rules in force)\n"));
  EXPECT_THAT(FormatDatesInForce(history), Not(HasSubstr("extended")));
}

// A check asked under another personal number, in the history of a person whose record took part:
// a REFER was theirs and is said; any other answer is the asked number's and is not, nor is it
// said to be an answer of theirs.
TEST(CheckOutcomeTextTest, ACheckAskedUnderAnotherNumberShowsOnlyTheReferThatWasTheirs) {
  v1::CheckSummary check;
  check.set_asked_under_another_number(true);
  check.set_result(v1::VETTING_RESULT_REFER);
  EXPECT_EQ(CheckOutcomeText(check), "REFER (asked under another personal number)");
  check.set_result(v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_EQ(CheckOutcomeText(check),
            "asked under another personal number (its answer is that number's, not shown)");
  check.set_asked_under_another_number(false);
  check.set_result(v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(CheckOutcomeText(check), "NOT CLEAR");
}

}  // namespace
}  // namespace registry::client
