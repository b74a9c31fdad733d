#include "client/record_format.h"

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

}  // namespace
}  // namespace registry::client
