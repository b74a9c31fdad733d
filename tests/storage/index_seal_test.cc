// The index seal (storage/index_seal.h): every write keeps it exactly the set of index rows,
// whatever it puts or deletes and however many write at once; rows deleted, added or swapped by
// someone writing the files without the key (a Database opened without the seal's key, as an
// insider with the data folder opens it) are found, and the seal's own row cannot be edited;
// vetting waits for the comparison after a start.
#include "storage/index_seal.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

crypto::SecretBytes SealKey() { return crypto::SecretBytes(std::string(32, '\x5a')); }

class IndexSealTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::MakeTempDir("registry-index-seal-test"); }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  // The folder opened as registryd opens it (with the seal's key), or as someone with the files
  // but without the key file opens it (`sealed` false).
  std::unique_ptr<Database> Open(bool sealed = true) {
    DatabaseOptions options;
    options.path = root_ + "/db";
    if (sealed) options.index_seal_key = SealKey();
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  static void Put(Database* db, const std::vector<std::string>& keys) {
    Batch batch;
    for (const std::string& key : keys) batch.Put(Cf::kIndex, key, "mac");
    ASSERT_TRUE(db->Write(batch).ok());
  }
  static void Delete(Database* db, const std::vector<std::string>& keys) {
    Batch batch;
    for (const std::string& key : keys) batch.Delete(Cf::kIndex, key);
    ASSERT_TRUE(db->Write(batch).ok());
  }

  // A sealed folder holding rows a, b and c.
  void MakeSealedFolder() {
    std::unique_ptr<Database> db = Open();
    ASSERT_NE(db, nullptr);
    Put(db.get(), {"pa", "pb", "pc"});
    absl::StatusOr<std::optional<IndexSealSum>> made = db->MakeIndexSealIfAbsent();
    ASSERT_TRUE(made.ok() && made->has_value()) << made.status();
    EXPECT_EQ((*made)->rows, 3u);
  }

  // The comparison a start makes, on the folder as it is.
  IndexSealCheck CheckAfterAStart() {
    std::unique_ptr<Database> db = Open();
    EXPECT_NE(db, nullptr);
    if (db == nullptr) return {};
    absl::StatusOr<IndexSealCheck> check = db->CheckIndexSeal();
    EXPECT_TRUE(check.ok()) << check.status();
    const absl::Status vetting = db->index_seal()->AwaitSound(absl::Now());
    EXPECT_EQ(vetting.ok(), check.ok() && check->Problem().empty()) << vetting;
    if (!vetting.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(vetting)) << vetting;
    }
    return check.ok() ? *check : IndexSealCheck{};
  }

  std::string root_;
};

TEST_F(IndexSealTest, EveryWriteKeepsTheSealExact) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  {
    std::unique_ptr<Database> db = Open();
    ASSERT_NE(db, nullptr);
    // A put of a row already there, a delete of one not there, a row put and deleted in one
    // write, a row deleted and put back in one write: none may toggle the sum.
    ASSERT_NO_FATAL_FAILURE(Put(db.get(), {"pa", "pd"}));
    ASSERT_NO_FATAL_FAILURE(Delete(db.get(), {"px", "pb"}));
    Batch batch;
    batch.Put(Cf::kIndex, "pe", "mac");
    batch.Delete(Cf::kIndex, "pe");
    batch.Delete(Cf::kIndex, "pc");
    batch.Put(Cf::kIndex, "pc", "mac2");
    batch.Put(Cf::kIndex, "pf", "mac");
    batch.Put(Cf::kIndex, "pf", "mac");
    ASSERT_TRUE(db->Write(batch).ok());
    absl::StatusOr<IndexSealCheck> check = db->CheckIndexSeal();
    ASSERT_TRUE(check.ok()) << check.status();
    EXPECT_TRUE(check->matches) << check->Problem();
    EXPECT_EQ(check->found_rows, 4u);  // a, c, d, f
  }
  const IndexSealCheck after = CheckAfterAStart();
  EXPECT_TRUE(after.sealed);
  EXPECT_TRUE(after.matches) << after.Problem();
}

TEST_F(IndexSealTest, ConcurrentWritersKeepTheSealExact) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  std::unique_ptr<Database> db = Open();
  ASSERT_NE(db, nullptr);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&db, t] {
      for (int i = 0; i < 50; ++i) {
        // Each writer puts its rows (some twice) and deletes every other one, and touches the
        // rows every writer shares.
        Batch batch;
        const std::string mine = absl::StrCat("w", t, "-", i);
        batch.Put(Cf::kIndex, mine, "mac");
        batch.Put(Cf::kIndex, absl::StrCat("shared", i % 5), "mac");
        if (i % 2 == 1) batch.Delete(Cf::kIndex, absl::StrCat("w", t, "-", i - 1));
        EXPECT_TRUE(db->Write(batch).ok());
      }
    });
  }
  for (std::thread& w : writers) w.join();
  absl::StatusOr<IndexSealCheck> check = db->CheckIndexSeal();
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->matches) << check->Problem();
  EXPECT_EQ(check->found_rows, 3u + 4 * 25 + 5);
}

TEST_F(IndexSealTest, ARowDeletedWithoutTheKeyIsFound) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  ASSERT_NO_FATAL_FAILURE(Delete(Open(/*sealed=*/false).get(), {"pb"}));
  const IndexSealCheck check = CheckAfterAStart();
  EXPECT_FALSE(check.matches);
  EXPECT_EQ(check.sealed_rows, 3u);
  EXPECT_EQ(check.found_rows, 2u);
  EXPECT_EQ(check.Problem(),
            "index seal: the index family's rows are not the rows sealed (3 sealed, 2 found): rows "
            "were deleted, added or swapped in the data folder");
}

TEST_F(IndexSealTest, ARowAddedWithoutTheKeyIsFound) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  ASSERT_NO_FATAL_FAILURE(Put(Open(/*sealed=*/false).get(), {"pz"}));
  const IndexSealCheck check = CheckAfterAStart();
  EXPECT_FALSE(check.matches);
  EXPECT_EQ(check.found_rows, 4u);
}

// The count alone does not tell: one row deleted and another put in its place.
TEST_F(IndexSealTest, ARowSwappedWithoutTheKeyIsFound) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  {
    std::unique_ptr<Database> insider = Open(/*sealed=*/false);
    ASSERT_NE(insider, nullptr);
    Batch batch;
    batch.Delete(Cf::kIndex, "pb");
    batch.Put(Cf::kIndex, "pz", "mac");
    ASSERT_TRUE(insider->Write(batch).ok());
  }
  const IndexSealCheck check = CheckAfterAStart();
  EXPECT_FALSE(check.matches);
  EXPECT_EQ(check.sealed_rows, check.found_rows);
}

// A later write by registryd does not put a broken seal right: the sum carries the difference.
TEST_F(IndexSealTest, WritesAfterADeletionKeepTheSealBroken) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  ASSERT_NO_FATAL_FAILURE(Delete(Open(/*sealed=*/false).get(), {"pb"}));
  {
    std::unique_ptr<Database> db = Open();
    ASSERT_NE(db, nullptr);
    ASSERT_NO_FATAL_FAILURE(Put(db.get(), {"pd"}));
    ASSERT_NO_FATAL_FAILURE(Delete(db.get(), {"pb", "pa"}));  // pb is gone: no change
  }
  EXPECT_FALSE(CheckAfterAStart().matches);
}

// The count (or the sum) of the seal's row edited to fit: its MAC fails.
TEST_F(IndexSealTest, AnEditedSealIsFound) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  {
    std::unique_ptr<Database> insider = Open(/*sealed=*/false);
    ASSERT_NE(insider, nullptr);
    absl::StatusOr<std::optional<std::string>> row = insider->Get(Cf::kMeta, kIndexSealRow);
    ASSERT_TRUE(row.ok() && row->has_value());
    std::string edited = **row;
    edited[7] = static_cast<char>(edited[7] - 1);  // 2 rows
    Batch batch;
    batch.Delete(Cf::kIndex, "pb");
    batch.Put(Cf::kMeta, kIndexSealRow, edited);
    ASSERT_TRUE(insider->Write(batch).ok());
  }
  const IndexSealCheck check = CheckAfterAStart();
  EXPECT_TRUE(check.damaged);
  EXPECT_FALSE(check.Problem().empty());
}

TEST_F(IndexSealTest, VettingWaitsForTheComparison) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  std::unique_ptr<Database> db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->index_seal()->state(), IndexSeal::State::kUnchecked);
  // Not compared yet: the same Unavailable for everyone at the deadline.
  const absl::Status waited = db->index_seal()->AwaitSound(absl::Now() + absl::Milliseconds(20));
  EXPECT_TRUE(absl::IsUnavailable(waited)) << waited;
  // A wait under way is answered as soon as the comparison is done.
  absl::Status answered = absl::UnknownError("not answered");
  std::thread vetting(
      [&] { answered = db->index_seal()->AwaitSound(absl::Now() + absl::Minutes(5)); });
  ASSERT_TRUE(db->CheckIndexSeal().ok());
  vetting.join();
  EXPECT_TRUE(answered.ok()) << answered;
  EXPECT_EQ(db->index_seal()->state(), IndexSeal::State::kSound);
}

TEST_F(IndexSealTest, AFolderWithoutASealIsSealedOnceFromItsRows) {
  {
    std::unique_ptr<Database> before = Open(/*sealed=*/false);
    ASSERT_NE(before, nullptr);
    ASSERT_NO_FATAL_FAILURE(Put(before.get(), {"pa", "pb"}));
  }
  std::unique_ptr<Database> db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->index_seal()->state(), IndexSeal::State::kAbsent);
  absl::StatusOr<IndexSealCheck> none = db->CheckIndexSeal();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->sealed);
  absl::StatusOr<std::optional<IndexSealSum>> made = db->MakeIndexSealIfAbsent();
  ASSERT_TRUE(made.ok() && made->has_value()) << made.status();
  EXPECT_EQ((*made)->rows, 2u);
  EXPECT_EQ(db->index_seal()->state(), IndexSeal::State::kSound);
  absl::StatusOr<std::optional<IndexSealSum>> again = db->MakeIndexSealIfAbsent();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  ASSERT_NO_FATAL_FAILURE(Put(db.get(), {"pc"}));
  absl::StatusOr<IndexSealCheck> check = db->CheckIndexSeal();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->matches);
  EXPECT_EQ(check->found_rows, 3u);
}

TEST_F(IndexSealTest, ResealingTakesTheRowsThereAre) {
  ASSERT_NO_FATAL_FAILURE(MakeSealedFolder());
  ASSERT_NO_FATAL_FAILURE(Delete(Open(/*sealed=*/false).get(), {"pb"}));
  {
    std::unique_ptr<Database> db = Open();
    ASSERT_NE(db, nullptr);
    absl::StatusOr<IndexSealSum> sum = db->ResealIndex();
    ASSERT_TRUE(sum.ok()) << sum.status();
    EXPECT_EQ(sum->rows, 2u);
  }
  EXPECT_TRUE(CheckAfterAStart().matches);
}

}  // namespace
}  // namespace registry::storage
