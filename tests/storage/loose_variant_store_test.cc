// The court's loose name search in the store (RecordStore::SearchByLooseName): the loose form of
// a name (NameNormalizer::LooseForm) meets a record's in each of the ways the exact forms meet,
// through the record's loose rows of its other ways of being written (rows 'u',
// StoredHead.loose_variant_tokens), which follow an amendment; the tokens looked up depend on
// the query only.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "crypto/keyring.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"
#include "tests/testing/record_store_fixture.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

using registry::v1::Conviction;
using registry::v1::Person;
using registry::v1::Record;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Јовановић-Петровић, Ђорђе.
constexpr char kSurname[] =
    "\u0408\u043e\u0432\u0430\u043d\u043e\u0432\u0438\u045b-"
    "\u041f\u0435\u0442\u0440\u043e\u0432\u0438\u045b";
constexpr char kGiven[] = "\u0402\u043e\u0440\u0452\u0435";
constexpr char kBorn[] = "1980-02-29";

Person MakePerson(absl::string_view surname, absl::string_view given_name) {
  return testing::MakePerson(surname, given_name, kBorn, "1000000771");
}

Conviction MakeConviction() { return testing::MakeConviction("basic-prishtine", "P 77/2024"); }

VersionMeta Meta() { return testing::ClerkMeta("2034-05-15"); }

class RecordStoreLooseVariantTest : public testing::RecordStoreFixture {
 protected:
  RecordStoreLooseVariantTest() : RecordStoreFixture("registry-loose-variant-test") {}

  std::string Create(const Person& person) {
    return CommitNew(person, MakeConviction(), Meta());
  }

  // The ids the loose search finds for the name, and (when given) the tokens it looked up.
  std::vector<std::string> Found(const std::string& surname, const std::string& given,
                                 std::vector<std::string>* looked_up = nullptr) {
    std::string token;
    std::vector<std::string> words;
    absl::StatusOr<std::vector<Record>> found =
        store_->SearchByLooseName(surname, given, kBorn, 10, &token, &words);
    EXPECT_TRUE(found.ok()) << found.status();
    if (looked_up != nullptr) {
      *looked_up = words;
      looked_up->push_back(token);
    }
    std::vector<std::string> ids;
    if (found.ok()) {
      for (const Record& r : *found) ids.push_back(r.metadata().record_id());
    }
    return ids;
  }

};

// "Petroviq, Đorđe" (one of two surnames in the Albanian spelling), "Gjorgje, Petroviq" (the
// fields swapped, respelt), "Petroviq Gjorgje, Xhafa" (two words, respelt) each find
// "Јовановић-Петровић, Ђорђе"; one word in common finds nothing. The tokens looked up are the
// same whether the registry holds the record or not.
TEST_F(RecordStoreLooseVariantTest, ALooseSearchCombinesAnotherSpellingWithTheOtherWaysOfAName) {
  std::vector<std::string> before;
  EXPECT_THAT(Found("Petroviq", "Gjorgje", &before), IsEmpty());
  const std::string id = Create(MakePerson(kSurname, kGiven));
  std::vector<std::string> after;
  EXPECT_THAT(Found("Petroviq", "Gjorgje", &after), ElementsAre(id));
  EXPECT_EQ(before, after);

  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Petroviq", "\u0110or\u0111e"},
           {"Petroviq", "Dorde"},
           {"Jovanoviq", "Dorde"},
           {"Gjorgje", "Petroviq"},
           {"Gjorgje", "Jovanoviq Petroviq"},
           {"Petroviq Gjorgje", "Xhafa"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_THAT(Found(surname, given), ElementsAre(id));
  }
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Petroviq", "Ana"}, {"Gjorgje", "Xhafa"}, {"Petrovski", "Gjorgje"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_THAT(Found(surname, given), IsEmpty());
  }
}

// An amendment moves the record's loose rows with its name: the old name's ways find it no more,
// the new name's do.
TEST_F(RecordStoreLooseVariantTest, TheLooseRowsFollowAnAmendment) {
  const std::string id = Create(MakePerson(kSurname, kGiven));
  ASSERT_THAT(Found("Petroviq", "Dorde"), ElementsAre(id));
  ASSERT_NO_FATAL_FAILURE(CommitChange(
      id, 0,
      [](Record* record) { record->mutable_person()->set_surname("Jovanovi\u0107-Markovi\u0107"); },
      "surname corrected", Meta()));
  EXPECT_THAT(Found("Petroviq", "Dorde"), IsEmpty());
  EXPECT_THAT(Found("Markoviq", "Gjorgje"), ElementsAre(id));
}

}  // namespace
}  // namespace registry::storage
