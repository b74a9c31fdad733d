// A name word glued to another with an apostrophe ("Xhafa'Krasniqi", "Ali'Arben", "O'Krasniqi")
// through a real registryd: the apostrophe separates the words for the pairs and the words alone
// as a hyphen does (RecordStore::ApartForms), on the candidate's side and on the record's, for
// vetting under another number and for the court's search; a record of schema 13 has the new
// rows filed at its first start, and the data check holds them to the head.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/hmac.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "storage/database.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/checked_calls.h"
#include "tests/testing/clients.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBorn[] = "1980-01-01";

class VettingApostropheTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start(); }

  std::string Create(const std::string& number, const std::string& surname,
                     const std::string& given) {
    v1::CreateRecordRequest r = ExampleRecord();
    r.mutable_person()->set_personal_number(number);
    r.mutable_person()->set_surname(surname);
    r.mutable_person()->set_given_name(given);
    r.mutable_person()->set_birth_date(kBorn);
    r.mutable_person()->clear_aliases();
    return CreatedRecordId(*server_, "clerk", r);
  }

  // A check of the name born kBorn under a number no record is filed under (another each call).
  v1::VettingResult VetUnderAFalseNumber(const std::string& surname, const std::string& given) {
    v1::VettingCheckRequest req =
        CandidateOf(ExampleRecord().person(), absl::StrCat("C-", next_number_));
    req.set_personal_number(absl::StrCat("40000009", next_number_++));
    req.set_surname(surname);
    req.set_given_name(given);
    req.set_birth_date(kBorn);
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::VettingCheckResponse resp;
    const grpc::Status s =
        v1::VettingService::NewStub(server_->Channel("vetting"))->VettingCheck(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.result();
  }

  // The records the court's search of the name born kBorn answers, matches and possible ones.
  std::vector<std::string> Found(const std::string& surname, const std::string& given) {
    const v1::SearchRecordsResponse resp = CourtNameSearch(*server_, surname, given, kBorn);
    std::vector<std::string> ids;
    for (const auto& r : resp.records()) ids.push_back(r.metadata().record_id());
    for (const auto& r : resp.possible_matches()) ids.push_back(r.metadata().record_id());
    return ids;
  }

  v1::VerifyDataResponse Verify() { return VerifiedData(*server_); }

  // The key of the index row of `kind` ('v' under the name index, 'u' under the loose one) over
  // `text` for record `id`, as an insider with the key file computes it.
  std::string RowKey(char kind, const std::string& text, const std::string& id) const {
    const char* index =
        kind == 'u' ? "blind-index/loose-name-birth-date" : "blind-index/name-birth-date";
    absl::StatusOr<std::string> token = crypto::HmacSha256(DerivedKeyOf(*server_, index), text);
    EXPECT_TRUE(token.ok()) << token.status();
    return absl::StrCat(std::string(1, kind), token.value_or(""), id);
  }

  std::unique_ptr<TestServer> server_;
  int next_number_ = 10;
};

// A word glued on with an apostrophe, to the surname or the given name, before or after, or a
// part of one letter so glued ("O'", "D'"): under a false number each refers as the same word
// with a hyphen does, never a signed CLEAR. A name that shares one word alone still finds
// nothing.
TEST_F(VettingApostropheTest, AWordGluedOnWithAnApostropheUnderAFalseNumberIsReferNeverClear) {
  ASSERT_FALSE(Create("4000000101", "Krasniqi", "Arben").empty());
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Xhafa-Krasniqi", "Arben"}, {"Xhafa'Krasniqi", "Arben"}, {"Krasniqi'Xhafa", "Arben"},
           {"O'Krasniqi", "Arben"}, {"D'Krasniqi", "Arben"}, {"Krasniqi", "Ali'Arben"},
           {"Krasniqi", "Arben'Ali"}, {"Krasniqi", "O'Arben"},
           {"Krasniqi", "Ali\xe2\x80\x99" "Arben"}}) {  // a right single quotation mark
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(VetUnderAFalseNumber(surname, given), v1::VETTING_RESULT_REFER);
  }
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Xhafa'Krasniqi", "Besnik"}, {"O'Hoti", "Arben'Ali"}, {"Hoti", "O'Arben"},
           {"D'Hoti", "Besnik"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(VetUnderAFalseNumber(surname, given), v1::VETTING_RESULT_CLEAR);
  }
}

// A record whose surname holds an apostrophe ("D'Amato") is found by the word after it, alone or
// with another before it, as "Hoxha-Berisha" is by "Berisha"; and still by the word joined.
TEST_F(VettingApostropheTest, ARecordWithAnApostropheIsFoundByTheWordItGlues) {
  const std::string id = Create("4000000102", "D'Amato", "Marco");
  ASSERT_FALSE(id.empty());
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Amato", "Marco"}, {"De Amato", "Marco"}, {"DAmato", "Marco"}, {"D Amato", "Marco"},
           {"Marco", "Amato"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_EQ(VetUnderAFalseNumber(surname, given), v1::VETTING_RESULT_REFER);
    EXPECT_THAT(Found(surname, given), Contains(id));
  }
  EXPECT_EQ(VetUnderAFalseNumber("Amato", "Besnik"), v1::VETTING_RESULT_CLEAR);
  EXPECT_THAT(Found("Amato", "Besnik"), Not(Contains(id)));
}

// The court's search of a name with a word glued on finds the record of its words.
TEST_F(VettingApostropheTest, TheCourtsSearchOfAWordGluedOnFindsTheRecord) {
  const std::string id = Create("4000000103", "Krasniqi", "Arben");
  ASSERT_FALSE(id.empty());
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Xhafa'Krasniqi", "Arben"}, {"O'Krasniqi", "Arben"}, {"Krasniqi", "Ali'Arben"}}) {
    SCOPED_TRACE(surname + ", " + given);
    EXPECT_THAT(Found(surname, given), Contains(id));
  }
  EXPECT_THAT(Found("Xhafa'Krasniqi", "Besnik"), Not(Contains(id)));
}

// A name of more than six words, counting those an apostrophe glues, is refused as one of more
// than six words written apart is: the pairs, and the reads, stay bounded.
TEST_F(VettingApostropheTest, SevenWordsGluedWithApostrophesAreRefusedAsSevenWords) {
  v1::VettingCheckRequest req = CandidateOf(ExampleRecord().person(), "C-seven");
  req.set_personal_number("4000000999");
  req.set_surname("Ab'Cd'Ef'Gh'Ij'Kl'Mn");
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::VettingCheckResponse resp;
  const grpc::Status s =
      v1::VettingService::NewStub(server_->Channel("vetting"))->VettingCheck(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("at most 6 words"));
}

// Schema 13 filed no row of a name's apostrophes read as spaces: the start that files the names
// anew (schema 13 to 14) files them, and the data check names one deleted.
TEST_F(VettingApostropheTest, DataCheckAnUpgradedFolderFilesTheApartRowsAndADeletedOneIsCaught) {
  const std::string id = Create("4000000104", "D'Amato", "Marco");
  ASSERT_FALSE(id.empty());
  const std::string pair = RowKey('v', absl::StrCat("word-pair|amato marco|", kBorn), id);
  const std::string loose_pair = RowKey('u', absl::StrCat("word-pair|amato marco|", kBorn), id);
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
    for (const std::string& key : {pair, loose_pair}) {
      absl::StatusOr<std::optional<std::string>> row = db->Get(storage::Cf::kIndex, key);
      ASSERT_TRUE(row.ok() && row->has_value()) << key.substr(0, 1);
      DeleteStored(db, storage::Cf::kIndex, key);
    }
    storage::Batch batch;
    batch.Put(storage::Cf::kMeta, "schema/version", "13");
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  ASSERT_NO_FATAL_FAILURE(ForgeIndexSeal(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_THAT(LastStoredEvent(*server_).reference(), HasSubstr("schema 13 to 14: 1 record"));
  EXPECT_EQ(Verify().problem_count(), 0u);
  EXPECT_EQ(VetUnderAFalseNumber("Amato", "Marco"), v1::VETTING_RESULT_REFER);

  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
    for (const std::string& key : {pair, loose_pair}) {
      absl::StatusOr<std::optional<std::string>> row = db->Get(storage::Cf::kIndex, key);
      EXPECT_TRUE(row.ok() && row->has_value()) << key.substr(0, 1);
    }
    DeleteStored(db, storage::Cf::kIndex, pair);
  }));
  ASSERT_NO_FATAL_FAILURE(ForgeIndexSeal(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_THAT(Verify().problems(),
              Contains(absl::StrCat("record ", id, ": index row 'v' missing")));
}

}  // namespace
}  // namespace registry::testing
