// Backups: the dates a backup folder records are not believed beyond what can be true. A meta
// file edited to a later date lists no later than now and no later than the newer backups, and
// retention prunes it by that date.
#include "storage/backups.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

using ::testing::ElementsAre;

// 2061-11-24: a date no backup made today can bear.
constexpr int64_t kFutureSeconds = 2900000000;

class BackupsTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::MakeTempDir("registry-backups-test"); }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  std::string backup_dir() const { return root_ + "/backups"; }

  // Makes `count` backups of a database with one more entry in each; their ids are 1..count.
  void MakeBackups(int count) {
    DatabaseOptions options;
    options.path = root_ + "/data";
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    absl::StatusOr<std::unique_ptr<Backups>> backups = Backups::Open(backup_dir());
    ASSERT_TRUE(backups.ok()) << backups.status();
    for (int i = 1; i <= count; ++i) {
      Batch batch;
      batch.Put(Cf::kMeta, absl::StrCat("entry-", i), "value");
      ASSERT_TRUE((*db)->Write(batch).ok());
      absl::StatusOr<Backups::Info> made = (*backups)->Create(db->get());
      ASSERT_TRUE(made.ok()) << made.status();
      ASSERT_EQ(made->id, static_cast<uint32_t>(i));
    }
  }

  // Writes `unix_seconds` over the date in backup `id`'s meta file (its first line), as one
  // editing the folder by hand would.
  void EditRecordedDate(uint32_t id, int64_t unix_seconds) {
    const std::string path = absl::StrCat(backup_dir(), "/meta/", id);
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path;
    std::string first;
    std::getline(in, first);
    ASSERT_FALSE(first.empty());
    for (char c : first) ASSERT_TRUE(absl::ascii_isdigit(c)) << "the first line is the date";
    std::stringstream rest;
    rest << in.rdbuf();
    in.close();
    std::ofstream out(path, std::ios::trunc);
    out << unix_seconds << "\n" << rest.str();
    ASSERT_TRUE(out.good()) << path;
  }

  // The backup folder opened afresh, so that the engine reads the meta files as they are now.
  std::unique_ptr<Backups> Reopen() {
    absl::StatusOr<std::unique_ptr<Backups>> backups = Backups::Open(backup_dir());
    EXPECT_TRUE(backups.ok()) << backups.status();
    return backups.ok() ? *std::move(backups) : nullptr;
  }

  std::string root_;
};

TEST_F(BackupsTest, ABackupDatedInTheFutureIsListedNoLaterThanNowNorThanANewerBackup) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(3));
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(2, kFutureSeconds));
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);

  const std::vector<Backups::Info> all = backups->List();
  const absl::Time listed_by = absl::Now();
  ASSERT_EQ(all.size(), 3u);
  const Backups::Info& edited = all[1];
  const Backups::Info& newer = all[2];
  EXPECT_EQ(edited.id, 2u);
  EXPECT_EQ(edited.stored_created_at, absl::FromUnixSeconds(kFutureSeconds))
      << "the recorded date stays available";
  EXPECT_LE(edited.created_at, newer.created_at);
  EXPECT_LE(edited.created_at, listed_by);
  EXPECT_TRUE(edited.date_not_believed());
  EXPECT_FALSE(all[0].date_not_believed()) << "the older backup's date is true";
  EXPECT_FALSE(newer.date_not_believed()) << "the newer backup's date is true";
  EXPECT_LE(all[0].created_at, edited.created_at);
}

TEST_F(BackupsTest, ABackupDatedInTheFutureIsExpiredByAgeAsItsNewerNeighboursDateSays) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(3));
  const absl::Time now = absl::Now();
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(1, absl::ToUnixSeconds(now - absl::Hours(24 * 50))));
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(2, kFutureSeconds));
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(3, absl::ToUnixSeconds(now - absl::Hours(24 * 40))));
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);

  const std::vector<Backups::Info> all = backups->List();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].created_at, all[2].created_at) << "dated as its newer neighbour";
  // Forty days old by its neighbour: kept for 45 days, pruned after 35 (the newest never is).
  EXPECT_THAT(backups->Expired(100, absl::Hours(24 * 45), now), ElementsAre(1u));
  EXPECT_THAT(backups->Expired(100, absl::Hours(24 * 35), now), ElementsAre(1u, 2u));
}

TEST_F(BackupsTest, AnEditedNewestBackupDoesNotPutItsAgeNegative) {
  ASSERT_NO_FATAL_FAILURE(MakeBackups(2));
  ASSERT_NO_FATAL_FAILURE(EditRecordedDate(2, kFutureSeconds));
  std::unique_ptr<Backups> backups = Reopen();
  ASSERT_NE(backups, nullptr);

  const std::vector<Backups::Info> all = backups->List();
  const absl::Time listed_by = absl::Now();
  ASSERT_EQ(all.size(), 2u);
  const Backups::Info& newest = all.back();
  EXPECT_EQ(newest.id, 2u);
  EXPECT_GE(listed_by - newest.created_at, absl::ZeroDuration()) << "its age";
  EXPECT_TRUE(newest.date_not_believed());
  EXPECT_LE(all[0].created_at, newest.created_at);
  EXPECT_FALSE(all[0].date_not_believed());
}

}  // namespace
}  // namespace registry::storage
