// The loose rows of a name's other ways of being written (rows 'u', storage schema 14), through a
// real registryd: a folder of schema 13 has them filed at its first start, in an audited batch,
// and the data check holds them to the record's head as it holds the other index rows.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/hmac.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "storage/database.h"
#include "storage/index_seal.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/checked_calls.h"
#include "tests/testing/clients.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kBorn[] = "1980-02-29";

class DataCheckLooseRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    v1::CreateRecordRequest r = ExampleRecord();
    r.mutable_person()->set_personal_number("1234500041");
    r.mutable_person()->set_surname(
        "\u0408\u043e\u0432\u0430\u043d\u043e\u0432\u0438\u045b-"
        "\u041f\u0435\u0442\u0440\u043e\u0432\u0438\u045b");  // Јовановић-Петровић
    r.mutable_person()->set_given_name("\u0402\u043e\u0440\u0452\u0435");  // Ђорђе
    r.mutable_person()->set_birth_date(kBorn);
    r.mutable_person()->clear_aliases();
    id_ = CreatedRecordId(*server_, "clerk", r);
    ASSERT_FALSE(id_.empty());
  }

  v1::VerifyDataResponse Verify() { return VerifiedData(*server_); }

  // Stops the server, applies `edit` to its data as one holding the key file would (sealing
  // the index rows anew), starts it again.
  void EditBehindTheSeal(const std::function<void(storage::Database*)>& edit) {
    ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, edit));
    ASSERT_NO_FATAL_FAILURE(ForgeIndexSeal(*server_));
    ASSERT_TRUE(server_->Restart().ok());
  }

  // The key of the record's loose index row ('u') over `text` (RecordStore::LooseVariantTokens),
  // as an insider with the key file computes it.
  std::string LooseRowKey(const std::string& text) const {
    absl::StatusOr<std::string> token = crypto::HmacSha256(
        DerivedKeyOf(*server_, "blind-index/loose-name-birth-date"), text);
    EXPECT_TRUE(token.ok()) << token.status();
    return absl::StrCat("u", token.value_or(""), id_);
  }

  // The index rows of kind 'u' of the record.
  std::vector<std::string> LooseVariantRows(storage::Database* db) const {
    std::vector<std::string> keys;
    for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kIndex})) {
      if (!row.first.empty() && row.first[0] == 'u' && absl::EndsWith(row.first, id_)) {
        keys.push_back(row.first);
      }
    }
    return keys;
  }

  std::vector<std::string> PossibleMatches(const std::string& surname,
                                           const std::string& given) {
    const v1::SearchRecordsResponse resp = CourtNameSearch(*server_, surname, given, kBorn);
    std::vector<std::string> ids;
    for (const auto& r : resp.possible_matches()) ids.push_back(r.metadata().record_id());
    return ids;
  }

  std::unique_ptr<TestServer> server_;
  std::string id_;
};

// Schema 13 filed no loose row of a name's other ways of being written: the next start files
// every record's names anew ("schema 13 to 14"), once, so that "Petroviq, Dorde" finds
// "Јовановић-Петровић, Ђорђе", and the data check holds the new rows to the heads.
TEST_F(DataCheckLooseRowsTest, LooseVariantRowsOfAnEarlierSchemaAreFiledAtStartUp) {
  // One of two surnames with the given name (as a loose name), a pair of words, and the words
  // in any order, each in the loose form.
  const std::vector<std::string> expected = {
      LooseRowKey(absl::StrCat("petrovic|dorde|", kBorn)),
      LooseRowKey(absl::StrCat("word-pair|dorde petrovic|", kBorn)),
      LooseRowKey(absl::StrCat("any-order|dorde jovanovic petrovic|", kBorn))};
  size_t filed = 0;
  EditBehindTheSeal([&](storage::Database* db) {
    const std::vector<std::string> rows = LooseVariantRows(db);
    filed = rows.size();
    for (const std::string& key : expected) EXPECT_THAT(rows, Contains(key));
    for (const std::string& key : rows) DeleteStored(db, storage::Cf::kIndex, key);
    storage::Batch batch;
    batch.Put(storage::Cf::kMeta, "schema/version", "13");
    ASSERT_TRUE(db->Write(batch).ok());
  });
  EXPECT_GT(filed, 3u);
  EXPECT_THAT(LastStoredEvent(*server_).reference(), HasSubstr("schema 13 to 14: 1 record"));
  EXPECT_EQ(Verify().problem_count(), 0u);
  EXPECT_THAT(PossibleMatches("Petroviq", "Dorde"), ElementsAre(id_));
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
    const std::vector<std::string> rows = LooseVariantRows(db);
    EXPECT_EQ(rows.size(), filed);
    for (const std::string& key : expected) EXPECT_THAT(rows, Contains(key));
  }));
  // Once.
  ASSERT_TRUE(server_->Restart().ok());
  const uint64_t before = AuditLogSize(*server_);
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(AuditLogSize(*server_), before);
}

// A deleted loose row is named, as is one of a token the name does not have; the search no
// longer finds the record by the deleted one's way; an erasure leaves no loose row behind.
TEST_F(DataCheckLooseRowsTest, ADeletedOrForeignLooseVariantRowIsCaught) {
  EXPECT_EQ(Verify().problem_count(), 0u);
  EXPECT_THAT(PossibleMatches("Gjorgje", "Petroviq"), ElementsAre(id_));
  const std::string pair = LooseRowKey(absl::StrCat("word-pair|dorde petrovic|", kBorn));
  EditBehindTheSeal(
      [&](storage::Database* db) { DeleteStoredRow(db, storage::Cf::kIndex, pair); });
  v1::VerifyDataResponse report = Verify();
  EXPECT_THAT(report.problems(),
              Contains(absl::StrCat("record ", id_, ": index row 'u' missing")));
  EXPECT_THAT(PossibleMatches("Gjorgje", "Petroviq"), IsEmpty());

  const std::string other = LooseRowKey(absl::StrCat("word-pair|besnik petrovic|", kBorn));
  EditBehindTheSeal([&](storage::Database* db) { PutIndexRows(*server_, db, {pair, other}); });
  report = Verify();
  EXPECT_THAT(report.problems(), Contains(absl::StrCat("index row 'u' for ", id_,
                                                       ": not the record's current token")));
  EXPECT_THAT(report.problems(), Not(Contains(HasSubstr("index row 'u' missing"))));
  EditBehindTheSeal(
      [&](storage::Database* db) { DeleteStored(db, storage::Cf::kIndex, other); });
  EXPECT_EQ(Verify().problem_count(), 0u);
  EXPECT_THAT(PossibleMatches("Gjorgje", "Petroviq"), ElementsAre(id_));

  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", id_).ok());
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(
      *server_, [&](storage::Database* db) { EXPECT_THAT(LooseVariantRows(db), IsEmpty()); }));
  ASSERT_TRUE(server_->Restart().ok());
}

// A schema 13 folder was sealed when it was made or upgraded: one found without its seal (the row
// deleted, and a watermark that binds none) before the upgrade to 14 is refused as broken, never
// sealed anew from the rows there are.
TEST_F(DataCheckLooseRowsTest, ASchema13FolderWithoutItsIndexSealIsNotSealedAnew) {
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
    storage::Batch batch;
    batch.Put(storage::Cf::kMeta, "schema/version", "13");
    batch.Delete(storage::Cf::kMeta, storage::kIndexSealRow);
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  ASSERT_NO_FATAL_FAILURE(ForgeWatermark(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  const std::vector<v1::AuditEvent> said = StoredEventsOf(*server_, "system:index-seal");
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].action(), "index-seal-broken");
  EXPECT_THAT(said[0].reference(), HasSubstr("storage schema 13"));
}

}  // namespace
}  // namespace registry::testing
