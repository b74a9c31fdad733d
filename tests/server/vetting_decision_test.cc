// DecideVetting, the pure vetting decision: which records take part, and which code follows.
#include "server/vetting_decision.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const absl::CivilDay kToday(2026, 6, 1);

storage::VettingFacts Fact(std::string id, bool matches, v1::RecordStatus status,
                           std::string visible_until) {
  storage::VettingFacts f;
  f.record_id = std::move(id);
  f.identity_matches = matches;
  f.status = status;
  f.employer_visible_until = std::move(visible_until);
  return f;
}

// A record found by the candidate's exact name and birth date under another personal number.
storage::VettingFacts UnderOtherNumber(std::string id, v1::RecordStatus status,
                                       std::string visible_until) {
  storage::VettingFacts f = Fact(std::move(id), true, status, std::move(visible_until));
  f.under_other_number = true;
  return f;
}

constexpr auto kActive = v1::RECORD_STATUS_ACTIVE;
constexpr auto kDisputed = v1::RECORD_STATUS_DISPUTED;
constexpr auto kExpunged = v1::RECORD_STATUS_EXPUNGED;

TEST(VettingDecisionTest, NoRecordIsClear) {
  const VettingDecision d = DecideVetting({}, kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_CLEAR);
  EXPECT_THAT(d.deciding_record_ids, IsEmpty());
}

TEST(VettingDecisionTest, MatchingActiveVisibleRecordIsNotClear) {
  const VettingDecision d = DecideVetting({Fact("a", true, kActive, "2030-01-01")}, kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_THAT(d.deciding_record_ids, ElementsAre("a"));
}

TEST(VettingDecisionTest, VisibleThroughTheLastDayInclusive) {
  EXPECT_EQ(DecideVetting({Fact("a", true, kActive, "2026-06-01")}, kToday).result,
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(DecideVetting({Fact("a", true, kActive, "2026-05-31")}, kToday).result,
            v1::VETTING_RESULT_CLEAR);
}

// A spent record takes no part in any branch: whatever its name or status, the answer is what
// a person without a record gets.
TEST(VettingDecisionTest, SpentRecordsAreInvisibleInEveryBranch) {
  for (bool matches : {true, false}) {
    for (v1::RecordStatus status : {kActive, kDisputed}) {
      SCOPED_TRACE(testing::Message() << "matches=" << matches << " status=" << status);
      const VettingDecision d =
          DecideVetting({Fact("spent", matches, status, "2026-05-31")}, kToday);
      EXPECT_EQ(d.result, v1::VETTING_RESULT_CLEAR);
      EXPECT_THAT(d.deciding_record_ids, IsEmpty());
    }
  }
}

TEST(VettingDecisionTest, ExpungedRecordsAreInvisible) {
  for (bool matches : {true, false}) {
    const VettingDecision d = DecideVetting({Fact("x", matches, kExpunged, "2099-01-01")}, kToday);
    EXPECT_EQ(d.result, v1::VETTING_RESULT_CLEAR);
  }
}

TEST(VettingDecisionTest, VisibleRecordUnderAnotherNameRefers) {
  const VettingDecision d = DecideVetting({Fact("a", false, kActive, "2030-01-01")}, kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_REFER);
  EXPECT_THAT(d.deciding_record_ids, ElementsAre("a"));
}

TEST(VettingDecisionTest, VisibleDisputedRecordRefers) {
  EXPECT_EQ(DecideVetting({Fact("a", true, kDisputed, "2030-01-01")}, kToday).result,
            v1::VETTING_RESULT_REFER);
}

TEST(VettingDecisionTest, UnreadableVisibilityEndCannotBeShownSpentSoItRefers) {
  for (bool matches : {true, false}) {
    const VettingDecision d = DecideVetting({Fact("a", matches, kActive, "")}, kToday);
    EXPECT_EQ(d.result, v1::VETTING_RESULT_REFER);
  }
}

TEST(VettingDecisionTest, AMatchingActiveRecordDecidesOverOthers) {
  const VettingDecision d = DecideVetting(
      {Fact("mismatch", false, kActive, "2030-01-01"), Fact("disputed", true, kDisputed, "2030-01-01"),
       Fact("active", true, kActive, "2030-01-01"), Fact("spent", true, kActive, "2020-01-01")},
      kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_THAT(d.deciding_record_ids, ElementsAre("active"));
}

TEST(VettingDecisionTest, ReferNamesEveryRecordThatTookPart) {
  const VettingDecision d = DecideVetting(
      {Fact("mismatch", false, kActive, "2030-01-01"), Fact("disputed", true, kDisputed, "2030-01-01"),
       Fact("spent", true, kActive, "2020-01-01")},
      kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_REFER);
  EXPECT_THAT(d.deciding_record_ids, UnorderedElementsAre("mismatch", "disputed"));
}

TEST(VettingDecisionTest, OnlySpentRecordsAmongSeveralIsClear) {
  const VettingDecision d = DecideVetting(
      {Fact("a", false, kActive, "2020-01-01"), Fact("b", true, kDisputed, "2026-05-31")}, kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_CLEAR);
  EXPECT_THAT(d.deciding_record_ids, IsEmpty());
}

// The KJC review's case: a number mistyped in the judgment or the record, or a false one from
// the candidate, must not give a signed CLEAR while a record names the candidate exactly; nor
// NOT_CLEAR, since the number differs. The registry verifies by hand.
TEST(VettingDecisionTest, ARecordNamingTheCandidateUnderAnotherNumberRefersNeverNotClear) {
  for (v1::RecordStatus status : {kActive, kDisputed}) {
    SCOPED_TRACE(status);
    const VettingDecision d =
        DecideVetting({UnderOtherNumber("other", status, "2034-07-15")}, kToday);
    EXPECT_EQ(d.result, v1::VETTING_RESULT_REFER);
    EXPECT_THAT(d.deciding_record_ids, ElementsAre("other"));
  }
}

// A spent or expunged record under another number takes no part, as under the candidate's own.
TEST(VettingDecisionTest, ARecordUnderAnotherNumberRefersUntilItIsSpent) {
  const VettingDecision live =
      DecideVetting({UnderOtherNumber("other", kActive, "2026-06-01")}, kToday);
  EXPECT_EQ(live.result, v1::VETTING_RESULT_REFER);
  for (const storage::VettingFacts& gone :
       {UnderOtherNumber("spent", kActive, "2026-05-31"),
        UnderOtherNumber("expunged", kExpunged, "2099-01-01")}) {
    SCOPED_TRACE(gone.record_id);
    const VettingDecision d = DecideVetting({gone}, kToday);
    EXPECT_EQ(d.result, v1::VETTING_RESULT_CLEAR);
    EXPECT_THAT(d.deciding_record_ids, IsEmpty());
  }
}

// The candidate's own number decides first: its matching active record is NOT_CLEAR, and the
// record under another number is not among those that decided it.
TEST(VettingDecisionTest, AMatchingActiveRecordUnderTheOwnNumberDecidesOverOneUnderAnother) {
  const VettingDecision d =
      DecideVetting({Fact("own", true, kActive, "2030-01-01"),
                     UnderOtherNumber("other", kActive, "2030-01-01")},
                    kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_THAT(d.deciding_record_ids, ElementsAre("own"));
}

// Each person whose record under another number took part in a REFER is named for their
// history, once. On a NOT_CLEAR the asked number's own record decides, which is another
// person's: no namesake is named, whose history would tell them of it. The code and the deciding
// records stay as they are; a spent, expunged or renamed record under another number names no one.
TEST(VettingDecisionTest, ThePeopleOfRecordsUnderAnotherNumberAreNamedOnAReferOnly) {
  const auto of_person = [](storage::VettingFacts f, std::string person_token) {
    f.person_token = std::move(person_token);
    return f;
  };
  const storage::VettingFacts other = of_person(UnderOtherNumber("other", kActive, "2030-01-01"),
                                                "person-b");
  const storage::VettingFacts other_again =
      of_person(UnderOtherNumber("other-2", kDisputed, "2030-01-01"), "person-b");
  const storage::VettingFacts third =
      of_person(UnderOtherNumber("third", kActive, "2030-01-01"), "person-c");

  const VettingDecision not_clear =
      DecideVetting({Fact("own", true, kActive, "2030-01-01"), other, other_again, third}, kToday);
  EXPECT_EQ(not_clear.result, v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_THAT(not_clear.deciding_record_ids, ElementsAre("own"));
  EXPECT_THAT(not_clear.other_people, IsEmpty());

  const VettingDecision refer = DecideVetting({other, other_again}, kToday);
  EXPECT_EQ(refer.result, v1::VETTING_RESULT_REFER);
  EXPECT_THAT(refer.deciding_record_ids, UnorderedElementsAre("other", "other-2"));
  ASSERT_EQ(refer.other_people.size(), 1u);
  EXPECT_EQ(refer.other_people[0].token, "person-b");
  EXPECT_THAT(refer.other_people[0].record_ids, UnorderedElementsAre("other", "other-2"));

  storage::VettingFacts renamed = other;
  renamed.identity_matches = false;
  for (const storage::VettingFacts& no_part :
       {of_person(UnderOtherNumber("spent", kActive, "2026-05-31"), "person-b"),
        of_person(UnderOtherNumber("expunged", kExpunged, "2099-01-01"), "person-b"), renamed}) {
    SCOPED_TRACE(no_part.record_id);
    const VettingDecision own =
        DecideVetting({Fact("own", true, kActive, "2030-01-01"), no_part}, kToday);
    EXPECT_EQ(own.result, v1::VETTING_RESULT_NOT_CLEAR);
    EXPECT_THAT(own.other_people, IsEmpty());
    const VettingDecision alone = DecideVetting({no_part}, kToday);
    EXPECT_EQ(alone.result, v1::VETTING_RESULT_CLEAR);
    EXPECT_THAT(alone.other_people, IsEmpty());
  }
}

// A REFER given by the asked number's own record and by two namesakes under other numbers: each
// namesake is named with their own records only, never another's (their history entry names
// what decided it, and an erasure of another's record must not withhold it). The deciding
// records of the check are all of them.
TEST(VettingDecisionTest, EachPersonUnderAnotherNumberIsNamedWithTheirOwnRecordsOnly) {
  const auto of_person = [](storage::VettingFacts f, std::string person_token) {
    f.person_token = std::move(person_token);
    return f;
  };
  const VettingDecision d = DecideVetting(
      {Fact("own", false, kActive, "2030-01-01"),
       of_person(UnderOtherNumber("b-1", kActive, "2030-01-01"), "person-b"),
       of_person(UnderOtherNumber("c-1", kDisputed, "2030-01-01"), "person-c"),
       of_person(UnderOtherNumber("b-2", kActive, "2030-01-01"), "person-b")},
      kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_REFER);
  EXPECT_THAT(d.deciding_record_ids, UnorderedElementsAre("own", "b-1", "c-1", "b-2"));
  ASSERT_EQ(d.other_people.size(), 2u);
  EXPECT_EQ(d.other_people[0].token, "person-b");
  EXPECT_THAT(d.other_people[0].record_ids, ElementsAre("b-1", "b-2"));
  EXPECT_EQ(d.other_people[1].token, "person-c");
  EXPECT_THAT(d.other_people[1].record_ids, ElementsAre("c-1"));
}

// Under another number only an exact namesake has a say (one renamed since the index was read
// has none); under the own number a record under another name still refers.
TEST(VettingDecisionTest, ARecordUnderAnotherNumberThatDoesNotNameTheCandidateTakesNoPart) {
  storage::VettingFacts renamed = UnderOtherNumber("renamed", kActive, "2030-01-01");
  renamed.identity_matches = false;
  EXPECT_EQ(DecideVetting({renamed}, kToday).result, v1::VETTING_RESULT_CLEAR);
  const VettingDecision d =
      DecideVetting({renamed, Fact("own", false, kActive, "2030-01-01")}, kToday);
  EXPECT_EQ(d.result, v1::VETTING_RESULT_REFER);
  EXPECT_THAT(d.deciding_record_ids, ElementsAre("own"));
}

}  // namespace
}  // namespace registry::server
