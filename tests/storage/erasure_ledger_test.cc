// ErasureLedger: durable, chained entries outside the database; the database's marker of how far
// it has applied them; torn appends cut off; edits, truncation and foreign keys refused.
#include "storage/erasure_ledger.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "crypto/hmac.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/data_files.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

const std::string kToken(32, '\x07');

std::string Id(int n) { return absl::StrCat(std::string(31, 'a'), n % 10); }

// The uniqueness tokens of entry n's conviction: entries 1, 4, ... had none; entries 2, 5, ...
// had two (an amendment changed the court, case number or personal number).
std::vector<std::string> DedupOf(int n) {
  if (n % 3 == 1) return {};
  std::vector<std::string> tokens = {std::string(32, static_cast<char>('A' + n))};
  if (n % 3 == 2) tokens.push_back(std::string(32, static_cast<char>('a' + n)));
  return tokens;
}

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
    auto e = ledger.Append(Id(n), kToken, DedupOf(n), absl::FromUnixSeconds(1800000000 + n), &w);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->index, static_cast<uint64_t>(n));
    EXPECT_EQ(e->dedup_tokens, DedupOf(n));
    ASSERT_TRUE(db_->Write(*w.batch()).ok());
  }

  // Entries 0 and 1 appended and committed; entry 2 appended, but its commit never happened (a
  // crash).
  void TwoCommittedAndOneDropped(ErasureLedger& ledger) {
    AppendAndCommit(ledger, 0);
    AppendAndCommit(ledger, 1);
    PendingWrite dropped;
    ASSERT_TRUE(ledger.Append(Id(2), kToken, DedupOf(2), absl::FromUnixSeconds(1), &dropped).ok());
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
    EXPECT_EQ(progress->entries[i].token, kToken);
    EXPECT_EQ(progress->entries[i].dedup_tokens, DedupOf(static_cast<int>(i)));
  }
}

// Entries written before the ledger named the conviction's uniqueness token (five fields) still
// read, without one, and the chain goes on after them; removing the field from a newer entry
// breaks its MAC.
TEST_F(ErasureLedgerTest, EntriesWithoutTheUniquenessTokenStillReadAndTheFieldIsAuthenticated) {
  const std::string body = absl::StrCat("0 ", Id(0), " ", absl::BytesToHexString(kToken), " ",
                                        1800000000000000LL);
  const absl::StatusOr<std::string> mac =
      crypto::HmacSha256(key_, absl::StrCat("kjc-registry/erasure-ledger/v1||", body));
  ASSERT_TRUE(mac.ok());
  std::ofstream(path_, std::ios::binary | std::ios::trunc)
      << body << " " << absl::BytesToHexString(*mac) << "\n";
  {
    auto ledger = Open();
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    AppendAndCommit(**ledger, 1);
    AppendAndCommit(**ledger, 2);
  }
  auto ledger = Open();
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  auto progress = (*ledger)->ReadProgress();
  ASSERT_TRUE(progress.ok()) << progress.status();
  ASSERT_EQ(progress->entries.size(), 3u);
  EXPECT_TRUE(progress->entries[0].dedup_tokens.empty());
  EXPECT_TRUE(progress->entries[1].dedup_tokens.empty());
  EXPECT_EQ(progress->entries[2].dedup_tokens, DedupOf(2));
  ASSERT_EQ(progress->entries[2].dedup_tokens.size(), 2u);

  // The third line without its uniqueness token: a five-field line whose MAC was made over six.
  std::string content = testing::ReadBinary(path_);
  const size_t third = content.find('\n', content.find('\n') + 1) + 1;
  std::string line = content.substr(third);
  const std::string dedup_hex = absl::StrCat(absl::BytesToHexString(DedupOf(2)[0]), ",",
                                             absl::BytesToHexString(DedupOf(2)[1]));
  ASSERT_NE(line.find(dedup_hex), std::string::npos);
  line.erase(line.find(dedup_hex) - 1, dedup_hex.size() + 1);
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << content.substr(0, third) << line;
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kDataLoss);
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

// A line that cannot be read was said as "erasure ledger entry 1 is malformed": no file, and no
// next step. It names the file, says that it is append-only and not to be edited, and to put
// back the current copy.
TEST_F(ErasureLedgerTest, AnEntryThatCannotBeReadNamesTheFileAndSaysToPutBackTheCurrentCopy) {
  {
    auto ledger = Open();
    AppendAndCommit(**ledger, 0);
    AppendAndCommit(**ledger, 1);
  }
  const std::string good = testing::ReadBinary(path_);
  const size_t second = good.find('\n') + 1;
  std::string edited = good;
  edited[second - 3] = edited[second - 3] == '0' ? '1' : '0';  // a digit of the first mac
  for (const auto& [content, said] :
       {std::make_pair(good.substr(0, second) + "not an entry\n",
                       absl::StrCat("erasure ledger ", path_, ": entry 1 is malformed: ")),
        std::make_pair(edited, absl::StrCat("erasure ledger ", path_,
                                            ": entry 0 fails authentication: "))}) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << content;
    const absl::Status opened = Open().status();
    EXPECT_EQ(opened.code(), absl::StatusCode::kDataLoss);
    const std::string message(opened.message());
    EXPECT_THAT(message, ::testing::HasSubstr(said));
    EXPECT_THAT(message, ::testing::HasSubstr("append-only"));
    EXPECT_THAT(message, ::testing::HasSubstr("must not be edited"));
    EXPECT_THAT(message, ::testing::HasSubstr("Put back the current erasure ledger"));
  }
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

// A ledger that is not there was said to be "truncated, replaced or lost", with no next step,
// also when the cause was a key file moved to another folder (the ledger's path defaults to the
// key file's folder): missing is said as such, with where the path comes from and what to do.
TEST_F(ErasureLedgerTest, AMissingLedgerIsSaidMissingWithWhereItIsLookedForAndWhatToDo) {
  {
    auto ledger = Open();
    AppendAndCommit(**ledger, 0);
  }
  std::filesystem::remove(path_);
  for (const absl::Status& refused :
       {Open().status(), ErasureLedger::Check(path_, key_, db_.get())}) {
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
    EXPECT_THAT(refused.message(),
                ::testing::AllOf(
                    ::testing::HasSubstr(absl::StrCat("the erasure ledger ", path_,
                                                      " is missing, but this database has "
                                                      "applied 1 erasures")),
                    ::testing::HasSubstr("defaults to the key file's folder unless it is set"),
                    ::testing::HasSubstr("put the ledger back there from where the key file is "
                                         "kept, or set erasure_ledger_file")))
        << refused;
    EXPECT_FALSE(std::filesystem::exists(path_)) << "a refused open made an empty ledger";
  }
}

}  // namespace
}  // namespace registry::storage
