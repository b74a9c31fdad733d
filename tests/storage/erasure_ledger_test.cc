// ErasureLedger: durable, chained entries outside the database; the database's marker of how far
// it has applied them; torn appends cut off; edits, truncation and foreign keys refused.
#include "storage/erasure_ledger.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/data_files.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

const std::string kToken(32, '\x07');

std::string Id(int n) { return absl::StrCat(std::string(31, 'a'), n % 10); }

class ErasureLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir("registry-ledger-test");
    path_ = root_ + "/erasures.ledger";
    key_ = *crypto::SecretBytes::Random(32);
    DatabaseOptions options;
    options.path = root_ + "/data";
    db_ = *Database::Open(options);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(root_);
  }

  absl::StatusOr<std::unique_ptr<ErasureLedger>> Open() {
    return ErasureLedger::Open(path_, key_, db_.get());
  }

  // Appends and commits the marker, as an erasure does.
  void AppendAndCommit(ErasureLedger& ledger, int n) {
    PendingWrite w;
    auto e = ledger.Append(Id(n), kToken, absl::FromUnixSeconds(1800000000 + n), &w);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->index, static_cast<uint64_t>(n));
    ASSERT_TRUE(db_->Write(*w.batch()).ok());
  }

  // Entries 0 and 1 appended and committed; entry 2 appended, but its commit never happened (a
  // crash).
  void TwoCommittedAndOneDropped(ErasureLedger& ledger) {
    AppendAndCommit(ledger, 0);
    AppendAndCommit(ledger, 1);
    PendingWrite dropped;
    ASSERT_TRUE(ledger.Append(Id(2), kToken, absl::FromUnixSeconds(1), &dropped).ok());
  }

  std::string root_, path_;
  crypto::SecretBytes key_;
  std::unique_ptr<Database> db_;
};

TEST_F(ErasureLedgerTest, CreatedPrivateAndEmpty) {
  auto ledger = Open();
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ((*ledger)->size(), 0u);
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(ErasureLedgerTest, EntriesSurviveReopenAndOnlyUncommittedOnesAreUnapplied) {
  {
    auto ledger = Open();
    ASSERT_TRUE(ledger.ok());
    ASSERT_NO_FATAL_FAILURE(TwoCommittedAndOneDropped(**ledger));
    EXPECT_FALSE(*(*ledger)->AllApplied());
  }
  auto ledger = Open();
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ((*ledger)->size(), 3u);
  auto unapplied = (*ledger)->Unapplied();
  ASSERT_TRUE(unapplied.ok());
  ASSERT_EQ(unapplied->size(), 1u);
  EXPECT_EQ((*unapplied)[0].index, 2u);
  EXPECT_EQ((*unapplied)[0].record_id, Id(2));
  EXPECT_EQ((*unapplied)[0].token, kToken);
  PendingWrite w;
  (*ledger)->StageApplied((*unapplied)[0], &w);
  ASSERT_TRUE(db_->Write(*w.batch()).ok());
  EXPECT_TRUE((*ledger)->Unapplied()->empty());
  EXPECT_TRUE(*(*ledger)->AllApplied());
}

// ReadProgress gives every entry, applied or not, with the marker's count: what start-up and the
// data check walk, since the marker alone is the data directory's word.
TEST_F(ErasureLedgerTest, ReadProgressGivesEveryEntryAndTheMarkersCount) {
  auto ledger = Open();
  ASSERT_TRUE(ledger.ok());
  ASSERT_NO_FATAL_FAILURE(TwoCommittedAndOneDropped(**ledger));
  auto progress = (*ledger)->ReadProgress();
  ASSERT_TRUE(progress.ok()) << progress.status();
  ASSERT_EQ(progress->entries.size(), 3u);
  EXPECT_EQ(progress->applied, 2u);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(progress->entries[i].index, i);
    EXPECT_EQ(progress->entries[i].record_id, Id(static_cast<int>(i)));
  }
}

TEST_F(ErasureLedgerTest, TornLastLineIsCutAndTheNextAppendFollowsCleanly) {
  {
    auto ledger = Open();
    AppendAndCommit(**ledger, 0);
  }
  const std::string whole = testing::ReadBinary(path_);
  std::ofstream(path_, std::ios::app) << "1 aaaa";
  auto ledger = Open();
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ(testing::ReadBinary(path_), whole);
  AppendAndCommit(**ledger, 1);
  EXPECT_EQ(Open().value()->size(), 2u);
}

TEST_F(ErasureLedgerTest, EditedReorderedOrForeignEntriesFailAuthentication) {
  {
    auto ledger = Open();
    AppendAndCommit(**ledger, 0);
    AppendAndCommit(**ledger, 1);
  }
  const std::string good = testing::ReadBinary(path_);
  const size_t second = good.find('\n') + 1;
  const auto reopened_with = [&](const std::string& content) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << content;
    return Open().status().code();
  };
  std::string edited = good;
  edited[second - 3] = edited[second - 3] == '0' ? '1' : '0';  // a digit of the first mac
  EXPECT_EQ(reopened_with(edited), absl::StatusCode::kDataLoss);
  // The second entry alone, renumbered as the first: its chain does not start there.
  std::string second_only = good.substr(second);
  second_only[0] = '0';
  EXPECT_EQ(reopened_with(second_only), absl::StatusCode::kDataLoss);
  EXPECT_EQ(reopened_with(good), absl::StatusCode::kOk);
  key_ = *crypto::SecretBytes::Random(32);
  EXPECT_EQ(reopened_with(good), absl::StatusCode::kDataLoss);
}

TEST_F(ErasureLedgerTest, ADatabaseAheadOfItsLedgerIsRefused) {
  {
    auto ledger = Open();
    AppendAndCommit(**ledger, 0);
    AppendAndCommit(**ledger, 1);
  }
  const std::string good = testing::ReadBinary(path_);
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << good.substr(0, good.find('\n') + 1);
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kFailedPrecondition);
  std::filesystem::remove(path_);
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace registry::storage
