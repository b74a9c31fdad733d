#include "common/suggest.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry {
namespace {

using ::testing::Eq;
using ::testing::Optional;

TEST(EditDistanceTest, CountsInsertionsDeletionsReplacementsAndSwaps) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("record", "record"), 0u);
  EXPECT_EQ(EditDistance("", "vet"), 3u);
  EXPECT_EQ(EditDistance("recor", "record"), 1u);   // inserted
  EXPECT_EQ(EditDistance("recordd", "record"), 1u);  // deleted
  EXPECT_EQ(EditDistance("recurd", "record"), 1u);   // replaced
  EXPECT_EQ(EditDistance("recrod", "record"), 1u);   // two neighbours swapped
  EXPECT_EQ(EditDistance("audit", "record"), 6u);
  EXPECT_EQ(EditDistance("Record", "record"), 1u) << "case counts";
}

TEST(ClosestTest, SuggestsTheNearestNameWithinAFewEdits) {
  const std::vector<std::string> names = {"health", "record", "vet", "audit", "certificate"};
  EXPECT_THAT(Closest("recrod", names), Optional(Eq("record")));
  EXPECT_THAT(Closest("helth", names), Optional(Eq("health")));
  EXPECT_THAT(Closest("vte", names), Optional(Eq("vet")));
  EXPECT_THAT(Closest("certficate", names), Optional(Eq("certificate")));
  // A name cut short.
  EXPECT_THAT(Closest("cert", names), Optional(Eq("certificate")));
  // Short names allow one edit, longer ones more.
  EXPECT_EQ(Closest("vxx", names), std::nullopt);
  EXPECT_EQ(Closest("frobnicate", names), std::nullopt);
  EXPECT_EQ(Closest("", names), std::nullopt);
  EXPECT_EQ(Closest("record", names), std::nullopt) << "a known name needs no suggestion";
  EXPECT_EQ(Closest("recrod", {}), std::nullopt);
}

TEST(ClosestTest, TheNearestWinsAndTiesGoToTheFirst) {
  EXPECT_THAT(Closest("case-re", {"case-number", "case-ref"}), Optional(Eq("case-ref")));
  EXPECT_THAT(Closest("bat", {"bar", "bag"}), Optional(Eq("bar")));
}

// What an error may repeat of a name typed where one of ours belongs: typos of ours only, never
// a word that may be a person's.
TEST(NearMissOfOurNameTest, OnlyTyposOfOurNamesAreRepeated) {
  const std::vector<std::string> names = {"surname",  "given_name",  "birth_place", "person",
                                          "months",   "juvenile",    "bans",        "sex",
                                          "offences", "citizenships", "sentence_months"};
  EXPECT_EQ(NearMissOfOurName("surnme", names), "surname");         // one left out
  EXPECT_EQ(NearMissOfOurName("surnmae", names), "surname");        // two swapped
  EXPECT_EQ(NearMissOfOurName("given-name", names), "given_name");  // joined like ours
  EXPECT_EQ(NearMissOfOurName("sentence_month", names), "sentence_months");
  EXPECT_EQ(NearMissOfOurName("ofences", names), "offences");
  // Our names in other capitals, or without their "_", are ours.
  EXPECT_EQ(NearMissOfOurName("Surname", names), "surname");
  EXPECT_EQ(NearMissOfOurName("GivenName", names), "given_name");
  EXPECT_EQ(NearMissOfOurName("SENTENCE-MONTHS", names), "sentence_months");
  EXPECT_EQ(NearMissOfOurName("SEX", names), "sex");
  for (const char* word : {"pearson", "persson", "peron", "montes", "juvenal", "banks", "bains",
                           "krasniqi", "prishtina", "Surnme", "surname1234567890", "sexy",
                           "birthplace_of_arben"}) {
    EXPECT_EQ(NearMissOfOurName(word, names), std::nullopt) << word;
  }
}

}  // namespace
}  // namespace registry
